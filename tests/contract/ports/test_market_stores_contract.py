"""Contracts of the market-data stores, each run against its in-memory twin and the real one:
``CheckpointStore`` (PostgreSQL), ``CandleStore`` (PostgreSQL), ``QuoteWriter`` and
``QuoteBroadcaster`` (Redis).

What the consumer and the service rely on: a checkpoint never moves back and ``finished``
sticks; a consumer's first start is remembered; candles come back exactly as saved, newest
first, pageable, a closed candle is never reopened, progress only moves forward; quotes written
in a batch read back through the ``PriceCache`` with its TTL; broadcast quotes reach a listener
in the ``Notifier``'s message shape.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis

from tradewind.adapters.aws.kinesis.checkpoints import CheckpointStore, PgCheckpointStore, ShardPosition
from tradewind.adapters.aws.memory.candles import MemoryCandleStore
from tradewind.adapters.aws.memory.kinesis import MemoryCheckpointStore
from tradewind.adapters.aws.memory.notifier import MemoryNotifier
from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.memory.quotes import MemoryQuoteBroadcaster, MemoryQuoteWriter
from tradewind.adapters.aws.postgres.candles import PgCandleStore
from tradewind.adapters.aws.redis.notifier import RedisUpdateListener
from tradewind.adapters.aws.redis.prices import RedisPriceCache
from tradewind.adapters.aws.redis.quotes import RedisQuoteBroadcaster, RedisQuoteWriter
from tradewind.adapters.aws.settings import Settings
from tradewind.application.ports import CandleStore, PriceCache, QuoteBroadcaster, QuoteWriter
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote
from tradewind.domain.marketdata import Candle, Interval

D = Decimal
Eventually = Callable[..., Awaitable[Any]]
T0 = int(datetime(2024, 3, 4, 15, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture(params=["memory", "real"])
def real_settings(request: pytest.FixtureRequest) -> Settings | None:
    """``None`` for the twins; the session's migrated database, Redis and moto for the real ones."""
    return None if request.param == "memory" else request.getfixturevalue("local_settings")


@pytest.fixture
async def pool(real_settings: Settings | None) -> AsyncIterator[asyncpg.Pool | None]:
    if real_settings is None:
        yield None
        return
    pool = await asyncpg.create_pool(real_settings.pg_dsn, min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


def symbol() -> str:
    return f"T{uuid.uuid4().hex[:6].upper()}"


# -- checkpoints -----------------------------------------------------------------------------


@pytest.fixture
def checkpoints(pool: asyncpg.Pool | None) -> CheckpointStore:
    return MemoryCheckpointStore() if pool is None else PgCheckpointStore(pool)


async def test_a_checkpoint_only_moves_forward_and_finished_sticks(checkpoints: CheckpointStore) -> None:
    consumer, stream = f"c-{uuid.uuid4().hex[:6]}", "s"
    assert await checkpoints.load(consumer, stream) == {}
    await checkpoints.save(consumer, stream, "shard-a", 10)
    await checkpoints.save(consumer, stream, "shard-a", 7)  # a late save of an older position
    await checkpoints.save(consumer, stream, "shard-b", 2**100)  # Kinesis numbers go past 64 bits
    await checkpoints.save(consumer, stream, "shard-b", None, finished=True)
    await checkpoints.save(consumer, stream, "shard-b", 5)
    assert await checkpoints.load(consumer, stream) == {
        "shard-a": ShardPosition(10),
        "shard-b": ShardPosition(2**100, finished=True),
    }
    assert await checkpoints.load(consumer, "other-stream") == {}


async def test_the_first_start_is_remembered(checkpoints: CheckpointStore) -> None:
    consumer = f"c-{uuid.uuid4().hex[:6]}"
    first = datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert await checkpoints.first_started(consumer, "s", first) == first
    assert await checkpoints.first_started(consumer, "s", first + timedelta(hours=1)) == first


# -- candles ---------------------------------------------------------------------------------


@pytest.fixture
def candle_store(pool: asyncpg.Pool | None) -> CandleStore:
    source = f"src-{uuid.uuid4().hex[:6]}"
    return MemoryCandleStore(source=source) if pool is None else PgCandleStore(pool, source=source)


def candle(sym: str, minute: int, close: str = "101.25", closed: bool = True) -> Candle:
    start = T0 + minute * 60_000
    return Candle(
        sym, Interval.M1, start, D("100.10"), D("102"), D("99.5"), D(close), 1_500, 3, start + 1, start + 59_000, closed
    )


async def test_candles_come_back_exactly_newest_first_and_page(candle_store: CandleStore) -> None:
    sym = symbol()
    saved = [candle(sym, m) for m in range(5)]
    await candle_store.save(saved, {})
    got = await candle_store.list_candles(sym, Interval.M1, limit=3)
    assert got == saved[::-1][:3]
    assert [str(c.open) for c in got] == ["100.10"] * 3
    older = await candle_store.list_candles(sym, Interval.M1, limit=3, before_ms=got[-1].start_ms)
    assert older == saved[1::-1]
    assert await candle_store.list_candles(sym, Interval.M5) == []


async def test_an_open_candle_is_updated_and_a_closed_one_never_reopens(candle_store: CandleStore) -> None:
    sym = symbol()
    forming = candle(sym, 0, close="101", closed=False)
    await candle_store.save([forming], {})
    await candle_store.save([replace(forming, close=D("103"), volume=2_000)], {})
    [open_now] = await candle_store.list_candles(sym, Interval.M1)
    assert open_now.close == D("103") and not open_now.closed
    final = replace(forming, close=D("104"), closed=True)
    await candle_store.save([final], {})
    await candle_store.save([replace(forming, close=D("1"))], {})  # a stale open version arrives late
    assert await candle_store.list_candles(sym, Interval.M1) == [final]


async def test_open_candles_and_progress_load_back(candle_store: CandleStore) -> None:
    sym = symbol()
    forming, done = candle(sym, 1, closed=False), candle(sym, 0)
    await candle_store.save([done, forming], {"shard-1": 41, "shard-2": 2**90})
    await candle_store.save([], {"shard-1": 40})  # never backwards
    candles, progress = await candle_store.load_open()
    assert forming in candles and done not in candles
    assert progress == {"shard-1": 41, "shard-2": 2**90}


# -- quotes ----------------------------------------------------------------------------------


@dataclass
class QuoteTwins:
    writer: QuoteWriter
    cache: PriceCache
    broadcaster: QuoteBroadcaster
    listen: Callable[[Callable[[dict[str, Any]], Awaitable[None]]], Any]


@pytest.fixture
async def quotes(real_settings: Settings | None) -> AsyncIterator[QuoteTwins]:
    if real_settings is None:
        cache, notifier = MemoryPriceCache(ttl_seconds=0.3), MemoryNotifier()
        yield QuoteTwins(MemoryQuoteWriter(cache), cache, MemoryQuoteBroadcaster(notifier), notifier.listen)
        return
    redis = Redis.from_url(real_settings.redis_url)
    channel = f"test-updates-{uuid.uuid4().hex[:6]}"
    listener = RedisUpdateListener(redis, channel=channel)
    await listener.start()
    try:
        yield QuoteTwins(
            RedisQuoteWriter(redis, ttl_seconds=0.3),
            RedisPriceCache(redis),
            RedisQuoteBroadcaster(redis, channel=channel),
            listener.listen,
        )
    finally:
        await listener.stop()
        await redis.aclose()


def quote(sym: str, last: str) -> Quote:
    price = D(last)
    return Quote(sym, price - D("0.01"), price + D("0.01"), price, utcnow())


async def test_written_quotes_read_back_and_expire(quotes: QuoteTwins, eventually: Eventually) -> None:
    batch = [quote(symbol(), "10.5"), quote(symbol(), "2000.1234")]
    await quotes.writer.put_many(batch)
    await quotes.writer.put_many([])
    assert await quotes.cache.get_many([q.symbol for q in batch]) == {q.symbol: q for q in batch}

    async def expired() -> bool:
        return await quotes.cache.get_many([q.symbol for q in batch]) == {}

    await eventually(expired, timeout=5, what="the quotes to expire")


async def test_broadcast_quotes_reach_a_listener_in_order(quotes: QuoteTwins, eventually: Eventually) -> None:
    sym = symbol()
    seen: list[dict[str, Any]] = []

    async def listener(message: dict[str, Any]) -> None:
        if message["data"].get("symbol") == sym:
            seen.append(message)

    quotes.listen(listener)
    batch = [quote(sym, str(100 + n)) for n in range(5)]
    await quotes.broadcaster.broadcast(batch)

    async def all_five() -> bool:
        await asyncio.sleep(0)
        return len(seen) >= 5

    await eventually(all_five, timeout=5, what="five quotes")
    assert [m["data"]["last"] for m in seen] == ["100", "101", "102", "103", "104"]
    assert all(m["kind"] == "quote" and m["account_id"] is None and m["seq"] is None for m in seen)
    assert Quote.from_dict(seen[0]["data"]) == batch[0]
