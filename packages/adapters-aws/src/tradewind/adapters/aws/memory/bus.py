"""An in-process Kafka twin for the ``memory`` profile: ordered topic logs, consumer groups with
committed offsets, redelivery when a handler raises. One key's messages stay in order because a
topic is a single ordered log here (Kafka keeps order per partition, a weaker promise). Handlers
run under the same ``DeadLetterPolicy`` as on Kafka (partition 0, offset = position in the log)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from tradewind.application.dead_letters import DeadLetterPolicy, Delivery, DeliveryHandler
from tradewind.application.ports import BatchHandler, MessageHandler

log = logging.getLogger(__name__)


@dataclass
class _Topic:
    records: list[tuple[str, bytes]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class MemoryBus:
    def __init__(self, *, retry_delay: float = 0.05, max_attempts: int = 5) -> None:
        self._topics: dict[str, _Topic] = {}
        self._subscriptions: list[tuple[str, str, DeliveryHandler | BatchHandler, int | None]] = []
        self._offsets: dict[tuple[str, str], int] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._retry_delay = retry_delay
        self._max_attempts = max_attempts
        self.policies: dict[str, DeadLetterPolicy] = {}

    def _topic(self, name: str) -> _Topic:
        return self._topics.setdefault(name, _Topic())

    def records(self, topic: str) -> list[tuple[str, bytes]]:
        return list(self._topic(topic).records)

    def deliveries(self, topic: str) -> list[Delivery]:
        t = self._topic(topic)
        return [
            Delivery(topic, 0, offset, payload, key, headers)
            for offset, ((key, payload), headers) in enumerate(zip(t.records, t.headers, strict=True))
        ]

    # -- EventPublisher ------------------------------------------------------------------------
    async def publish(self, topic: str, key: str, payload: bytes, headers: dict[str, str] | None = None) -> None:
        t = self._topic(topic)
        t.records.append((key, payload))
        t.headers.append(dict(headers or {}))
        t.changed.set()

    async def publish_batch(self, records: Sequence[tuple[str, str, bytes]]) -> int:
        for topic, key, payload in records:
            await self.publish(topic, key, payload)
        return len(records)

    # -- Subscriptions ------------------------------------------------------------------------
    def subscribe(self, topics: Sequence[str], group: str, handler: MessageHandler) -> None:
        async def on_delivery(delivery: Delivery) -> None:
            await handler(delivery.payload)

        self.subscribe_deliveries(topics, group, on_delivery)

    def subscribe_deliveries(self, topics: Sequence[str], group: str, handler: DeliveryHandler) -> None:
        self.policies.setdefault(
            group,
            DeadLetterPolicy(self, consumer=group, max_attempts=self._max_attempts, retry_delay=self._retry_delay),
        )
        for topic in topics:
            self._subscriptions.append((topic, group, handler, None))

    def subscribe_batch(
        self, topics: Sequence[str], group: str, handler: BatchHandler, *, max_records: int = 200
    ) -> None:
        """A batch that fails is delivered again one message at a time through the group's
        ``DeadLetterPolicy`` (a poison message parked, the rest applied), as on Kafka."""
        self.policies.setdefault(
            group,
            DeadLetterPolicy(self, consumer=group, max_attempts=self._max_attempts, retry_delay=self._retry_delay),
        )
        for topic in topics:
            self._subscriptions.append((topic, group, handler, max_records))

    async def start(self) -> None:
        """Start every subscription not yet running (idempotent: the demo's apps share one bus)."""
        for topic, group, handler, batch in self._subscriptions[len(self._tasks) :]:
            self._tasks.append(
                asyncio.create_task(self._consume(topic, group, handler, batch), name=f"{group}:{topic}")
            )

    async def _deliver_batch(self, group: str, deliveries: list[Delivery], handler: BatchHandler) -> None:
        try:
            await handler([d.payload for d in deliveries])
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("batch failed; delivering it one message at a time", extra={"group": group})

        async def one(delivery: Delivery) -> None:
            await handler([delivery.payload])

        for delivery in deliveries:
            await self.policies[group].deliver(delivery, one)

    async def ready(self) -> bool:
        return True

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._subscriptions = []

    async def _consume(
        self, topic: str, group: str, handler: DeliveryHandler | BatchHandler, batch: int | None
    ) -> None:
        t = self._topic(topic)
        while True:
            offset = self._offsets.get((group, topic), 0)
            if offset >= len(t.records):
                t.changed.clear()
                if offset >= len(t.records):
                    await t.changed.wait()
                continue
            count = batch or 1
            deliveries = [
                Delivery(topic, 0, offset + i, payload, key, t.headers[offset + i])
                for i, (key, payload) in enumerate(t.records[offset : offset + count])
            ]
            payloads = [d.payload for d in deliveries]
            try:
                if batch is None:
                    await self.policies[group].deliver(deliveries[0], handler)  # type: ignore[arg-type]
                else:
                    await self._deliver_batch(group, deliveries, handler)  # type: ignore[arg-type]
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("handler failed; redelivering", extra={"group": group, "topic": topic})
                await asyncio.sleep(self._retry_delay)  # back-off before redelivery
                continue
            self._offsets[(group, topic)] = offset + len(payloads)  # commit only after the handler returned
