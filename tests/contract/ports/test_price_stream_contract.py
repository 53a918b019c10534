"""The market-data stream contract (``PriceStreamProducer`` + ``PriceStreamConsumer``), run
against the in-process Kinesis twin and kinesalite with PostgreSQL checkpoints alike.

What the market-data service relies on: records of one symbol arrive in the order put, across a
stream of several shards; a shard's position is checkpointed only after the handler returned,
so a restarted consumer neither starts over nor skips; a handler that raises gets the batch
again; shards created by a split are read after their parent; a record that is no price update
is counted and skipped; a checkpoint that does not belong to the stream as it now exists
(recreated, another stream's, a gone shard) is counted and forgotten, and prices flow. Every test
has a stream of its own.
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
    """``None`` for the memory twin; the session's migrated database and kinesalite for the real one
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


async def recreate(twin: StreamTwin, eventually: Eventually, shards: int = 2) -> None:
    """Delete the stream and create it again under the same name (as a twin restarted empty, or an
    operator, would). AWS and kinesalite delete asynchronously, so the create is retried until it
    takes; and a shard's sequence numbers encode its creation time in whole seconds, so a stream
    recreated within the same second would be the old one to every client: recreate until the
    shards really are new (AWS itself takes longer than that to delete a stream)."""
    old = {s["ShardId"]: s["SequenceNumberRange"]["StartingSequenceNumber"] for s in await list_shards(twin)}

    async def created_anew() -> bool:
        await twin.client_call("delete_stream", StreamName=twin.stream)

        async def created() -> bool:
            try:
                await twin.client_call("create_stream", StreamName=twin.stream, ShardCount=shards)
            except Exception as exc:
                if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ResourceInUseException":
                    return False  # still DELETING
                raise
            return True

        await eventually(created, timeout=10, what="the stream to be deleted and created again")
        if not isinstance(twin.checkpoints, MemoryCheckpointStore):  # the real twin: CREATING for a moment
            async with twin.client_factory() as client:
                await wait_active(client, twin.stream)
        now = {s["ShardId"]: s["SequenceNumberRange"]["StartingSequenceNumber"] for s in await list_shards(twin)}
        return not set(old.items()) & set(now.items())

    await eventually(created_anew, timeout=15, interval=0.1, what="a stream whose shards are new")


def gone(twin: StreamTwin, stream: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        try:
            await twin.client_call("list_shards", StreamName=stream)
        except Exception as exc:
            if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ResourceNotFoundException":
                return True
            raise
        return False

    return check


async def list_shards(twin: StreamTwin) -> list[dict[str, Any]]:
    return list((await twin.client_call("list_shards", StreamName=twin.stream))["Shards"])


async def test_checkpoints_of_a_recreated_stream_are_forgotten_and_prices_flow(
    twin: StreamTwin, eventually: Eventually
) -> None:
    """Issue 12: after the stream was recreated, a restarted consumer must not wait for the old
    stream's sequence numbers; it counts each stale checkpoint and reads the new stream from its
    start, so nothing put since the recreation is lost."""
    producer = await twin.producer()
    old = [update(SYMBOLS[n % len(SYMBOLS)], n) for n in range(40)]
    received = Received()
    consumer = twin.consumer("recreated")
    await consumer.start(received)
    await put_all(producer, old)

    async def old_read() -> bool:
        return received.count() >= len(old)

    await eventually(old_read, timeout=20, what="the old stream's records")
    await consumer.stop()
    checkpointed = {s for s, p in (await twin.checkpoints.load("recreated", twin.stream)).items() if p.sequence_number}
    assert len(checkpointed) == 2

    await recreate(twin, eventually)
    new = [update(SYMBOLS[n % len(SYMBOLS)], 5_000 + n) for n in range(40)]
    await put_all(producer, new)  # put before the consumer is back: TRIM_HORIZON, not LATEST, keeps them
    again = Received()
    restarted = twin.consumer("recreated")
    await restarted.start(again)

    async def new_read() -> bool:
        return again.count() >= len(new)

    await eventually(new_read, timeout=20, what="the recreated stream's records")
    assert per_symbol(again.updates) == per_symbol(new)  # all of them, in order, none of the old stream
    assert restarted.stale_checkpoints == 2

    async def checkpointed_anew() -> bool:  # a shard's checkpoint is written after its handler returned
        fresh = await twin.checkpoints.load("recreated", twin.stream)
        return {s for s, p in fresh.items() if p.sequence_number} == checkpointed  # now of the new stream

    await eventually(checkpointed_anew, timeout=20, what="both shards checkpointed in the new stream")

    third = Received()
    once_more = twin.consumer("recreated")  # and the next restart resumes normally
    await once_more.start(third)
    await put_all(producer, [update("AAPL", 9_999)])

    async def resumed() -> bool:
        return third.count() >= 1

    await eventually(resumed, timeout=20, what="a record after a normal restart")
    assert [u.volume for u in third.updates] == [9_999] and once_more.stale_checkpoints == 0


async def test_a_checkpoint_of_another_stream_or_of_a_gone_shard_is_counted_and_skipped(
    twin: StreamTwin, eventually: Eventually
) -> None:
    """A sequence number the stream refuses (InvalidArgumentException: it did not come from this
    stream) and a checkpoint of a shard the stream does not have are both stale: counted, logged,
    forgotten, and prices flow."""
    other = f"{twin.stream}-other"
    ours = {s["SequenceNumberRange"]["StartingSequenceNumber"] for s in await list_shards(twin)}

    async def created_later() -> bool:  # sequence numbers encode the creation second: a later one
        await twin.client_call("create_stream", StreamName=other, ShardCount=2)
        if not isinstance(twin.checkpoints, MemoryCheckpointStore):
            async with twin.client_factory() as client:
                await wait_active(client, other)
        listed = (await twin.client_call("list_shards", StreamName=other))["Shards"]
        if not ours & {s["SequenceNumberRange"]["StartingSequenceNumber"] for s in listed}:
            return True
        await twin.client_call("delete_stream", StreamName=other)
        await eventually(gone(twin, other), timeout=10, what=f"{other} to be deleted")
        return False

    await eventually(created_later, timeout=15, interval=0.1, what="a second stream created a second later")
    try:
        put = await twin.client_call(
            "put_records", StreamName=other, Records=[{"Data": b"{}", "PartitionKey": s} for s in SYMBOLS]
        )
        by_shard = {r["ShardId"]: int(r["SequenceNumber"]) for r in put["Records"]}
        for shard_id, sequence in by_shard.items():  # newer than this stream's shards: no range check catches it
            await twin.checkpoints.save("foreign", twin.stream, shard_id, sequence)
        await twin.checkpoints.save("foreign", twin.stream, "shardId-000000000007", 42)
        producer = await twin.producer()
        received = Received()
        consumer = twin.consumer("foreign")
        await consumer.start(received)
        sent = [update(SYMBOLS[n % len(SYMBOLS)], n) for n in range(16)]
        await put_all(producer, sent)

        async def flowing() -> bool:
            return received.count() >= len(sent)

        await eventually(flowing, timeout=20, what="prices despite foreign checkpoints")
        assert per_symbol(received.updates) == per_symbol(sent)
        assert consumer.stale_checkpoints == len(by_shard) + 1
        assert "shardId-000000000007" not in await twin.checkpoints.load("foreign", twin.stream)
    finally:
        await twin.client_call("delete_stream", StreamName=other)
