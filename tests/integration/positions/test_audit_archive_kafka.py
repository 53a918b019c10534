"""The audit archiver on real Kafka and S3 (moto), on topics and a bucket of its own: a lone event
is archived by the timer; a crash before the flush loses nothing; a crash between the write and
the commit duplicates nothing (the redelivered batch is cut where it was, to the same key)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tradewind.adapters.aws.audit.parquet import ParquetAuditArchive
from tradewind.adapters.aws.aws_clients import AwsClients
from tradewind.adapters.aws.kafka.log import KafkaPartitionedLog
from tradewind.adapters.aws.kafka.publisher import KafkaEventPublisher
from tradewind.adapters.aws.s3.objects import S3ObjectStore
from tradewind.adapters.aws.settings import Settings
from tradewind.application.audit.archiver import AuditArchiver
from tradewind.application.audit.ports import TopicPartition
from tradewind.domain.orders.events import OrderCanceled

pytestmark = pytest.mark.integration
Eventually = Callable[..., Awaitable[Any]]


class Rig:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.topic = f"test.audit.{uuid.uuid4().hex[:8]}"
        self.group = f"test-audit-{uuid.uuid4().hex[:8]}"
        self.clients = AwsClients(
            region=settings.aws_region,
            access_key_id=settings.aws_access_key_id,
            secret_access_key=settings.aws_secret_access_key,
            endpoint_url=settings.aws_endpoint_url,
        )
        self.archive = ParquetAuditArchive(S3ObjectStore(self.clients, settings.s3_bucket))
        self.publisher = KafkaEventPublisher(settings.kafka_bootstrap)

    async def admin(self, create: bool) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap)
        await admin.start()
        try:
            if create:
                await admin.create_topics([NewTopic(self.topic, 2, 1)])
            else:
                await admin.delete_topics([self.topic])
        finally:
            await admin.close()

    def log(self, cls: type[KafkaPartitionedLog] = KafkaPartitionedLog) -> KafkaPartitionedLog:
        return cls(self.settings.kafka_bootstrap, [self.topic], self.group, new_group_offset="earliest")

    def archiver(self, log: KafkaPartitionedLog | None = None, **kw: Any) -> AuditArchiver:
        return AuditArchiver(log or self.log(), self.archive, group=self.group, **kw)

    async def publish(self, n: int) -> list[str]:
        ids = []
        for i in range(n):
            order_id = uuid.uuid4()
            event = OrderCanceled(account_id=uuid.uuid4(), correlation_id=order_id, order_id=order_id, symbol="KO")
            await self.publisher.publish(self.topic, f"k{i}", event.to_json())
            ids.append(str(event.event_id))
        return ids

    async def records(self) -> list[tuple[int, int, str]]:
        """(partition, offset, event id) of every archived row of this rig's topic."""
        out = []
        for key in await self.archive.keys("events/dt="):
            out += [(r.partition, r.offset, r.event_id) for r in await self.archive.read(key) if r.topic == self.topic]
        return sorted(out)


@pytest.fixture
async def rig(aws_stack: Settings) -> AsyncIterator[Rig]:
    r = Rig(aws_stack)
    await r.admin(create=True)
    await r.publisher.start()
    try:
        yield r
    finally:
        await r.publisher.stop()
        await r.clients.close()
        await r.admin(create=False)


async def test_a_lone_event_is_archived_by_the_timer(rig: Rig, eventually: Eventually) -> None:
    archiver = rig.archiver(max_age=1.0)
    stop = asyncio.Event()
    task = asyncio.create_task(archiver.run(stop))
    try:
        await eventually(archiver.ready, timeout=60, what="the audit consumer to be assigned")
        [event_id] = await rig.publish(1)

        async def archived() -> bool:
            return [e for _, _, e in await rig.records()] == [event_id]

        await eventually(archived, timeout=15, what="the timer flush")
        assert not stop.is_set()
    finally:
        stop.set()
        await task


async def test_a_crash_before_the_flush_loses_nothing(rig: Rig, eventually: Eventually) -> None:
    ids = await rig.publish(6)
    crashed = rig.archiver(max_age=3600)
    task = asyncio.create_task(crashed.run(asyncio.Event()))
    await eventually(lambda: _true(crashed.buffered == 6), timeout=60, what="all six buffered")
    task.cancel()  # the process dies: no flush, no commit
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await rig.records() == []

    stop = asyncio.Event()
    survivor = rig.archiver(max_age=3600)
    survivor_task = asyncio.create_task(survivor.run(stop))
    await eventually(lambda: _true(survivor.buffered == 6), timeout=60, what="all six read again")
    stop.set()  # a graceful stop flushes and commits on the way out
    await survivor_task

    assert sorted(e for _, _, e in await rig.records()) == sorted(ids)


async def _true(value: bool) -> bool:
    return value


class DiesBeforeCommit(KafkaPartitionedLog):
    died = False

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        self.died = True
        raise ConnectionError("killed between the write and the commit")


async def test_a_crash_between_write_and_commit_duplicates_nothing(rig: Rig, eventually: Eventually) -> None:
    first = await rig.publish(4)
    log = rig.log(DiesBeforeCommit)
    dying = rig.archiver(log, max_events=4, max_age=3600)
    task = asyncio.create_task(dying.run(asyncio.Event()))
    await eventually(lambda: _true(isinstance(log, DiesBeforeCommit) and log.died), timeout=60, what="the write")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    written = await rig.archive.keys("events/dt=")
    assert len(await rig.records()) == 4

    more = await rig.publish(3)  # the redelivery arrives with newer records behind it
    stop = asyncio.Event()
    survivor = rig.archiver(max_age=0.5)
    task = asyncio.create_task(survivor.run(stop))

    async def all_in() -> bool:
        return len(await rig.records()) >= 7

    try:
        await eventually(all_in, timeout=60, what="the redelivered and the new records")
    finally:
        stop.set()
        await task
    rows = await rig.records()
    assert sorted(e for _, _, e in rows) == sorted(first + more)
    assert len({(p, o) for p, o, _ in rows}) == len(rows) == 7  # every record once
    assert set(written) <= set(await rig.archive.keys("events/dt="))  # the first cuts kept their keys
