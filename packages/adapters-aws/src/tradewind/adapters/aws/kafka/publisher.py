"""The durable producer: idempotent, acks=all, key = account id (order per account holds)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer


class KafkaEventPublisher:
    def __init__(self, bootstrap_servers: str, *, client_id: str = "tradewind", linger_ms: int = 0) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            enable_idempotence=True,  # retries never duplicate or reorder within a partition
            acks="all",
            linger_ms=linger_ms,
            request_timeout_ms=15000,
        )
        self._started = False

    async def start(self) -> None:
        if not self._started:
            await self._producer.start()
            self._started = True

    async def stop(self) -> None:
        if self._started:
            await self._producer.stop()
            self._started = False

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
