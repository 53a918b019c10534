"""Issue 14 with every process real: worker, web, the venue (``tradewind venue``) and the gateway
trading through it over FIX (``TRADEWIND_BROKER=fix``). A resting GTC order and a large order
that fills in parts (the venue finds 5 shares per quote) are working; the gateway is killed with
kill -9 and the large one keeps filling at the venue (the test moves the market on the live
channel: the gateway's replay died with it); after the restart every fill reaches the
ledger exactly once (QuickFIX resends what the venue sent while the gateway was away), the
resting order is still working, and amending it to a marketable price fills it: the bug of the
issue (``pending_replace`` for good, because the in-process book died with the gateway).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
import time
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tradewind.adapters.aws.redis.notifier import CHANNEL
from tradewind.adapters.aws.settings import Settings
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote

from .conftest import TRADEWIND, free_port, paused_session_gateway
from .test_kill_nine import Processes
from .test_order_core import auth, quote, until

pytestmark = pytest.mark.e2e


class WithVenue(Processes):
    def __init__(self, env: dict[str, str], logs: Any) -> None:
        super().__init__(env, logs)
        self.health["venue"] = f"http://127.0.0.1:{env['TRADEWIND_VENUE_HEALTH_PORT']}/healthz"


@pytest.fixture
def processes(local_settings: Settings, tmp_path: Any) -> Any:
    env = {
        **os.environ,
        "TRADEWIND_PROFILE": "local",
        "TRADEWIND_PG_DATABASE": local_settings.pg_database,
        "TRADEWIND_WEB_PORT": str(free_port()),
        "TRADEWIND_WORKER_HEALTH_PORT": str(free_port()),
        "TRADEWIND_GATEWAY_HEALTH_PORT": str(free_port()),
        "TRADEWIND_KAFKA_GROUP_PREFIX": f"venue-{uuid.uuid4().hex[:8]}-",
        "TRADEWIND_KAFKA_NEW_GROUP_OFFSET": "latest",
        "TRADEWIND_QUOTE_INTERVAL_MS": "200",
        "TRADEWIND_BROKER": "fix",
        "TRADEWIND_VENUE_PORT": str(free_port()),
        "TRADEWIND_VENUE_HEALTH_PORT": str(free_port()),
        "TRADEWIND_VENUE_DIR": str(tmp_path / "venue"),
        "TRADEWIND_GATEWAY_FIX_DIR": str(tmp_path / "gateway-fix"),
        "TRADEWIND_VENUE_LIQUIDITY": "5",
    }
    procs = WithVenue(env, tmp_path)
    with paused_session_gateway():  # ours must be the only gateway working these orders
        try:
            procs.start("venue", "worker", "gateway", "web")
            yield procs
        finally:
            procs.stop()


async def test_a_kill_9_of_the_gateway_loses_no_fill_and_no_resting_order(processes: WithVenue) -> None:
    token = await processes_user(processes)
    base = f"http://127.0.0.1:{processes.web_port}"
    async with httpx.AsyncClient(base_url=base, timeout=30, headers=auth(token)) as client:
        ask = Decimal((await quote(client, token, "KO"))["ask"])
        resting = (
            await client.post(
                "/api/v1/orders",
                json={
                    "symbol": "KO",
                    "side": "buy",
                    "qty": 3,
                    "type": "limit",
                    "time_in_force": "gtc",
                    "limit_price": str((ask * Decimal("0.9")).quantize(Decimal("0.01"))),
                },
            )
        ).json()
        large = (
            await client.post(
                "/api/v1/orders",
                json={
                    "symbol": "KO",
                    "side": "buy",
                    "qty": 200,
                    "type": "limit",
                    "time_in_force": "gtc",
                    "limit_price": str((ask * Decimal("1.05")).quantize(Decimal("0.01"))),
                },
            )
        ).json()

        async def order(order_id: str) -> dict[str, Any]:
            return dict((await client.get(f"/api/v1/orders/{order_id}")).json())

        async def status_is(order_id: str, *wanted: str) -> bool:
            return (await order(order_id))["status"] in wanted

        await until(lambda: status_is(resting["id"], "accepted"), what="the resting order accepted")
        await until(lambda: status_is(large["id"], "partially_filled"), what="the large order filling in parts")

        processes.kill9("gateway")  # its replay stops too: the market below is the test's
        filled_before = (await order(large["id"]))["filled_qty"]
        for _ in range(6):  # the venue fills 5 shares a quote while the gateway is away
            await asyncio.to_thread(market_moves, processes, "KO", ask)
        at_venue = venue_filled(processes, large["id"])
        assert at_venue >= filled_before + 30, (filled_before, at_venue)  # filled while nobody listened
        processes.start("gateway")

        await until(lambda: status_is(large["id"], "filled"), timeout=90, what="the large order filled")
        filled = await order(large["id"])
        assert filled["filled_qty"] == 200 and filled_before <= 200 - 30
        assert (await order(resting["id"]))["status"] == "accepted"

        async def position_is(qty: int) -> bool:
            answer = await client.get("/api/v1/positions/KO")
            return answer.status_code == 200 and answer.json()["qty"] == qty

        await until(lambda: position_is(200), timeout=60, what="the position to count every fill once")

        amend = await client.patch(
            f"/api/v1/orders/{resting['id']}",
            json={"limit_price": str((ask * Decimal("1.05")).quantize(Decimal("0.01")))},
        )
        assert amend.status_code == 202, amend.text
        await until(lambda: status_is(resting["id"], "filled"), timeout=60, what="the amended order to fill")
        await until(lambda: position_is(203), timeout=60, what="the position to count the amended fill")


def market_moves(processes: WithVenue, symbol: str, ask: Decimal) -> None:
    """One quote on the live channel, as the worker publishes it; returns once the venue has it.
    The test's worker may still be publishing replay quotes the killed gateway left on the stream
    (a loaded machine lags): one of those can replace ours in the venue's ``/quotes`` before we look,
    so a quote not seen within a second is sent again (a newer one) until the venue shows it."""
    client = redis.Redis(host="127.0.0.1", port=int(processes.env.get("TRADEWIND_REDIS_PORT", "6380")))
    url = f"http://127.0.0.1:{processes.env['TRADEWIND_VENUE_HEALTH_PORT']}/quotes"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ts = utcnow()
            quote_ = Quote(symbol, ask - Decimal("0.01"), ask, ask, ts)
            client.publish(
                CHANNEL, json.dumps({"account_id": None, "kind": "quote", "seq": None, "data": quote_.to_dict()})
            )
            seen_by = min(deadline, time.monotonic() + 1.0)
            while time.monotonic() < seen_by:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if json.loads(resp.read())["quotes"].get(symbol, {}).get("ts") == ts.isoformat():
                        return
                time.sleep(0.02)  # polling a process we do not control, bounded by the deadline
    finally:
        client.close()
    raise AssertionError(f"the venue did not see the {symbol} quote")


def venue_filled(processes: WithVenue, order_id: str) -> int:
    """What the venue's own book says was filled (its journal, read only)."""
    path = Path(processes.env["TRADEWIND_VENUE_DIR"]) / "book.sqlite3"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT body FROM orders WHERE client_order_id = ?", (order_id,)).fetchone()
    return int(json.loads(row[0])["cum_qty"]) if row else 0


async def processes_user(processes: WithVenue) -> str:
    created = await asyncio.to_thread(
        subprocess.run,
        [TRADEWIND, "users", "create", f"venue-{uuid.uuid4().hex[:6]}", "--cash", "10000000"],
        env=processes.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return created.stdout.strip().splitlines()[-1]
