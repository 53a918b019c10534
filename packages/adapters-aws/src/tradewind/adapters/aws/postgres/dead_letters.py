"""Dead letters in PostgreSQL (``dead_letters``, migration 0013): the ``DeadLetterStore`` port.

``add`` is idempotent on the record's place in ``dead_letter`` (partition, offset), so a
redelivered record is one letter. ``claim`` marks a letter replayed in one statement that only
succeeds while it is not, so two replays of one letter cannot both go through.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from tradewind.application.dead_letters import DeadLetter

_COLUMNS = (
    "id, source_topic, source_partition, source_offset, source_key, consumer, payload, headers, error,"
    " attempts, failed_at, replayed_at"
)


def _letter(row: Any) -> DeadLetter:
    return DeadLetter(
        id=row["id"],
        source_topic=row["source_topic"],
        source_partition=row["source_partition"],
        source_offset=row["source_offset"],
        source_key=row["source_key"],
        consumer=row["consumer"],
        payload=bytes(row["payload"]),
        headers=json.loads(row["headers"]),
        error=row["error"],
        attempts=row["attempts"],
        failed_at=row["failed_at"],
        replayed_at=row["replayed_at"],
    )


class PgDeadLetterStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def add(self, letter: DeadLetter, *, partition: int, offset: int) -> None:
        await self._pool.execute(
            "INSERT INTO dead_letters (dlq_partition, dlq_offset, source_topic, source_partition, source_offset,"
            " source_key, consumer, payload, headers, error, attempts, failed_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12)"
            " ON CONFLICT (dlq_partition, dlq_offset) DO NOTHING",
            partition,
            offset,
            letter.source_topic,
            letter.source_partition,
            letter.source_offset,
            letter.source_key,
            letter.consumer,
            letter.payload,
            json.dumps(dict(letter.headers)),
            letter.error,
            letter.attempts,
            letter.failed_at,
        )

    async def list(self, *, limit: int = 50, replayed: bool = False) -> list[DeadLetter]:
        where = "" if replayed else " WHERE replayed_at IS NULL"
        rows = await self._pool.fetch(f"SELECT {_COLUMNS} FROM dead_letters{where} ORDER BY id DESC LIMIT $1", limit)
        return [_letter(r) for r in rows]

    async def get(self, letter_id: int) -> DeadLetter | None:
        row = await self._pool.fetchrow(f"SELECT {_COLUMNS} FROM dead_letters WHERE id = $1", letter_id)
        return None if row is None else _letter(row)

    async def claim(self, letter_id: int) -> DeadLetter | None:
        row = await self._pool.fetchrow(
            f"UPDATE dead_letters SET replayed_at = now() WHERE id = $1 AND replayed_at IS NULL RETURNING {_COLUMNS}",
            letter_id,
        )
        return None if row is None else _letter(row)

    async def unclaim(self, letter_id: int) -> None:
        await self._pool.execute("UPDATE dead_letters SET replayed_at = NULL WHERE id = $1", letter_id)
