"""Reading back what is on a topic for one key, from the beginning, for assertions."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition


async def read_key(bootstrap: str, topic: str, key: str) -> list[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - first use of the topic
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
