"""The market-data stream contract (``PriceStreamProducer`` + ``PriceStreamConsumer``), run
against the in-process Kinesis twin and moto's Kinesis with PostgreSQL checkpoints alike.

What the market-data service relies on: records of one symbol arrive in the order put, across a
stream of several shards; a shard's position is checkpointed only after the handler returned,
so a restarted consumer neither starts over nor skips; a handler that raises gets the batch
again; shards created by a split are read after their parent; a record that is no price update
is counted and skipped. Every test has a stream of its own (moto's stream is shared otherwise).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from tradewind.adapters.aws.kinesis.checkpoints import CheckpointStore, PgCheckpointStore
from tradewind.adapters.aws.kinesis.clients import kinesis_client_factory, wait_active
from tradewind.adapters.aws.kinesis.consumer import KinesisPriceConsumer
from tradewind.adapters.aws.kinesis.producer import KinesisPriceProducer
from tradewind.adapters.aws.memory.kinesis import MemoryCheckpointStore, MemoryKinesis
from tradewind.adapters.aws.settings import Settings
from tradewind.application.ports import PriceBatch
from tradewind.domain.clock import utcnow
from tradewind.domain.marketdata import PriceUpdate

Eventually = Callable[..., Awaitable[Any]]
SYMBOLS = ["AAPL", "MSFT", "JPM", "XOM", "KO", "AMD", "GE", "PG"]


@dataclass
class StreamTwin:
    client_factory: Any
    stream: str
    checkpoints: CheckpointStore
    producers: list[KinesisPriceProducer]
    consumers: list[KinesisPriceConsumer]

    async def producer(self) -> KinesisPriceProducer:
        producer = KinesisPriceProducer(self.client_factory, self.stream, linger=0.005, backoff=0.01)
        await producer.start()
        self.producers.append(producer)
        return producer

    def consumer(self, name: str) -> KinesisPriceConsumer:
        consumer = KinesisPriceConsumer(
            self.client_factory,
            self.stream,
            self.checkpoints,
            name,
            poll_interval=0.02,
            shard_refresh=0.2,
            retry_delay=0.02,
            initial_position="TRIM_HORIZON",
        )
        self.consumers.append(consumer)
        return consumer

    async def client_call(self, method: str, **kwargs: Any) -> Any:
        async with self.client_factory() as client:
            return await getattr(client, method)(**kwargs)


@pytest.fixture(params=["memory", "kinesis"])
def real_settings(request: pytest.FixtureRequest) -> Settings | None:
    """``None`` for the memory twin; the session's migrated database and moto for the real one
    (resolved here, outside the event loop, because the session fixture runs its own)."""
    return None if request.param == "memory" else request.getfixturevalue("local_settings")


@pytest.fixture
async def twin(real_settings: Settings | None) -> AsyncIterator[StreamTwin]:
    stream = f"test-md-{uuid.uuid4().hex[:8]}"
    pool: asyncpg.Pool | None = None
    if real_settings is None:
        kinesis = MemoryKinesis(long_poll=0.05)
        factory = kinesis.client()
        checkpoints: CheckpointStore = MemoryCheckpointStore()
    else:
        settings = real_settings
        factory = kinesis_client_factory(
            endpoint_url=settings.kinesis_endpoint_url,
            region=settings.aws_region,
            access_key_id=settings.aws_access_key_id,
            secret_access_key=settings.aws_secret_access_key,
        )
        pool = await asyncpg.create_pool(settings.pg_dsn, min_size=1, max_size=4)
        checkpoints = PgCheckpointStore(pool)
    twin = StreamTwin(factory, stream, checkpoints, [], [])
    await twin.client_call("create_stream", StreamName=stream, ShardCount=2)
    if real_settings is not None:
        async with factory() as client:
            await wait_active(client, stream)
    try:
        yield twin
    finally:
        for consumer in twin.consumers:
            await consumer.stop()
        for producer in twin.producers:
            await producer.stop()
        await twin.client_call("delete_stream", StreamName=stream)
        if pool is not None:
            await pool.close()


class Received:
    """Records every batch; raises on the attempts ``fail(attempt)`` picks."""

    def __init__(self, fail: Callable[[int], bool] = lambda attempt: False) -> None:
        self.batches: list[PriceBatch] = []
        self.attempts = 0
        self._fail = fail

    async def __call__(self, batch: PriceBatch) -> None:
        self.attempts += 1
        if self._fail(self.attempts):
            raise RuntimeError("handler failed on purpose")
        self.batches.append(batch)

    @property
    def updates(self) -> list[PriceUpdate]:
        return [u for b in self.batches for _, u in b.records]

    def count(self) -> int:
        return sum(len(b.records) for b in self.batches)


def update(symbol: str, n: int) -> PriceUpdate:
    price = Decimal(100) + Decimal(n) / 100
    ts = int(utcnow().timestamp() * 1000)
    return PriceUpdate(symbol, price - Decimal("0.01"), price + Decimal("0.01"), price, n, ts, "TEST")


async def put_all(producer: KinesisPriceProducer, updates: list[PriceUpdate]) -> None:
    for u in updates:
        await producer.put(u)
    await producer.flush()


def per_symbol(updates: list[PriceUpdate]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for u in updates:
        out.setdefault(u.symbol, []).append(u.volume)
    return out


async def test_each_symbol_arrives_in_order_across_shards(twin: StreamTwin, eventually: Eventually) -> None:
    producer = await twin.producer()
    sent = [update(SYMBOLS[n % len(SYMBOLS)], n) for n in range(1_200)]  # more than two put_records batches
    received = Received()
    consumer = twin.consumer("order")
    await consumer.start(received)
    await put_all(producer, sent)

    async def everything() -> bool:
        return received.count() >= len(sent)

    await eventually(everything, timeout=30, what="every record")
    assert received.count() == len(sent)
    assert per_symbol(received.updates) == per_symbol(sent)
    assert len({b.shard_id for b in received.batches}) >= 2  # the symbols really spread over shards
    assert producer.sent == len(sent) and producer.dropped == 0


async def test_a_restart_resumes_after_the_checkpoint(twin: StreamTwin, eventually: Eventually) -> None:
    producer = await twin.producer()
    first = [update(SYMBOLS[n % 4], n) for n in range(40)]
    received = Received()
    consumer = twin.consumer("restart")
    await consumer.start(received)
    await put_all(producer, first)

    async def first_read() -> bool:
        return received.count() >= len(first)

    await eventually(first_read, timeout=20, what="the first records")
    await consumer.stop()

    second = [update(SYMBOLS[n % 4], 1_000 + n) for n in range(40)]
    await put_all(producer, second)  # put while no consumer runs
    again = Received()
    await twin.consumer("restart").start(again)

    async def second_read() -> bool:
        return again.count() >= len(second)

    await eventually(second_read, timeout=20, what="the records put while stopped")
    assert sorted(u.volume for u in again.updates) == sorted(u.volume for u in second)  # none again, none lost
    assert per_symbol(again.updates) == per_symbol(second)


async def test_a_handler_that_raises_gets_the_batch_again(twin: StreamTwin, eventually: Eventually) -> None:
    producer = await twin.producer()
    sent = [update("AAPL", n) for n in range(5)]
    received = Received(fail=lambda attempt: attempt <= 2)
    consumer = twin.consumer("retry")
    await consumer.start(received)
    await put_all(producer, sent)

    async def delivered() -> bool:
        return received.count() >= len(sent)

    await eventually(delivered, timeout=20, what="the batch after two failures")
    assert [u.volume for u in received.updates] == [0, 1, 2, 3, 4]
    assert consumer.handler_failures == 2


async def test_a_new_consumer_starts_at_its_first_start_and_keeps_that_across_a_restart(
    twin: StreamTwin, eventually: Eventually
) -> None:
    producer = await twin.producer()
    await put_all(producer, [update("KO", 1)])  # before the consumer ever started: not for it
    latest = KinesisPriceConsumer(
        twin.client_factory, twin.stream, twin.checkpoints, "latest", poll_interval=0.02, initial_position="LATEST"
    )
    twin.consumers.append(latest)
    await latest.start(Received())
    await latest.stop()  # stopped before reading anything: no sequence checkpoint yet
    await put_all(producer, [update("KO", 2), update("KO", 3)])
    received = Received()
    again = KinesisPriceConsumer(
        twin.client_factory, twin.stream, twin.checkpoints, "latest", poll_interval=0.02, initial_position="LATEST"
    )
    twin.consumers.append(again)
    await again.start(received)

    async def two() -> bool:
        return received.count() >= 2

    await eventually(two, timeout=20, what="the records put after the first start")
    assert [u.volume for u in received.updates] == [2, 3]


async def test_after_a_split_the_new_shards_are_known_and_nothing_is_lost(
    twin: StreamTwin, eventually: Eventually
) -> None:
    """Both twins: the consumer discovers the children and every later record still arrives, in
    order per symbol. Where records go after a split differs (moto keeps routing them to the
    closed parent; AWS and the memory twin to the children), so which shard served them is
    asserted in the memory twin's own test (tests/unit/adapters/test_memory_kinesis.py)."""
    producer = await twin.producer()
    received = Received()
    consumer = twin.consumer("split")
    await consumer.start(received)
    before = [update(SYMBOLS[n % len(SYMBOLS)], n) for n in range(80)]
    await put_all(producer, before)

    async def read_before() -> bool:
        return received.count() >= len(before)

    await eventually(read_before, timeout=20, what="the records before the split")
    shards = (await twin.client_call("list_shards", StreamName=twin.stream))["Shards"]
    parent = shards[0]
    lo, hi = int(parent["HashKeyRange"]["StartingHashKey"]), int(parent["HashKeyRange"]["EndingHashKey"])
    await twin.client_call(
        "split_shard", StreamName=twin.stream, ShardToSplit=parent["ShardId"], NewStartingHashKey=str((lo + hi) // 2)
    )
    before_ids = {s["ShardId"] for s in shards}

    async def split_done() -> set[str]:  # AWS and kinesalite split asynchronously (UPDATING, then ACTIVE)
        listed = (await twin.client_call("list_shards", StreamName=twin.stream))["Shards"]
        return {s["ShardId"] for s in listed} - before_ids

    children = await eventually(split_done, timeout=10, what="the split's two children")
    assert len(children) == 2

    async def discovered() -> bool:
        return children <= consumer.known_shards()

    await eventually(discovered, timeout=20, what="the consumer to list the children")
    after = [update(SYMBOLS[n % len(SYMBOLS)], 10_000 + n) for n in range(80)]
    await put_all(producer, after)

    async def read_after() -> bool:
        return {u.volume for u in after} <= {u.volume for u in received.updates}

    await eventually(read_after, timeout=30, what="the records put after the split")
    late = [u for u in received.updates if u.volume >= 10_000]
    assert per_symbol(late) == per_symbol(after)  # none twice, order per symbol holds through the split


async def test_a_record_that_is_no_price_update_is_counted_and_skipped(
    twin: StreamTwin, eventually: Eventually
) -> None:
    received = Received()
    consumer = twin.consumer("garbage")
    await consumer.start(received)
    await twin.client_call(
        "put_records",
        StreamName=twin.stream,
        Records=[
            {"Data": b"not json", "PartitionKey": "AAPL"},
            {"Data": b'{"symbol":"AAPL","bid":1.5}', "PartitionKey": "AAPL"},
        ],
    )
    producer = await twin.producer()
    await put_all(producer, [update("AAPL", 7)])

    async def good_one() -> bool:
        return received.count() >= 1

    await eventually(good_one, timeout=20, what="the valid record after the garbage")
    assert [u.volume for u in received.updates] == [7]
    assert consumer.undecodable == 2
