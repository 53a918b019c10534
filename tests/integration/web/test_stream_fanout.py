"""The SSE fan-out on the real Redis and a real uvicorn: a client that stops reading is cut (and
counted in /metrics) while other streams keep flowing; a new stream's snapshot comes from what
the process's one subscription already delivered, not from a Redis round trip of its own."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn
from redis.asyncio import Redis

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.redis.notifier import RedisNotifier
from tradewind.adapters.aws.redis.quotes import RedisQuoteBroadcaster
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.apps.web.main import build_app
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def web(local_settings: Settings, eventually: Any) -> AsyncIterator[tuple[int, dict[str, Any], Redis]]:
    setup: Any = build_adapters(local_settings)
    await setup.lifecycle().start(kafka=False)
    users = {}
    for name in ("reader", "sleeper"):
        created = await CreateUser(setup.uow)(f"{name}-{uuid.uuid4().hex[:6]}", "1000")
        users[name] = (created.token, created.account.id)
    await setup.lifecycle().stop()
    settings = local_settings.model_copy(update={"sse_stall_s": 0.5, "sse_max_pending": 10_000})
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(settings), host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    redis = Redis.from_url(local_settings.redis_url)
    try:

        async def started() -> bool:
            return bool(server.started)

        await eventually(started, timeout=20, what="uvicorn to start")
        yield port, users, redis
    finally:
        server.should_exit = True
        await task
        await redis.aclose()


async def metric(port: int, name: str) -> float:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        text = (await client.get("/metrics")).text
    return sum(float(m.group(1)) for m in re.finditer(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", text, re.M))


async def test_a_client_that_stops_reading_is_cut_while_the_others_keep_flowing(web: Any, eventually: Any) -> None:
    port, users, redis = web
    notifier = RedisNotifier(redis)
    # The sleeper: a raw socket that sends its request and never reads a byte.
    _unread, writer_sock = await asyncio.open_connection("127.0.0.1", port)
    writer_sock.write(
        f"GET /api/v1/stream?symbols=AAPL HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {users['sleeper'][0]}\r\n\r\n".encode()
    )
    await writer_sock.drain()
    async with (
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client,
        client.stream(
            "GET", "/api/v1/stream?symbols=AAPL&heartbeat=30", headers={"Authorization": f"Bearer {users['reader'][0]}"}
        ) as response,
    ):
        assert response.status_code == 200

        async def both_connected() -> bool:
            return await metric(port, "tradewind_sse_connections") == 2

        await eventually(both_connected, what="both streams to register")
        blob = "x" * 65_536
        sent = 0

        async def sleeper_cut() -> bool:
            nonlocal sent
            for _ in range(20):  # 1.3 MB more for the sleeper each try, until its socket is full
                sent += 1
                await notifier.publish(users["sleeper"][1], "order", sent, {"id": sent, "pad": blob})
            return await metric(port, "tradewind_sse_cut_total") >= 1

        await eventually(sleeper_cut, timeout=60, what="the sleeping client to be cut")
        assert await metric(port, "tradewind_sse_connections") == 1
        await notifier.publish(users["reader"][1], "order", 1, {"id": "still-flowing"})
        lines = response.aiter_lines()

        async def next_order() -> dict[str, Any]:
            async for line in lines:
                if line.startswith("data:"):
                    return dict(json.loads(line[5:]))
            raise AssertionError("stream ended")

        assert (await asyncio.wait_for(next_order(), 10))["id"] == "still-flowing"
    writer_sock.close()


async def first_data(client: httpx.AsyncClient, token: str) -> dict[str, Any] | None:
    """The first ``data:`` of a new MSFT stream, or None when a heartbeat comes first."""
    async with client.stream(
        "GET", "/api/v1/stream?symbols=MSFT&heartbeat=0.3", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        async for line in response.aiter_lines():
            if line.startswith(":"):
                return None
            if line.startswith("data:"):
                return dict(json.loads(line[5:]))
    return None


async def test_new_streams_snapshots_are_served_from_the_feed_without_a_fetch_each(web: Any, eventually: Any) -> None:
    port, users, redis = web
    quote = Quote("MSFT", Decimal("411.10"), Decimal("411.12"), Decimal("411.11"), utcnow())
    token = users["reader"][0]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:

        async def delivered() -> bool:  # the process's subscription has seen it (nothing in the price cache)
            await RedisQuoteBroadcaster(redis).broadcast([quote])
            data = await first_data(client, token)
            return data is not None and data["last"] == "411.11"

        await eventually(delivered, what="the fed quote in a new stream's snapshot")
        fetches = await metric(port, "tradewind_sse_snapshot_fetches_total")
        for _ in range(5):
            assert (await first_data(client, token) or {}).get("last") == "411.11"
        assert await metric(port, "tradewind_sse_snapshot_fetches_total") == fetches  # five streams, no fetch
