"""The durable producer: idempotent, acks=all, key = account id (order per account holds)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer


class KafkaEventPublisher:
    """The producer is created in ``start``, not here: a process that builds its adapters but never
    starts Kafka (``tradewind users create``, the web with ``kafka=False``) would otherwise leave an
    ``AIOKafkaProducer`` that was never closed, and aiokafka prints "Unclosed AIOKafkaProducer" on
    stderr when it is collected. A stopped publisher starts again with a new producer (an
    aiokafka producer cannot be restarted)."""

    def __init__(self, bootstrap_servers: str, *, client_id: str = "tradewind", linger_ms: int = 0) -> None:
        self._options = {
            "bootstrap_servers": bootstrap_servers,
            "client_id": client_id,
            "enable_idempotence": True,  # retries never duplicate or reorder within a partition
            "acks": "all",
            "linger_ms": linger_ms,
            "request_timeout_ms": 15000,
        }
        self._producer_or_none: AIOKafkaProducer | None = None

    @property
    def _producer(self) -> AIOKafkaProducer:
        if self._producer_or_none is None:
            raise RuntimeError("KafkaEventPublisher.start() was not called")
        return self._producer_or_none

    async def start(self) -> None:
        if self._producer_or_none is None:
            producer = AIOKafkaProducer(**self._options)
            try:
                await producer.start()
            except BaseException:
                await producer.stop()  # closes what start opened, so nothing is left unclosed
                raise
            self._producer_or_none = producer

    async def stop(self) -> None:
        if self._producer_or_none is not None:
            producer, self._producer_or_none = self._producer_or_none, None
            await producer.stop()

    async def publish(self, topic: str, key: str, payload: bytes, headers: dict[str, str] | None = None) -> None:
        await self._producer.send_and_wait(
            topic,
            payload,
            key=key.encode(),
            headers=[(k, v.encode()) for k, v in (headers or {}).items()] or None,
        )

    async def publish_batch(self, records: Sequence[tuple[str, str, bytes]]) -> int:
        """Send all, then wait for each in order; the count is the acknowledged prefix."""
        futures = [await self._producer.send(topic, payload, key=key.encode()) for topic, key, payload in records]
        acked = 0
        for fut in futures:
            try:
                await fut
            except Exception:
                for rest in futures[acked + 1 :]:
                    rest.cancel() if not rest.done() else None
                await asyncio.gather(*futures, return_exceptions=True)
                return acked
            acked += 1
        return acked
