"""Reading back what is on a topic for one key, from the beginning, for assertions."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition


async def read_key(bootstrap: str, topic: str, key: str) -> list[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        out: list[bytes] = []
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            batch = await consumer.getmany(*partitions, timeout_ms=1000)
            for records in batch.values():
                out.extend(r.value for r in records if r.key == key.encode() and r.value is not None)
        return out
    finally:
        await consumer.stop()


async def start_group_at_end(bootstrap: str, group: str, topics: tuple[str, ...] | list[str]) -> None:
    """Commit ``group``'s offsets at the current end of ``topics``, so a consumer of that group sees
    only what is published from now on (the shared topics hold earlier runs' history)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or [])]
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        await consumer.commit({tp: offset for tp, offset in end.items()})
    finally:
        await consumer.stop()


async def group_lag(bootstrap: str, group: str, topics: tuple[str, ...] | list[str]) -> int:
    """Messages on ``topics`` that ``group`` has not committed yet."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or [])]
        end = await consumer.end_offsets(partitions)
        lag = 0
        for tp in partitions:
            committed = await consumer.committed(tp)
            lag += end[tp] - (committed or 0)
        return lag
    finally:
        await consumer.stop()
