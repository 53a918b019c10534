"""The outbox relay: committed outbox rows to Kafka, in order, at least once.

One relay holds leadership at a time, reads the oldest unsent rows, publishes them in order
(idempotent producer, acks=all) and marks sent only the prefix the broker acknowledged. Killed
anywhere, it republishes from the first row not marked: duplicates are possible (consumers
dedupe by ``event_id``), loss and reordering are not.
"""

from __future__ import annotations

import asyncio
import logging

from tradewind.application.ports import EventPublisher, OutboxStore

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self, store: OutboxStore, publisher: EventPublisher, *, batch_size: int = 500, idle_wait: float = 0.5
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._batch_size = batch_size
        self._idle_wait = idle_wait
        self.published = 0

    async def run_once(self) -> int:
        records = await self._store.unsent(self._batch_size)
        if not records:
            return 0
        acked = await self._publisher.publish_batch([(r.topic, r.key, r.payload) for r in records])
        if acked:
            await self._store.mark_sent([r.id for r in records[:acked]])
            self.published += acked
        if acked < len(records):
            raise RuntimeError(f"broker acknowledged {acked} of {len(records)} outbox records")
        return acked

    async def run(self, stop: asyncio.Event) -> None:
        async with self._store.claim():
            while not stop.is_set():
                try:
                    sent = await self.run_once()
                except Exception:
                    log.exception("outbox relay batch failed; retrying")
                    sent = 0
                    await _wait(stop, 1.0)
                    continue
                if sent == 0:
                    await self._store.wait(self._idle_wait)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
