"""The outbox as the relay reads it. Leadership is a session advisory lock held on a dedicated
connection, so exactly one relay publishes and per-key order holds across restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import asyncpg

from tradewind.application.ports import OutboxRecord

_RELAY_LOCK = 7_204_114


class PgOutboxStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._wake: asyncio.Event | None = None

    @asynccontextmanager
    async def claim(self) -> AsyncIterator[None]:
        """Leadership, and LISTEN on the same connection so ``wait`` wakes at the next commit."""
        async with self._pool.acquire() as conn:
            try:
                await conn.execute("SELECT pg_advisory_lock($1)", _RELAY_LOCK)  # waits for the leader to go
                self._wake = asyncio.Event()
                wake = self._wake

                def on_notify(*_: object) -> None:
                    wake.set()

                await conn.add_listener("outbox", on_notify)
                yield
            finally:
                self._wake = None
                # the lock and the LISTEN are session state: released here, whatever happened,
                # because the pool hands connections back without a reset (postgres/pool.py)
                try:
                    await conn.reset()
                except Exception:  # broken or busy (a cancelled wait): closed, it holds nothing
                    conn.terminate()

    async def wait(self, timeout: float) -> None:
        """Until an outbox insert commits or ``timeout`` passes (the poll stays as a safety net)."""
        wake = self._wake
        if wake is None:
            await asyncio.sleep(timeout)
            return
        try:
            await asyncio.wait_for(wake.wait(), timeout)
        except TimeoutError:
            pass
        wake.clear()

    async def unsent(self, limit: int) -> list[OutboxRecord]:
        rows = await self._pool.fetch(
            "SELECT id, topic, key, event_id, payload FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1",
            limit,
        )
        return [OutboxRecord(r["id"], r["topic"], r["key"], r["event_id"], bytes(r["payload"])) for r in rows]

    async def mark_sent(self, ids: Sequence[int]) -> None:
        await self._pool.execute("UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", list(ids))
