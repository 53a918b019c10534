"""Moving a consumer group's committed offsets while none of its members runs: used by the worker
to rebuild a view from the start of its topic (its storage was found empty)."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition


async def rewind_group(bootstrap: str, group: str, topics: Sequence[str]) -> int:
    """Commit ``group``'s offsets at the beginning of ``topics``; returns how many messages it
    will read again. Call it before the group's consumers start."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or [])]
        consumer.assign(partitions)
        begin = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
        await consumer.commit({tp: offset for tp, offset in begin.items()})
        return sum(end[tp] - begin[tp] for tp in partitions)
    finally:
        await consumer.stop()
