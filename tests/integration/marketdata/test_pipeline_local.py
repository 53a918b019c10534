"""The market-data pipeline end to end on the real servers, built from the processes' own
parts: a WebSocket exchange -> normalizer -> Kinesis producer (kinesalite) -> the worker's consumer
and market-data service -> Redis last price, PostgreSQL candles, Redis fan-out -> a web
process's SSE ``quote`` events and candles endpoint. Then: an expired price makes the risk check
refuse with a reason, and a restarted worker neither re-reads nor skips nor double-counts."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn
from redis.asyncio import Redis

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.redis.prices import RedisPriceCache
from tradewind.adapters.aws.redis.quotes import RedisQuoteWriter
from tradewind.adapters.aws.settings import Settings
from tradewind.adapters.broker.feeds.base import Backoff
from tradewind.adapters.broker.feeds.simulators.ws_exchange import WebSocketExchange
from tradewind.adapters.broker.feeds.ws_json import WebSocketJsonFeed
from tradewind.application.accounts.users import CreateUser
from tradewind.application.market.ingest import PriceIngest
from tradewind.application.market.observers import LastPriceObserver
from tradewind.application.market.service import MarketDataService
from tradewind.application.ports import Exposure, PriceBatch
from tradewind.application.risk.check import RiskCheck
from tradewind.apps.web.main import build_app
from tradewind.apps.worker.market_data import WorkerMarketData
from tradewind.domain.clock import utcnow
from tradewind.domain.errors import RiskRejected
from tradewind.domain.marketdata import Interval, PriceUpdate
from tradewind.domain.orders.commands import PlaceOrder
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

Eventually = Callable[..., Awaitable[Any]]
D = Decimal
pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def now_ms() -> int:
    return int(utcnow().timestamp() * 1000)


def tick(symbol: str, last: str, volume: int = 100, at_ms: int | None = None) -> PriceUpdate:
    p = D(last)
    return PriceUpdate(symbol, p - D("0.01"), p + D("0.01"), p, volume, now_ms() if at_ms is None else at_ms, "X")


async def sse_quotes(response: httpx.Response, out: list[dict[str, Any]]) -> None:
    event = ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:") and event == "quote":
            out.append(json.loads(line[5:]))


@pytest.fixture
async def web(md_settings: Settings, eventually: Eventually) -> AsyncIterator[tuple[str, str]]:
    setup: Any = build_adapters(md_settings)
    await setup.lifecycle().start(kafka=False)
    created = await CreateUser(setup.uow)(f"md-{uuid.uuid4().hex[:6]}", "1000")
    await setup.lifecycle().stop()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(md_settings), host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:
            return bool(server.started)

        await eventually(started, timeout=20, what="uvicorn to start")
        yield f"http://127.0.0.1:{port}", created.token
    finally:
        server.should_exit = True
        await task


class Pipeline:
    """The gateway's half (exchange feed -> producer) and the worker's half (consumer -> service)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.exchange = WebSocketExchange()
        self.gateway_side: Any = build_adapters(settings)
        self.worker_side: Any = build_adapters(settings)
        self.producer = self.gateway_side.price_producer()
        self.feed = WebSocketJsonFeed("", backoff=Backoff(0.02, 0.2))
        self.market: WorkerMarketData | None = None
        self._stop = asyncio.Event()
        self._feed_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.exchange.start()
        self.feed.url = self.exchange.url
        await self.producer.start()
        await self.start_worker()
        self._feed_task = asyncio.create_task(self.feed.run(PriceIngest([("stream", self.producer.put)]), self._stop))

    async def start_worker(self) -> None:
        await self.worker_side.lifecycle().start(kafka=False)
        self.market = WorkerMarketData(self.worker_side)
        await self.market.start()

    async def stop_worker(self) -> None:
        assert self.market is not None
        await self.market.stop()
        await self.worker_side.lifecycle().stop()
        self.worker_side = build_adapters(self.settings)  # a new process: new clients, same servers

    async def publish(self, *updates: PriceUpdate) -> None:
        for u in updates:
            self.exchange.publish(u)

    async def stop(self) -> None:
        self._stop.set()
        if self._feed_task is not None:
            await self._feed_task
        await self.producer.stop()
        if self.market is not None:
            await self.market.stop()
            await self.worker_side.lifecycle().stop()
        await self.exchange.stop()


@pytest.fixture
async def pipeline(md_settings: Settings, eventually: Eventually) -> AsyncIterator[Pipeline]:
    p = Pipeline(md_settings)
    await p.start()
    try:

        async def connected() -> bool:
            return p.exchange.subscribed >= 1 and p.market is not None and await p.market.consumer.ready()

        await eventually(connected, timeout=20, what="the feed and the consumer")
        yield p
    finally:
        await p.stop()


async def test_exchange_to_redis_candles_and_sse(
    pipeline: Pipeline, web: tuple[str, str], eventually: Eventually
) -> None:
    base, token = web
    auth = {"Authorization": f"Bearer {token}"}
    own = f"Z{uuid.uuid4().hex[:5].upper()}"  # a symbol only this test publishes (Redis is shared)
    prices = RedisPriceCache(Redis.from_url(pipeline.settings.redis_url))
    seen: list[dict[str, Any]] = []
    async with (
        httpx.AsyncClient(base_url=base, timeout=10) as client,
        client.stream("GET", "/api/v1/stream?symbols=AAPL&heartbeat=30", headers=auth) as response,
    ):
        reader = asyncio.create_task(sse_quotes(response, seen))
        try:
            marks = ["4321.01", "4321.02", "4321.03"]  # prices no real-history replay publishes
            minute = (now_ms() // 60_000) * 60_000
            await pipeline.publish(
                *(tick("AAPL", p, volume=10 * (n + 1), at_ms=minute + 1_000 * n) for n, p in enumerate(marks)),
                tick("MSFT", "4321.99"),
                tick(own, "12.5"),
            )

            async def newest() -> bool:
                return any(q["last"] == marks[-1] for q in seen)

            await eventually(newest, timeout=20, what="our newest AAPL quote on the SSE stream")
            ours = [q["last"] for q in seen if q["last"] in marks]
            assert ours == sorted(ours) and ours[-1] == marks[-1]  # in order; conflation may skip, never reorder
            assert all(q["symbol"] == "AAPL" for q in seen)  # MSFT was not asked for

            async def cached() -> Any:
                return await prices.get(own)

            quote = await eventually(cached, timeout=10, what="the last price in Redis")
            assert quote.last == D("12.5") and not quote.is_stale()

            async def candle() -> Any:
                r = await client.get("/api/v1/market/candles/AAPL?interval=1m&limit=500", headers=auth)
                ours = [c for c in r.json() if c["high"] == "4321.03"]
                return ours[0] if ours else None

            got = await eventually(candle, timeout=10, what="the forming 1m candle")
            assert (got["open"], got["low"], got["close"], got["volume"]) == ("4321.01", "4321.01", "4321.03", 60)
            assert got["closed"] is False
            assert got["start"] == datetime.fromtimestamp(minute / 1000, tz=UTC).isoformat().replace("+00:00", "Z")
        finally:
            reader.cancel()
            await prices._redis.aclose()


def buy(symbol: str) -> tuple[Order, Exposure]:
    cmd = PlaceOrder(uuid.uuid4(), symbol, OrderSide.BUY, 1, OrderType.MARKET, TimeInForce.DAY, "c")
    return Order.submit(cmd), Exposure(cash=D(10_000), positions={}, open_orders=[])


async def test_an_expired_redis_price_makes_the_risk_check_reject_with_a_reason(
    md_settings: Settings, eventually: Eventually
) -> None:
    redis = Redis.from_url(md_settings.redis_url)
    try:
        service = MarketDataService()
        service.register("last_price", LastPriceObserver(RedisQuoteWriter(redis, ttl_seconds=0.3)))
        risk = RiskCheck(RedisPriceCache(redis), [])
        own = f"Y{uuid.uuid4().hex[:5].upper()}"
        await service.on_batch(PriceBatch("shard", [(1, tick(own, "50"))]))
        await risk.check(*buy(own))  # a fresh mark: the check passes

        async def expired() -> bool:
            return await RedisPriceCache(redis).get(own) is None

        await eventually(expired, timeout=5, what="the key to expire")
        with pytest.raises(RiskRejected) as refused:
            await risk.check(*buy(own))
        assert refused.value.rule == "price_missing" and own in refused.value.detail
    finally:
        await redis.aclose()


async def test_a_restarted_worker_neither_rereads_nor_skips_nor_double_counts(
    pipeline: Pipeline, eventually: Eventually
) -> None:
    own = f"W{uuid.uuid4().hex[:5].upper()}"
    hour = (now_ms() // 3_600_000) * 3_600_000
    assert pipeline.market is not None
    await pipeline.publish(tick(own, "10", volume=1, at_ms=hour + 1), tick(own, "11", volume=2, at_ms=hour + 2))
    first = pipeline.market

    async def first_two() -> bool:
        counted = any(c.volume == 3 for c in first.candles.aggregator.open_candles(own))
        return counted and first.consumer.records >= 2  # handled and checkpointed

    await eventually(first_two, timeout=20, what="the first updates in the open candle")
    await pipeline.stop_worker()
    await pipeline.publish(tick(own, "9", volume=4, at_ms=hour + 3))  # while no worker runs
    await pipeline.producer.flush()
    await pipeline.start_worker()
    again = pipeline.market
    assert again is not None and again is not first

    async def caught_up() -> bool:
        counted = any(c.volume == 7 for c in again.candles.aggregator.open_candles(own))
        return counted and again.consumer.records >= 1  # handled and checkpointed

    await eventually(caught_up, timeout=20, what="the update put while stopped")
    [hour_candle] = [c for c in again.candles.aggregator.open_candles(own) if c.interval is Interval.H1]
    assert (hour_candle.open, hour_candle.high, hour_candle.low, hour_candle.close) == (D(10), D(11), D(9), D(9))
    assert hour_candle.updates == 3  # restored, then one more: nothing counted twice
    assert again.candles.replayed_skipped == 0  # resumed after the checkpoint: nothing read twice
