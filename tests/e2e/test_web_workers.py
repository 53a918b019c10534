"""``tradewind web --workers 2`` as a user runs it: two processes on one port (SO_REUSEPORT), each
with its own Redis subscription, sharing nothing else; an update published once reaches every
stream whichever process holds it (so each process's subscription delivers); SIGTERM to the parent stops both."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.redis.notifier import RedisNotifier
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser

from .conftest import TRADEWIND, _wait_ready, free_port

#: the kernel picks a listener per connection by a hash of its addresses: with 8 streams all of
#: them landed on one process in about 1 run in 128 (2 x 2^-8; it happened in CI); with 32, 2^-31
STREAMS = 32


def pids_on(port: int, *flags: str) -> set[str]:
    out = subprocess.run(["ss", *flags, f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return {part.split(",")[0] for part in out.split("pid=")[1:]}


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "zombie" not in f.read()
    except FileNotFoundError:
        return False


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


async def test_two_web_processes_share_a_port_and_each_stream_gets_the_update(
    local_settings: Settings, tmp_path: Path, eventually: Any
) -> None:
    setup: Any = build_adapters(local_settings)
    await setup.lifecycle().start(kafka=False)
    created = await CreateUser(setup.uow)(f"workers-{uuid.uuid4().hex[:6]}", "1000")
    await setup.lifecycle().stop()
    port = free_port()
    env = {**os.environ, "TRADEWIND_PROFILE": "local", "TRADEWIND_PG_DATABASE": local_settings.pg_database}
    redis = Redis.from_url(local_settings.redis_url)
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [TRADEWIND, "web", "--port", str(port), "--workers", "2"], env=env, stdout=out, stderr=out
        )
    try:
        await asyncio.to_thread(_wait_ready, f"http://127.0.0.1:{port}/healthz", proc, log, time.monotonic() + 90)

        async def both_listening() -> bool:
            return len(pids_on(port, "-ltnpH")) == 2

        await eventually(both_listening, timeout=60, what="two processes listening on the port")
        headers = {"Authorization": f"Bearer {created.token}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            streams = [
                client.stream("GET", "/api/v1/stream?symbols=AAPL&heartbeat=30", headers=headers)
                for _ in range(STREAMS)
            ]
            responses = [await s.__aenter__() for s in streams]
            try:
                assert all(r.status_code == 200 for r in responses)

                async def spread() -> bool:  # the kernel spread the streams over both processes
                    return len(pids_on(port, "-tnpH", "state", "established")) == 2

                await eventually(spread, what="streams held by both processes")
                await RedisNotifier(redis).publish(created.account.id, "order", 1, {"id": "once"})

                async def first_order(response: httpx.Response) -> str:
                    event = ""  # quotes may flow on the stream too (a replay on the same Redis)
                    async for line in response.aiter_lines():
                        if line.startswith("event:"):
                            event = line[6:].strip()
                        elif line.startswith("data:") and event == "order":
                            return str(json.loads(line[5:])["id"])
                    return ""

                got = await asyncio.wait_for(asyncio.gather(*(first_order(r) for r in responses)), 20)
                assert got == ["once"] * STREAMS
            finally:
                for s in streams:
                    await s.__aexit__(None, None, None)
        workers = children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 30) == 0

        async def all_gone() -> bool:  # both web processes (and multiprocessing's tracker) end with the parent
            return not [p for p in workers if alive(p)]

        await eventually(all_gone, timeout=20, what="the children to exit")
    finally:
        if proc.poll() is None:
            proc.kill()
        await redis.aclose()
