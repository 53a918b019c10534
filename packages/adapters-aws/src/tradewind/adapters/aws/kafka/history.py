"""Reading topics from their first retained record to where they end now, outside any consumer
group (nothing is committed, no live consumer is disturbed): the Kafka source of ``replay``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.application.replay import SourcedRecord


async def kafka_history(bootstrap_servers: str, topics: Sequence[str]) -> AsyncIterator[SourcedRecord]:
    """Every record of ``topics`` published before the call, in order within each partition."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()  # public topics() drops the partition map
        partitions = [TopicPartition(t, p) for t in topics for p in sorted(cluster.partitions_for_topic(t) or ())]
        if not partitions:
            return
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > await consumer.position(tp)}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=5000)
            for tp, messages in batches.items():
                for message in messages:
                    if message.offset < ends[tp]:
                        yield SourcedRecord(tp.topic, tp.partition, message.offset, message.value or b"")
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()


async def memory_history(bus: MemoryBus, topics: Sequence[str]) -> AsyncIterator[SourcedRecord]:
    """The in-memory twin: each topic is one ordered log (partition 0)."""
    for topic in topics:
        for offset, (_, payload) in enumerate(bus.records(topic)):
            yield SourcedRecord(topic, 0, offset, payload)
