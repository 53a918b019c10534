"""Durable per-shard positions of a stream consumer (``stream_checkpoints`` in PostgreSQL; the
in-memory twin is ``memory/kinesis.py``). A position only moves forward, so a late or repeated
save can never send a restarted consumer back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import asyncpg


@dataclass(frozen=True, slots=True)
class ShardPosition:
    sequence_number: int | None
    finished: bool = False


class CheckpointStore(Protocol):
    async def load(self, consumer: str, stream: str) -> dict[str, ShardPosition]: ...

    async def save(
        self, consumer: str, stream: str, shard_id: str, sequence_number: int | None, *, finished: bool = False
    ) -> None:
        """Record the last sequence number handled (never moving back); ``finished`` is sticky."""

    async def first_started(self, consumer: str, stream: str, now: datetime) -> datetime:
        """When this consumer first started on the stream (``now`` if this is the first time)."""
        ...

    async def forget(self, consumer: str, stream: str, shard_id: str) -> None:
        """Delete a shard's checkpoint that does not belong to the stream as it now exists (the only
        way a position moves back: ``save`` never does, and a recreated stream may number lower)."""


class PgCheckpointStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def load(self, consumer: str, stream: str) -> dict[str, ShardPosition]:
        rows = await self._pool.fetch(
            "SELECT shard_id, sequence_number, finished FROM stream_checkpoints WHERE consumer = $1 AND stream = $2",
            consumer,
            stream,
        )
        return {
            r["shard_id"]: ShardPosition(
                None if r["sequence_number"] is None else int(r["sequence_number"]), r["finished"]
            )
            for r in rows
        }

    async def save(
        self, consumer: str, stream: str, shard_id: str, sequence_number: int | None, *, finished: bool = False
    ) -> None:
        await self._pool.execute(
            """
            INSERT INTO stream_checkpoints (consumer, stream, shard_id, sequence_number, finished)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (consumer, stream, shard_id) DO UPDATE SET
              sequence_number = GREATEST(stream_checkpoints.sequence_number, EXCLUDED.sequence_number),
              finished = stream_checkpoints.finished OR EXCLUDED.finished,
              updated_at = now()
            """,
            consumer,
            stream,
            shard_id,
            None if sequence_number is None else Decimal(sequence_number),
            finished,
        )

    async def forget(self, consumer: str, stream: str, shard_id: str) -> None:
        await self._pool.execute(
            "DELETE FROM stream_checkpoints WHERE consumer = $1 AND stream = $2 AND shard_id = $3",
            consumer,
            stream,
            shard_id,
        )

    async def first_started(self, consumer: str, stream: str, now: datetime) -> datetime:
        started: datetime = await self._pool.fetchval(
            """
            WITH ins AS (
              INSERT INTO stream_consumers (consumer, stream, started_at) VALUES ($1, $2, $3)
              ON CONFLICT (consumer, stream) DO NOTHING RETURNING started_at
            )
            SELECT started_at FROM ins
            UNION ALL SELECT started_at FROM stream_consumers WHERE consumer = $1 AND stream = $2
            LIMIT 1
            """,
            consumer,
            stream,
            now,
        )
        return started
