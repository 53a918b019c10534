"""In-memory outbox store for the relay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.application.ports import OutboxRecord


class MemoryOutboxStore:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    @asynccontextmanager
    async def claim(self) -> AsyncIterator[None]:
        async with self._store.relay_lock:
            yield

    async def unsent(self, limit: int) -> list[OutboxRecord]:
        rows = [r for r in self._store.outbox if not r.sent][:limit]
        if not rows:
            self._store.outbox_changed.clear()
        return [OutboxRecord(r.id, r.topic, r.key, r.event_id, r.payload) for r in rows]

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._store.outbox_changed.wait(), timeout)
        except TimeoutError:
            pass

    async def mark_sent(self, ids: Sequence[int]) -> None:
        wanted = set(ids)
        for row in self._store.outbox:
            if row.id in wanted:
                row.sent = True
