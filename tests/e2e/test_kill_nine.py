"""Invariant 11 under order flow: ``kill -9`` of the worker, then of the web process, while a
trader keeps placing orders; each is restarted, and afterwards every order the web answered 202
for is final, filled exactly once: the ledger's position equals the sum of the fills, the read
model equals the ledger, and the stream numbers every event once.

Its own three processes on a database of their own (not the session's stack), so the kills hurt
no other test and no other gateway reconciles its orders. The gateway's
kill belongs with the venue that outlives it (issue 14: the paper broker lives in the gateway
until then, so a kill loses the broker's book).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from tradewind.adapters.aws.postgres.migrate import migrate
from tradewind.adapters.aws.settings import Settings

from .conftest import TRADEWIND, _wait_ready, free_port
from .test_order_core import FINAL, auth, quote, until

pytestmark = pytest.mark.e2e


class Processes:
    def __init__(self, env: dict[str, str], logs: Any) -> None:
        self.env, self.logs = env, logs
        self.web_port = int(env["TRADEWIND_WEB_PORT"])
        self.health = {
            "worker": f"http://127.0.0.1:{env['TRADEWIND_WORKER_HEALTH_PORT']}/readyz",
            "gateway": f"http://127.0.0.1:{env['TRADEWIND_GATEWAY_HEALTH_PORT']}/readyz",
            "web": f"http://127.0.0.1:{self.web_port}/readyz",
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, *names: str) -> None:
        """Start them all, then wait until each is ready (the worker's market data needs the
        gateway's prices, so one at a time would wait forever on a cold stack)."""
        paths = {}
        for name in names:
            cmd = [TRADEWIND, name] + (["--port", str(self.web_port)] if name == "web" else [])
            paths[name] = self.logs / f"{name}-{time.monotonic_ns()}.log"
            self.procs[name] = subprocess.Popen(
                cmd, env=self.env, stdout=paths[name].open("wb"), stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 90
        for name in names:
            _wait_ready(self.health[name], self.procs[name], paths[name], deadline)

    def kill9(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def own_database(local_settings: Settings) -> Iterator[str]:
    """A migrated database of these processes' own: its gateway's paper broker is the venue of
    this ledger alone (reconciliation rejects open orders its venue does not know, so two
    gateways with two in-process paper brokers must not share a ledger)."""
    name = f"tw_kill_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        conn = await asyncpg.connect(local_settings.pg_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        conn = await asyncpg.connect(local_settings.model_copy(update={"pg_database": name}).pg_dsn)
        try:
            await migrate(conn)
        finally:
            await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(local_settings.pg_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(create())
    try:
        yield name
    finally:
        asyncio.run(drop())


@pytest.fixture
def processes(own_database: str, tmp_path: Any) -> Iterator[Processes]:
    env = {
        **os.environ,
        "TRADEWIND_PROFILE": "local",
        "TRADEWIND_PG_DATABASE": own_database,
        "TRADEWIND_WEB_PORT": str(free_port()),
        "TRADEWIND_WORKER_HEALTH_PORT": str(free_port()),
        "TRADEWIND_GATEWAY_HEALTH_PORT": str(free_port()),
        "TRADEWIND_KAFKA_GROUP_PREFIX": f"kill-{uuid.uuid4().hex[:8]}-",
        "TRADEWIND_KAFKA_NEW_GROUP_OFFSET": "latest",
        "TRADEWIND_BROKER": "paper",  # the kill -9 of the venue's side is test_venue_outlives_gateway.py
        "TRADEWIND_PAPER_EXPIRE_DAY_ORDERS": "false",
        "TRADEWIND_PAPER_LATENCY_MS": "5",
    }
    procs = Processes(env, tmp_path)
    try:
        procs.start("worker", "gateway", "web")
        yield procs
    finally:
        procs.stop()


async def flow(base: str, token: str, placed: list[str], stop: asyncio.Event) -> None:
    """Market orders of 1 MSFT, buy and sell in turn, as fast as the web answers; a refused
    connection (the web is down) is retried."""
    i = 0
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        while not stop.is_set():
            side = "buy" if i % 2 == 0 else "sell"
            with contextlib.suppress(httpx.TransportError):
                answer = await client.post(
                    "/api/v1/orders",
                    json={"symbol": "MSFT", "side": side, "qty": 1, "type": "market", "client_order_id": f"k{i}"},
                    headers=auth(token),
                )
                if answer.status_code in (200, 202):
                    if answer.json()["id"] not in placed:
                        placed.append(answer.json()["id"])
                    i += 1
            await asyncio.sleep(0.01)  # pacing the trader, not synchronisation


@contextlib.asynccontextmanager
async def running(coro: Any) -> AsyncIterator[None]:
    task = asyncio.create_task(coro)
    try:
        yield
    finally:
        await task


async def test_kill_nine_of_worker_and_web_under_flow_loses_and_doubles_nothing(processes: Processes) -> None:
    env = processes.env
    created = await asyncio.to_thread(
        subprocess.run,
        [TRADEWIND, "users", "create", f"kill-{uuid.uuid4().hex[:6]}", "--cash", "10000000"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    token = created.stdout.strip().splitlines()[-1]
    base = f"http://127.0.0.1:{processes.web_port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await quote(client, token, "MSFT")
    placed: list[str] = []
    stop = asyncio.Event()
    async with running(flow(base, token, placed, stop)):
        for victim in ("worker", "web"):
            await until(lambda n=len(placed): asyncio.sleep(0, len(placed) >= n + 20), what="orders flowing")
            processes.kill9(victim)
            await asyncio.sleep(0.5)  # orders keep coming (or failing) while it is down
            await asyncio.to_thread(processes.start, victim)
        await until(lambda n=len(placed): asyncio.sleep(0, len(placed) >= n + 20), what="orders after restarts")
        stop.set()

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def all_final() -> bool:
            for order_id in placed:
                order = (await client.get(f"/api/v1/orders/{order_id}", headers=auth(token))).json()
                if order["status"] not in FINAL:
                    return False
            return True

        await until(all_final, timeout=60, what="every accepted order to be final")
        orders = [(await client.get(f"/api/v1/orders/{i}", headers=auth(token))).json() for i in placed]
        assert all(o["status"] == "filled" and o["filled_qty"] == 1 for o in orders), orders
        net = sum(1 if o["side"] == "buy" else -1 for o in orders)

        async def views_caught_up() -> bool:
            listed = (await client.get("/api/v1/orders?status=all&limit=500", headers=auth(token))).json()
            by_id = {o["id"]: o for o in listed}
            position = await client.get("/api/v1/positions/MSFT", headers=auth(token))
            held = position.json()["qty"] if position.status_code == 200 else 0
            return all(by_id.get(o["id"], {}).get("status") == "filled" for o in orders) and held == net

        await until(views_caught_up, timeout=60, what="the read model and the positions view to equal the ledger")
