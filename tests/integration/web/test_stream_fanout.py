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


async def sleeping_stream(port: int, token: str, symbol: str) -> asyncio.StreamWriter:
    """A raw socket that sends its stream request and never reads a byte (a slow consumer)."""
    _unread, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /api/v1/stream?symbols={symbol} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    )
    await writer.drain()
    return writer


async def metric(port: int, name: str) -> float:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        text = (await client.get("/metrics")).text
    return sum(float(m.group(1)) for m in re.finditer(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", text, re.M))


async def test_a_client_that_stops_reading_is_cut_while_the_others_keep_flowing(web: Any, eventually: Any) -> None:
    port, users, redis = web
    notifier = RedisNotifier(redis)
    writer_sock = await sleeping_stream(port, users["sleeper"][0], "AAPL")
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


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    kind = ""
    async for line in lines:
        if line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            yield kind, dict(json.loads(line[5:]))


async def test_quotes_written_to_an_idle_stream_directly_keep_their_order_and_the_orders_between(
    web: Any, eventually: Any
) -> None:
    """The hub writes a quote to an idle stream's socket itself (``direct.py``); a stream with
    something pending goes through its writer. Either way the stream never shows a quote after a
    newer one, and the account's order updates all arrive, in order, among them."""
    port, users, redis = web
    token, account = users["reader"]
    notifier, quotes = RedisNotifier(redis), RedisQuoteBroadcaster(redis)
    async with (
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client,
        client.stream(
            "GET", "/api/v1/stream?symbols=JPM&heartbeat=30", headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        assert response.status_code == 200

        async def connected() -> bool:
            return await metric(port, "tradewind_sse_connections") == 1

        await eventually(connected, what="the stream to register")
        before = await metric(port, "tradewind_sse_direct_writes_total")
        for i in range(1, 61):
            price = Decimal("150.00") + Decimal(i) / 100
            await quotes.broadcast([Quote("JPM", price, price + Decimal("0.02"), price + Decimal("0.01"), utcnow())])
            if i % 6 == 0:
                await notifier.publish(account, "order", i // 6, {"id": f"o-{i // 6}"})
        seen_quotes: list[Decimal] = []
        seen_orders: list[str] = []

        async def read_all() -> None:
            async for kind, data in sse_events(response.aiter_lines()):
                if kind == "quote" and data.get("symbol") == "JPM":
                    seen_quotes.append(Decimal(data["last"]))
                elif kind == "order":
                    seen_orders.append(data["id"])
                if seen_orders[-1:] == ["o-10"] and seen_quotes[-1:] == [Decimal("150.61")]:
                    return

        await asyncio.wait_for(read_all(), 20)
    assert seen_orders == [f"o-{n}" for n in range(1, 11)]
    assert seen_quotes == sorted(set(seen_quotes))  # never an older quote after a newer one
    assert await metric(port, "tradewind_sse_direct_writes_total") > before


async def test_a_client_that_stops_reading_quotes_is_cut_once_its_socket_is_full(web: Any, eventually: Any) -> None:
    """Direct writes stop when the socket's buffer is full (uvicorn pauses writing); the quotes
    then wait for the stream's writer, whose write stalls, and the hub cuts the stream."""
    port, users, redis = web
    sleeper = await sleeping_stream(port, users["sleeper"][0], "KO")

    async def connected() -> bool:
        return await metric(port, "tradewind_sse_connections") == 1

    await eventually(connected, what="the sleeping stream to register")
    quotes = RedisQuoteBroadcaster(redis)
    step = 0

    async def cut() -> bool:
        nonlocal step
        for _ in range(10):  # ~150 KB of quotes a try, until the socket is full and the write stalls
            step += 1
            price = Decimal("60.00") + Decimal(step % 1000) / 100
            await quotes.broadcast([Quote("KO", price, price, price, utcnow())] * 100)
        return await metric(port, "tradewind_sse_cut_total") >= 1

    await eventually(cut, timeout=60, what="the sleeping quote client to be cut")
    assert await metric(port, "tradewind_sse_connections") == 0
    sleeper.close()
