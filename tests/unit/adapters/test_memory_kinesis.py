"""The producer and consumer on the in-process Kinesis twin, where AWS behaviour that moto does
not have can be shown: per-record failures (only the failed records are sent again) and a split
whose children are read only after the parent was read to its end."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

from tradewind.adapters.aws.kinesis.consumer import KinesisPriceConsumer
from tradewind.adapters.aws.kinesis.producer import KinesisPriceProducer
from tradewind.adapters.aws.memory.kinesis import MemoryCheckpointStore, MemoryKinesis
from tradewind.application.ports import PriceBatch
from tradewind.domain.marketdata import PriceUpdate

STREAM = "md"
TS = 1_700_000_000_000


def update(symbol: str, n: int) -> PriceUpdate:
    p = Decimal(100 + n)
    return PriceUpdate(symbol, p, p + Decimal("0.02"), p, n, TS + n, "TEST")


class Recorder:
    def __init__(self) -> None:
        self.batches: list[PriceBatch] = []
        self.arrived = asyncio.Event()

    async def __call__(self, batch: PriceBatch) -> None:
        self.batches.append(batch)
        self.arrived.set()

    def volumes(self) -> list[int]:
        return [u.volume for b in self.batches for _, u in b.records]

    async def until(self, n: int) -> None:
        async with asyncio.timeout(10):
            while len(self.volumes()) < n:
                self.arrived.clear()
                await self.arrived.wait()


async def test_only_the_failed_records_are_sent_again() -> None:
    kinesis = MemoryKinesis(streams={STREAM: 2})
    attempts: dict[str, int] = {}

    def throttle_odd_once(record: dict[str, Any]) -> bool:
        n = PriceUpdate.from_dict(json.loads(record["Data"])).volume
        attempts[str(n)] = attempts.get(str(n), 0) + 1
        return n % 2 == 1 and attempts[str(n)] == 1

    kinesis.fail_records(throttle_odd_once)
    producer = KinesisPriceProducer(kinesis.client(), STREAM, linger=0, backoff=0.001)
    await producer.start()
    try:
        for n in range(10):
            await producer.put(update("AAPL", n))
        await producer.flush()
    finally:
        await producer.stop()
    assert producer.sent == 10 and producer.retried == 5 and producer.dropped == 0
    assert all(count == (2 if int(n) % 2 else 1) for n, count in attempts.items())  # evens once, odds twice


async def test_records_that_keep_failing_are_dropped_and_counted() -> None:
    kinesis = MemoryKinesis(streams={STREAM: 1})
    kinesis.fail_records(lambda record: record["PartitionKey"] == "BAD")
    producer = KinesisPriceProducer(kinesis.client(), STREAM, linger=0, backoff=0.001, max_attempts=3)
    await producer.start()
    try:
        await producer.put(update("BAD", 1))
        await producer.put(update("GOOD", 2))
        await producer.flush()
    finally:
        await producer.stop()
    assert (producer.sent, producer.dropped, producer.retried) == (1, 1, 2)


async def test_children_are_read_after_their_parent_is_read_to_its_end() -> None:
    kinesis = MemoryKinesis(streams={STREAM: 1}, long_poll=0.05)
    producer = KinesisPriceProducer(kinesis.client(), STREAM, linger=0)
    consumer = KinesisPriceConsumer(
        kinesis.client(), STREAM, MemoryCheckpointStore(), "c", poll_interval=0, shard_refresh=0.05,
        initial_position="TRIM_HORIZON",
    )  # fmt: skip
    received = Recorder()
    await producer.start()
    try:
        for n in range(20):
            await producer.put(update("AAPL" if n % 2 else "MSFT", n))
        await producer.flush()
        await kinesis.split_shard(
            StreamName=STREAM, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127)
        )
        for n in range(20, 40):
            await producer.put(update("AAPL" if n % 2 else "MSFT", n))
        await producer.flush()
        await consumer.start(received)  # starts late: the parent still holds unread records
        await received.until(40)
    finally:
        await consumer.stop()
        await producer.stop()
    shards = [b.shard_id for b in received.batches]
    assert shards[0] == "shardId-000000000000" and set(shards[1:]) <= {"shardId-000000000001", "shardId-000000000002"}
    assert sorted(received.volumes()) == list(range(40))
    for sym in ("AAPL", "MSFT"):
        vols = [u.volume for b in received.batches for _, u in b.records if u.symbol == sym]
        assert vols == sorted(vols)
    assert consumer.positions()["shardId-000000000000"].finished
