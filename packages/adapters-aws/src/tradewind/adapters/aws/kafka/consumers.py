"""Consumer groups on real Kafka through FastStream, committing only after the handler returns.

``AckPolicy.NACK_ON_ERROR``: a handler that returns is acked (offset committed); one that raises
is nacked, which seeks back so the message is delivered again (invariant 5). The default
``ACK_FIRST`` would commit before the effect, and ``ACK``/``REJECT_ON_ERROR`` commit on error.

Every handler runs under the one ``DeadLetterPolicy`` (``application/dead_letters.py``): a poison
message goes to ``dead_letter`` with its topic, partition, offset, key and headers and is
committed; other failures are retried in place a bounded number of times; only a dependency that
is down (``dependency_unavailable``) makes the message come back by a nack.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Literal

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage

from tradewind.adapters.aws.kafka.dead_letters import dependency_unavailable
from tradewind.application.dead_letters import DeadLetterPolicy, Delivery, DeliveryHandler
from tradewind.application.ports import BatchHandler, EventPublisher, MessageHandler

log = logging.getLogger(__name__)


class KafkaSubscriptions:
    def __init__(
        self,
        bootstrap_servers: str,
        *,
        dead_letters: EventPublisher,
        max_attempts: int = 5,
        retry_delay: float = 0.2,
        client_id: str = "tradewind",
        fetch_max_wait_ms: int = 500,
        poll_wait_ms: int = 10,
        new_group_offset: Literal["earliest", "latest"] = "earliest",
    ) -> None:
        self.broker = KafkaBroker(bootstrap_servers, client_id=client_id, logger=None)
        self._subscribers: list[Any] = []
        #: where a group with no committed offset starts: ``earliest`` in production (a new
        #: consumer must see everything); ``latest`` for isolated test stacks on shared topics
        self._new_group_offset = new_group_offset
        self._dead_letters = dead_letters
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self.policies: dict[str, DeadLetterPolicy] = {}
        # The broker holds a fetch until a record arrives (fetch_min_bytes 1) or this passes: a
        # long poll costs no latency. It was 10 ms, and every idle consumer then sent 100 fetch
        # requests a second: most of the worker's CPU went to them (issue 15, py-spy).
        self._fetch_max_wait_ms = fetch_max_wait_ms
        # A batch subscriber's empty poll waits this long for prefetched records, then sleeps as
        # long again (FastStream): at most twice this between a record arriving and its handler.
        self._poll_wait_ms = poll_wait_ms
        self._started = False

    def subscribe(self, topics: Sequence[str], group: str, handler: MessageHandler) -> None:
        """One consumer per topic, all in ``group``: topics are worked concurrently (Kafka orders
        only within a partition anyway), each partition strictly in order."""

        async def on_delivery(delivery: Delivery) -> None:
            await handler(delivery.payload)

        self.subscribe_deliveries(topics, group, on_delivery)

    def _policy(self, group: str) -> DeadLetterPolicy:
        return self.policies.setdefault(
            group,
            DeadLetterPolicy(
                self._dead_letters,
                consumer=group,
                max_attempts=self._max_attempts,
                retry_delay=self._retry_delay,
                unavailable=dependency_unavailable,
            ),
        )

    def subscribe_deliveries(self, topics: Sequence[str], group: str, handler: DeliveryHandler) -> None:
        """As ``subscribe``, for a handler that needs the message's coordinates and headers."""
        policy = self._policy(group)
        for topic in topics:
            self._subscribe_one(topic, group, policy, handler)

    def _subscribe_one(self, topic: str, group: str, policy: DeadLetterPolicy, handler: DeliveryHandler) -> None:
        async def on_message(msg: KafkaMessage) -> None:
            delivery = _delivery(msg.raw_message, msg.body)
            try:
                await policy.deliver(delivery, handler)
            except Exception:
                log.exception("consumer failed; message will be redelivered", extra={"group": group, "topic": topic})
                raise

        subscriber = self.broker.subscriber(
            topic,
            group_id=group,
            auto_offset_reset=self._new_group_offset,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            fetch_max_wait_ms=self._fetch_max_wait_ms,
        )
        subscriber(on_message)
        self._subscribers.append(subscriber)

    def subscribe_batch(
        self, topics: Sequence[str], group: str, handler: BatchHandler, *, max_records: int = 200
    ) -> None:
        """One poll (``getmany``: up to ``max_records``, in order per partition) per call of
        ``handler``; a handler that raises nacks the batch, which seeks every partition in it back
        to its first record, so nothing of the batch is committed and all of it comes again."""
        for topic in topics:
            subscriber = self.broker.subscriber(
                topic,
                group_id=group,
                auto_offset_reset=self._new_group_offset,
                ack_policy=AckPolicy.NACK_ON_ERROR,
                fetch_max_wait_ms=self._fetch_max_wait_ms,
                batch=True,
                max_records=max_records,
                batch_timeout_ms=self._poll_wait_ms,
            )
            subscriber(self._on_batch(topic, group, handler))
            self._subscribers.append(subscriber)

    def _on_batch(self, topic: str, group: str, handler: BatchHandler) -> Any:
        """The poll at once; if that fails, its records one at a time through the group's
        ``DeadLetterPolicy`` (a poison record parked with its coordinates, transient failures
        retried, the rest applied: the consumers are idempotent, so what the failed batch had
        applied is not applied twice). Only a dependency that is down nacks the whole poll."""
        policy = self._policy(group)

        async def one(delivery: Delivery) -> None:
            await handler([delivery.payload])

        # One parameter only: FastStream reads any other parameter as a field of the message body.
        async def on_batch(msg: KafkaMessage) -> None:
            try:
                await handler(msg.body)
                return
            except Exception as exc:
                log.warning(
                    "batch failed; delivering it one record at a time",
                    extra={"group": group, "topic": topic, "error": repr(exc)[:300]},
                )
            raw: Any = msg.raw_message
            records = list(raw) if isinstance(raw, list | tuple) else [raw]
            try:
                for record in records:
                    await policy.deliver(_delivery(record, record.value), one)
            except Exception:
                log.exception("batch failed; it will be redelivered", extra={"group": group, "topic": topic})
                await asyncio.sleep(self._retry_delay)  # back-off before the seek-back redelivery
                raise

        return on_batch

    async def ready(self) -> bool:
        """Every consumer has its partitions and a resolved position: from now on nothing
        published is missed (with ``latest``, the position is fixed only after assignment)."""
        for subscriber in self._subscribers:
            consumer = getattr(subscriber, "consumer", None)
            if consumer is None or not consumer.assignment():
                return False
            for tp in consumer.assignment():
                await consumer.position(tp)
        return True

    async def start(self) -> None:
        await self.broker.start()
        self._started = True

    async def stop(self) -> None:
        if self._started:
            await self.broker.stop()
            self._started = False


def _delivery(record: Any, payload: bytes) -> Delivery:
    return Delivery(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        payload=payload,
        key=None if record.key is None else record.key.decode("utf-8", "replace"),
        headers={k: (v or b"").decode("utf-8", "replace") for k, v in (record.headers or ())},
    )
