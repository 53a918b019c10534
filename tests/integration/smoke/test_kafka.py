"""Smoke: the Kafka twin of MSK through FastStream, with the ack policy our consumers use.

``AckPolicy.NACK_ON_ERROR`` (invariant 5): a handler that raised leaves the group's offset where
it was and gets the message again; the offset is committed only once a handler has returned.
The committed offset is read by a separate aiokafka consumer of the same group, which never
joins it (``committed`` asks the group coordinator). Topic and group are per test.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage

from tradewind.adapters.aws.settings import Settings

Eventually = Callable[..., Awaitable[Any]]
DEADLINE = 30.0


async def test_the_offset_is_committed_only_after_the_handler_finished(
    services: Settings, eventually: Eventually
) -> None:
    topic, group = f"smoke.{uuid.uuid4().hex[:8]}", f"smoke-{uuid.uuid4().hex[:8]}"
    broker = KafkaBroker(services.kafka_bootstrap, logger=None)
    attempts: list[bytes] = []
    working, may_finish = asyncio.Event(), asyncio.Event()

    @broker.subscriber(topic, group_id=group, auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR)
    async def handle(msg: KafkaMessage) -> None:
        attempts.append(msg.body)
        if len(attempts) == 1:
            raise RuntimeError("the first attempt fails")
        working.set()
        await may_finish.wait()

    probe = AIOKafkaConsumer(bootstrap_servers=services.kafka_bootstrap, group_id=group)
    partition = TopicPartition(topic, 0)  # auto-created topics have one partition here

    async def committed() -> int | None:
        return await probe.committed(partition)

    async def committed_past_it() -> bool:
        return await committed() == 1  # the next offset to read

    await broker.connect()
    await broker.publish(b"order-1", topic=topic, key=b"account-1")  # creates the topic
    await probe.start()
    await broker.start()
    try:
        await asyncio.wait_for(working.wait(), timeout=DEADLINE)
        assert attempts == [b"order-1", b"order-1"]  # redelivered after the failure
        assert await committed() is None  # failed once, and the retry has not finished

        may_finish.set()
        await eventually(committed_past_it, timeout=DEADLINE, what="the offset committed after success")
    finally:
        may_finish.set()
        await broker.stop()
        await probe.stop()
