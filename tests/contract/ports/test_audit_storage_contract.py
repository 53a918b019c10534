"""The audit archive's two storage ports, each run against its in-memory twin and its real twin.

``ObjectStore`` (memory, S3 on moto): what was put comes back byte for byte; a conditional put
(``if_absent``) succeeds for exactly one writer; list is by prefix, sorted; delete forgets.
``PartitionedLog`` (memory bus, Kafka): records come in offset order per partition with their
coordinates; nothing is committed until ``commit``, so a new reader of the group gets the same
records again; after a commit it resumes there. Each test uses its own bucket, topics and group.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aws_resources import fresh_bucket

from tradewind.adapters.aws.audit.parquet import ObjectStore
from tradewind.adapters.aws.aws_clients import AwsClients
from tradewind.adapters.aws.kafka.log import KafkaPartitionedLog
from tradewind.adapters.aws.kafka.publisher import KafkaEventPublisher
from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.log import MemoryLogOffsets, MemoryPartitionedLog
from tradewind.adapters.aws.memory.objects import MemoryObjectStore
from tradewind.adapters.aws.s3.objects import S3ObjectStore
from tradewind.adapters.aws.settings import Settings
from tradewind.application.audit.ports import LogRecord, PartitionedLog, TopicPartition

# -- ObjectStore ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bucket(services: Settings) -> Iterator[str]:
    with fresh_bucket(services) as name:
        yield name


@pytest.fixture(params=["memory", "s3"])
async def objects(request: pytest.FixtureRequest, bucket: str) -> AsyncIterator[ObjectStore]:
    if request.param == "memory":
        yield MemoryObjectStore()
        return
    settings: Settings = request.getfixturevalue("services")
    clients = AwsClients(
        region=settings.aws_region,
        access_key_id=settings.aws_access_key_id,
        secret_access_key=settings.aws_secret_access_key,
        endpoint_url=settings.aws_endpoint_url,
    )
    try:
        yield S3ObjectStore(clients, bucket)
    finally:
        await clients.close()


async def test_what_is_put_comes_back_byte_for_byte(objects: ObjectStore) -> None:
    key = f"events/dt=2026-01-02/type=x/{uuid.uuid4().hex}.parquet"
    body = bytes(range(256)) * 3
    assert await objects.put(key, body)
    assert await objects.get(key) == body
    assert await objects.get(f"events/{uuid.uuid4().hex}") is None


async def test_a_conditional_put_succeeds_for_exactly_one_writer(objects: ObjectStore) -> None:
    key = f"checkpoints/g/t/0/{uuid.uuid4().hex}.json"
    results = await asyncio.gather(*(objects.put(key, f"{i}".encode(), if_absent=True) for i in range(2)))
    assert sorted(results) == [False, True]
    assert await objects.put(key, b"again", if_absent=True) is False
    winner = str(results.index(True)).encode()
    assert await objects.get(key) == winner


async def test_list_by_prefix_sorted_and_delete_forgets(objects: ObjectStore) -> None:
    prefix = f"t-{uuid.uuid4().hex}/"
    for name in ["b", "a", "c/d"]:
        await objects.put(prefix + name, b"x")
    await objects.put(f"other-{uuid.uuid4().hex}", b"x")
    assert await objects.list(prefix) == [prefix + "a", prefix + "b", prefix + "c/d"]
    await objects.delete(prefix + "b")
    assert await objects.list(prefix) == [prefix + "a", prefix + "c/d"]


# -- PartitionedLog ---------------------------------------------------------------------------------

MakeLog = Callable[[str], PartitionedLog]


class Topics:
    """Two fresh topics (one partition each, so offsets are the publish order) and a publisher."""

    def __init__(self, kind: str, settings: Settings | None) -> None:
        self.kind = kind
        self.settings = settings
        self.names = [f"test.audit.{uuid.uuid4().hex[:8]}", f"test.audit.{uuid.uuid4().hex[:8]}"]
        self.bus = MemoryBus()
        self.offsets = MemoryLogOffsets()
        self.publisher: Any = self.bus

    async def open(self) -> None:
        if self.kind == "kafka":
            assert self.settings is not None
            admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap)
            await admin.start()
            try:
                await admin.create_topics([NewTopic(n, 1, 1) for n in self.names])
            finally:
                await admin.close()
            self.publisher = KafkaEventPublisher(self.settings.kafka_bootstrap)
            await self.publisher.start()

    async def close(self) -> None:
        if self.kind == "kafka":
            await self.publisher.stop()
            assert self.settings is not None
            admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap)
            await admin.start()
            try:
                await admin.delete_topics(self.names)
            finally:
                await admin.close()

    def log(self, group: str) -> PartitionedLog:
        if self.kind == "memory":
            return MemoryPartitionedLog(self.bus, self.offsets, self.names, group)
        assert self.settings is not None
        return KafkaPartitionedLog(self.settings.kafka_bootstrap, self.names, group, new_group_offset="earliest")


@pytest.fixture(params=["memory", "kafka"])
async def topics(request: pytest.FixtureRequest) -> AsyncIterator[Topics]:
    settings = request.getfixturevalue("services") if request.param == "kafka" else None
    t = Topics(request.param, settings)
    await t.open()
    try:
        yield t
    finally:
        await t.close()


async def _no_revocation(partitions: Any) -> None:
    return None


async def read(log: PartitionedLog, count: int) -> list[LogRecord]:
    got: list[LogRecord] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while len(got) < count and loop.time() < deadline:
        got.extend(await log.fetch(0.5, count - len(got)))
    return got


async def test_records_come_in_offset_order_with_their_coordinates(topics: Topics) -> None:
    a, b = topics.names
    for i in range(3):
        await topics.publisher.publish(a, "k", f"a{i}".encode())
    await topics.publisher.publish(b, "k", b"b0")
    log = topics.log(f"g-{uuid.uuid4().hex[:8]}")
    await log.start(_no_revocation)
    try:
        got = await read(log, 4)
    finally:
        await log.stop()
    of_a = [(r.partition, r.offset, r.value) for r in got if r.topic == a]
    assert of_a == [(0, 0, b"a0"), (0, 1, b"a1"), (0, 2, b"a2")]
    assert [(r.topic, r.value) for r in got if r.topic == b] == [(b, b"b0")]
    assert all(r.timestamp.utcoffset() is not None for r in got)


async def test_nothing_is_committed_until_commit_then_the_group_resumes_there(topics: Topics) -> None:
    a, _ = topics.names
    for i in range(4):
        await topics.publisher.publish(a, "k", f"m{i}".encode())
    group = f"g-{uuid.uuid4().hex[:8]}"

    first = topics.log(group)
    await first.start(_no_revocation)
    assert [r.value for r in await read(first, 4)] == [b"m0", b"m1", b"m2", b"m3"]
    await first.stop()  # read everything, committed nothing

    second = topics.log(group)
    await second.start(_no_revocation)
    again = await read(second, 4)
    assert [r.value for r in again] == [b"m0", b"m1", b"m2", b"m3"]
    tp: TopicPartition = (a, 0)
    await second.commit({tp: 2})
    await second.stop()

    third = topics.log(group)
    await third.start(_no_revocation)
    try:
        assert [r.value for r in await read(third, 2)] == [b"m2", b"m3"]
        assert await third.ready()
    finally:
        await third.stop()
