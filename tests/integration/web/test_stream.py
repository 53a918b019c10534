"""The SSE stream on the real Redis: one pub/sub subscription per web process however many
connections; updates reach only their owner; heartbeats only when idle."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from redis.asyncio import Redis

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.redis.notifier import CHANNEL, RedisNotifier
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.apps.web.main import build_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def web(
    local_settings: Settings, eventually: Any
) -> AsyncIterator[tuple[str, dict[str, tuple[str, uuid.UUID]], Redis]]:
    setup: Any = build_adapters(local_settings)
    await setup.lifecycle().start(kafka=False)
    users = {}
    for name in ("ann", "ben"):
        created = await CreateUser(setup.uow)(f"{name}-{uuid.uuid4().hex[:6]}", "1000")
        users[name] = (created.token, created.account.id)
    await setup.lifecycle().stop()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(local_settings), host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    redis = Redis.from_url(local_settings.redis_url)
    try:

        async def started() -> bool:
            return bool(server.started)

        await eventually(started, timeout=20, what="uvicorn to start")
        yield f"http://127.0.0.1:{port}", users, redis
    finally:
        server.should_exit = True
        await task
        await redis.aclose()


async def read_events(lines: AsyncIterator[str], n: int) -> list[tuple[str, str]]:
    """The next ``n`` SSE frames as (kind, payload): kind is the event name or ``comment``."""
    out: list[tuple[str, str]] = []
    event, data = "", ""
    async for line in lines:
        if line.startswith(":"):
            out.append(("comment", line[1:].strip()))
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif line == "" and event:
            out.append((event, data))
            event, data = "", ""
        if len(out) >= n:
            return out
    return out


async def subscribers(redis: Redis) -> int:
    return int(dict(await redis.pubsub_numsub(CHANNEL))[CHANNEL.encode()])


def auth(users: dict[str, tuple[str, uuid.UUID]], name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {users[name][0]}"}


async def test_one_subscription_per_process_and_updates_only_to_their_owner(web: Any) -> None:
    base, users, redis = web
    notifier = RedisNotifier(redis)
    # Others may listen on the channel too (the venue of scripts/services takes its prices from
    # it): what counts is that three streams add at most the process's one subscription.
    before = await subscribers(redis)
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        streams = [
            client.stream("GET", "/api/v1/stream?symbols=AAPL&heartbeat=30", headers=auth(users, name))
            for name in ("ann", "ann", "ben")
        ]
        responses = [await s.__aenter__() for s in streams]
        try:
            assert all(r.status_code == 200 for r in responses)
            assert await subscribers(redis) - before <= 1  # three connections, one subscription
            assert await subscribers(redis) >= 1
            await notifier.publish(users["ann"][1], "order", 1, {"id": "for-ann"})
            await notifier.publish(users["ben"][1], "order", 2, {"id": "for-ben"})
            for response, want in zip(responses, ("for-ann", "for-ann", "for-ben"), strict=True):
                frames = await asyncio.wait_for(read_events(response.aiter_lines(), 1), 5)
                assert frames[0][0] == "order" and json.loads(frames[0][1])["id"] == want
        finally:
            for s in streams:
                await s.__aexit__(None, None, None)


async def test_heartbeats_only_when_idle(web: Any) -> None:
    base, users, redis = web
    notifier = RedisNotifier(redis)
    async with (
        httpx.AsyncClient(base_url=base, timeout=10) as client,
        client.stream("GET", "/api/v1/stream?symbols=AAPL&heartbeat=0.3", headers=auth(users, "ben")) as response,
    ):
        lines = response.aiter_lines()
        idle = await asyncio.wait_for(read_events(lines, 1), 5)
        assert idle == [("comment", "heartbeat")]
        # A burst faster than the heartbeat interval: every frame is data, none a heartbeat.
        for i in range(20):
            await notifier.publish(users["ben"][1], "order", 100 + i, {"id": f"o{i}"})
        burst = await asyncio.wait_for(read_events(lines, 20), 5)
        assert [k for k, _ in burst] == ["order"] * 20
        assert [json.loads(d)["id"] for _, d in burst] == [f"o{i}" for i in range(20)]
