"""Positions and audit benchmark (issue 6). Prints numbers; asserts nothing.

1. Fills/s applied to the position view: memory twin (the pipeline's own cost) and DynamoDB on
   moto (fresh table), beside moto's own TransactWriteItems rate measured in the same run.
2. Events/s archived: memory twins, and Kafka -> Parquet -> S3 (moto) on a fresh topic, beside a
   raw Kafka read of the same records and raw S3 puts of the same bytes.
3. Position update lag (fill occurred_at -> view updated) at a steady 200 fills/s: in-process bus
   with the memory view, and real Kafka with the DynamoDB (moto) view.

    scripts/services up && uv run tradewind infra init
    uv run python bench/positions_bench.py
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from decimal import Decimal
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tradewind.adapters.aws.audit.parquet import ParquetAuditArchive
from tradewind.adapters.aws.aws_clients import AwsClients
from tradewind.adapters.aws.dynamodb.positions import DynamoPositionStore
from tradewind.adapters.aws.kafka.consumers import KafkaSubscriptions
from tradewind.adapters.aws.kafka.log import KafkaPartitionedLog
from tradewind.adapters.aws.kafka.publisher import KafkaEventPublisher
from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.log import MemoryLogOffsets, MemoryPartitionedLog
from tradewind.adapters.aws.memory.notifier import MemoryNotifier
from tradewind.adapters.aws.memory.objects import MemoryObjectStore
from tradewind.adapters.aws.memory.positions import MemoryPositionStore
from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.provisioning import aws_session
from tradewind.adapters.aws.s3.objects import S3ObjectStore
from tradewind.adapters.aws.settings import Settings
from tradewind.application.audit.archiver import AuditArchiver
from tradewind.application.messaging import order_event_handler
from tradewind.application.positions.ports import PositionStore
from tradewind.application.positions.service import PositionService
from tradewind.application.topics import ORDER_FILLED
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.events import OrderFilled
from tradewind.domain.orders.status import OrderSide

SYMBOLS = ["AAPL", "MSFT", "JPM", "KO", "XOM"]


def make_fill(i: int, accounts: list[uuid.UUID]) -> OrderFilled:
    order_id = uuid.uuid4()
    qty = 1 + i % 9
    price = Decimal(100 + i % 37) + Decimal(i % 100) / 100
    return OrderFilled(
        account_id=accounts[i % len(accounts)],
        correlation_id=order_id,
        order_id=order_id,
        symbol=SYMBOLS[i % len(SYMBOLS)],
        fill_id=f"E-{i}",
        side=OrderSide.BUY if i % 3 else OrderSide.SELL,
        fill_qty=qty,
        fill_price=price,
        cum_qty=qty,
        avg_price=price,
        leaves_qty=0,
        order_qty=qty,
        broker_order_id=f"B-{i}",
    )


def clients(settings: Settings) -> AwsClients:
    return AwsClients(
        region=settings.aws_region,
        access_key_id=settings.aws_access_key_id,
        secret_access_key=settings.aws_secret_access_key,
        endpoint_url=settings.aws_endpoint_url,
    )


async def fresh_table(settings: Settings) -> str:
    name = f"tw-bench-positions-{uuid.uuid4().hex[:8]}"
    async with aws_session(settings).client("dynamodb", endpoint_url=settings.aws_endpoint_url) as ddb:
        await ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    return name


async def drop_table(settings: Settings, name: str) -> None:
    async with aws_session(settings).client("dynamodb", endpoint_url=settings.aws_endpoint_url) as ddb:
        await ddb.delete_table(TableName=name)


async def moto_transact_rate(aws: AwsClients, table: str, n: int = 50) -> float:
    """moto's ceiling: the same two-put transaction, no read, no logic, at the table's current size."""
    ddb = await aws.client("dynamodb")
    pk = {"S": f"CEILING#{uuid.uuid4()}"}
    started = time.perf_counter()
    for i in range(n):
        await ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": pk, "sk": {"S": f"FILL#{i}"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {"Put": {"TableName": table, "Item": {"pk": pk, "sk": {"S": "POS#X"}, "version": {"N": str(i)}}}},
            ]
        )
    return n / (time.perf_counter() - started)


def service(store: PositionStore, publisher: Any) -> PositionService:
    return PositionService(store, publisher, MemoryNotifier(), MemoryPriceCache())


async def until(condition: Any, *, timeout: float, interval: float = 0.02) -> None:
    """Poll ``condition`` (sync or async) until true or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result or time.monotonic() > deadline:
            return
        await asyncio.sleep(interval)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(q / 100 * len(ordered) + 0.5) - 1))]


# -- 1. fills/s applied -----------------------------------------------------------------------------


async def apply_rate(settings: Settings, memory_fills: int, dynamo_fills: int) -> None:
    print("\n## 1. Fills/s applied to the position view")
    accounts = [uuid.uuid4() for _ in range(50)]
    svc = service(MemoryPositionStore(), MemoryBus())
    fills = [make_fill(i, accounts) for i in range(memory_fills)]
    started = time.perf_counter()
    for f in fills:
        await svc(f)
    print(
        f"memory view (PositionService + twin, one consumer): {memory_fills / (time.perf_counter() - started):,.0f} fills/s"
    )

    table = await fresh_table(settings)
    aws = clients(settings)
    try:
        before = await moto_transact_rate(aws, table)
        store = DynamoPositionStore(aws, table)
        fills = [make_fill(i, accounts) for i in range(dynamo_fills)]
        started = time.perf_counter()
        for f in fills:
            await store.apply_fill(f)
        sequential = dynamo_fills / (time.perf_counter() - started)
        after = await moto_transact_rate(aws, table)
        print(
            f"DynamoDB view on moto (fresh table, {dynamo_fills} fills, one consumer): {sequential:,.1f} fills/s; "
            f"moto's bare 2-put transaction in the same run: {before:,.1f}/s on the empty table, {after:,.1f}/s "
            "at the end (moto copies the whole table on every transaction)"
        )
    finally:
        await aws.close()
        await drop_table(settings, table)


# -- 2. events/s archived ---------------------------------------------------------------------------


async def archive_rate(settings: Settings, events: int) -> None:
    print("\n## 2. Events/s archived")
    accounts = [uuid.uuid4() for _ in range(50)]
    payloads = [make_fill(i, accounts).to_json() for i in range(events)]

    bus = MemoryBus()
    for p in payloads:
        await bus.publish(ORDER_FILLED, "k", p)
    objects = MemoryObjectStore()
    log = MemoryPartitionedLog(bus, MemoryLogOffsets(), [ORDER_FILLED], "bench")
    archiver = AuditArchiver(log, ParquetAuditArchive(objects), group="bench", max_events=10_000, max_age=3600)
    started = time.perf_counter()
    await run_archiver_until(archiver, events)
    elapsed = time.perf_counter() - started
    size = sum(len(v) for k, v in objects.objects.items() if k.startswith("events/"))
    raw = sum(len(p) for p in payloads)
    print(
        f"memory twins (decode + Parquet/Snappy + store): {events / elapsed:,.0f} events/s; "
        f"{raw / 1e6:.1f} MB of JSON -> {size / 1e6:.1f} MB of Parquet in {len([k for k in objects.objects if k.startswith('events/')])} file(s)"
    )

    topic = f"bench.audit.{uuid.uuid4().hex[:8]}"
    bucket = f"tw-bench-audit-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 4, 1)])
    aws = clients(settings)
    s3 = await aws.client("s3")
    await s3.create_bucket(Bucket=bucket)
    publisher = KafkaEventPublisher(settings.kafka_bootstrap, linger_ms=5)
    await publisher.start()
    try:
        for i in range(0, events, 1000):
            await publisher.publish_batch([(topic, f"k{j % 50}", payloads[j]) for j in range(i, min(events, i + 1000))])
        read_rate = await raw_kafka_read(settings, topic, events)
        archive = ParquetAuditArchive(S3ObjectStore(aws, bucket))
        log_k = KafkaPartitionedLog(settings.kafka_bootstrap, [topic], f"bench-{uuid.uuid4().hex[:8]}")
        archiver = AuditArchiver(log_k, archive, group="bench", max_events=10_000, max_age=3600)
        started = time.perf_counter()
        await run_archiver_until(archiver, events)
        elapsed = time.perf_counter() - started
        body = b"x" * (size // max(1, len([k for k in objects.objects if k.startswith("events/")])))
        started = time.perf_counter()
        for i in range(10):
            await s3.put_object(Bucket=bucket, Key=f"ceiling/{i}", Body=body)
        put_rate = 10 / (time.perf_counter() - started)
        print(
            f"Kafka -> Parquet -> S3 on moto ({events} events, 4 partitions, consumer group join included): "
            f"{events / elapsed:,.0f} events/s; ceilings in the same run: raw Kafka read {read_rate:,.0f} records/s, "
            f"moto S3 put of a {len(body) / 1e3:.0f} kB object {put_rate:,.1f}/s"
        )
    finally:
        await publisher.stop()
        paginator = s3.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                await s3.delete_object(Bucket=bucket, Key=obj["Key"])
        await s3.delete_bucket(Bucket=bucket)
        await aws.close()
        await admin.delete_topics([topic])
        await admin.close()


async def run_archiver_until(archiver: AuditArchiver, events: int) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(archiver.run(stop))
    await until(lambda: archiver.archived + archiver.buffered >= events, timeout=600)
    stop.set()  # the last partial batch is flushed on the way out
    await task
    assert archiver.archived == events, (archiver.archived, events)


async def raw_kafka_read(settings: Settings, topic: str, events: int) -> float:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        seen = 0
        started = time.perf_counter()
        while seen < events:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            seen += sum(len(b) for b in batches.values())
        return events / (time.perf_counter() - started)
    finally:
        await consumer.stop()


# -- 3. lag at 200 fills/s -------------------------------------------------------------------------


async def paced(publish: Any, rate: float, seconds: float, accounts: list[uuid.UUID]) -> int:
    loop = asyncio.get_running_loop()
    n = int(rate * seconds)
    start = loop.time()
    for i in range(n):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        fill = make_fill(i, accounts).model_copy(update={"occurred_at": utcnow()})
        await publish(ORDER_FILLED, str(fill.account_id), fill.to_json())
    return n


async def wait_applied(svc: PositionService, n: int, timeout: float) -> None:
    await until(lambda: svc.applied >= n, timeout=timeout, interval=0.05)


def report(name: str, svc: PositionService, n: int) -> None:
    lag = [x * 1000 for x in svc.lag._recent]
    if not lag:
        print(f"{name}: nothing applied")
        return
    print(
        f"{name}: {svc.applied}/{n} applied; lag p50 {pct(lag, 50):.1f} ms, p99 {pct(lag, 99):.1f} ms, "
        f"max {max(lag):.1f} ms"
    )


async def kafka_lag(
    settings: Settings, store: PositionStore, rate: float, seconds: float
) -> tuple[PositionService, int]:
    """Real Kafka in and out (position.updated acks=all), one consumer, the given view."""
    accounts = [uuid.uuid4() for _ in range(50)]
    publisher = KafkaEventPublisher(settings.kafka_bootstrap)
    await publisher.start()
    subs = KafkaSubscriptions(settings.kafka_bootstrap, dead_letters=publisher, new_group_offset="latest")
    svc = service(store, publisher)
    group = f"bench-{uuid.uuid4().hex[:8]}-positions"
    subs.subscribe([ORDER_FILLED], group, order_event_handler(svc, consumer="positions"))
    await subs.start()
    try:
        await until(subs.ready, timeout=60, interval=0.1)
        n = await paced(publisher.publish, rate, seconds, accounts)
        await wait_applied(svc, n, 120)
    finally:
        await subs.stop()
        await publisher.stop()
    return svc, n


async def lag_at_rate(settings: Settings, rate: float, seconds: float, moto_seconds: float) -> None:
    print(f"\n## 3. Position update lag at {rate:.0f} fills/s for {seconds:.0f} s")
    accounts = [uuid.uuid4() for _ in range(50)]
    bus = MemoryBus()
    svc = service(MemoryPositionStore(), bus)
    bus.subscribe([ORDER_FILLED], "positions", order_event_handler(svc, consumer="positions"))
    await bus.start()
    n = await paced(bus.publish, rate, seconds, accounts)
    await wait_applied(svc, n, 30)
    await bus.stop()
    report("memory (in-process bus, memory view)", svc, n)

    svc, n = await kafka_lag(settings, MemoryPositionStore(), rate, seconds)
    report("local Kafka (position.updated acks=all per fill), memory view", svc, n)

    table = await fresh_table(settings)
    aws = clients(settings)
    try:
        before = await moto_transact_rate(aws, table, 20)
        svc, n = await kafka_lag(settings, DynamoPositionStore(aws, table), rate, moto_seconds)
        after = await moto_transact_rate(aws, table, 20)
        report(f"local Kafka, DynamoDB view on moto ({moto_seconds:.0f} s)", svc, n)
        print(f"  moto's bare transaction rate in the same run: {before:,.1f}/s before, {after:,.1f}/s after")
    finally:
        await aws.close()
        await drop_table(settings, table)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--memory-fills", type=int, default=20_000)
    parser.add_argument("--dynamo-fills", type=int, default=500)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--moto-seconds", type=float, default=3.0)
    args = parser.parse_args()
    settings = Settings(profile="local")
    await apply_rate(settings, args.memory_fills, args.dynamo_fills)
    await archive_rate(settings, args.events)
    await lag_at_rate(settings, args.rate, args.seconds, args.moto_seconds)


if __name__ == "__main__":
    asyncio.run(main())
