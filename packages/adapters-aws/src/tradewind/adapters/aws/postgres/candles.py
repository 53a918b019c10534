"""``PgCandleStore``: candles in PostgreSQL, upserted with the stream progress they include in
one transaction (see the ``CandleStore`` port). A closed candle is never reopened."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from tradewind.domain.marketdata import Candle, Interval

_COLUMNS = "symbol, interval, start_at, open, high, low, close, volume, updates, first_ms, last_ms, closed"
_UPSERT = f"""
INSERT INTO candles ({_COLUMNS})
SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::numeric[], $5::numeric[], $6::numeric[],
                     $7::numeric[], $8::bigint[], $9::int[], $10::bigint[], $11::bigint[], $12::bool[])
ON CONFLICT (symbol, interval, start_at) DO UPDATE SET
  open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
  volume = EXCLUDED.volume, updates = EXCLUDED.updates, first_ms = EXCLUDED.first_ms,
  last_ms = EXCLUDED.last_ms, closed = EXCLUDED.closed
WHERE NOT candles.closed
"""
_PROGRESS = """
INSERT INTO candle_progress (source, shard_id, sequence_number)
SELECT $1, * FROM unnest($2::text[], $3::numeric[])
ON CONFLICT (source, shard_id) DO UPDATE SET sequence_number = EXCLUDED.sequence_number
WHERE candle_progress.sequence_number < EXCLUDED.sequence_number
"""


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _candle(row: Any) -> Candle:
    return Candle(
        symbol=row["symbol"],
        interval=Interval(row["interval"]),
        start_ms=int(row["start_at"].timestamp() * 1000),
        open=row["open"],
        high=row["high"],
        low=row["low"],
        close=row["close"],
        volume=row["volume"],
        updates=row["updates"],
        first_ms=row["first_ms"],
        last_ms=row["last_ms"],
        closed=row["closed"],
    )


class PgCandleStore:
    def __init__(self, pool: asyncpg.Pool, *, source: str) -> None:
        self._pool = pool
        self._source = source

    async def save(self, candles: Sequence[Candle], progress: Mapping[str, int]) -> None:
        columns: list[list[Any]] = [[] for _ in range(12)]
        for c in candles:
            values = (
                c.symbol, c.interval.value, _at(c.start_ms), c.open, c.high, c.low, c.close,
                c.volume, c.updates, c.first_ms, c.last_ms, c.closed,
            )  # fmt: skip
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        async with self._pool.acquire() as conn, conn.transaction():
            if candles:
                await conn.execute(_UPSERT, *columns)
            if progress:
                await conn.execute(_PROGRESS, self._source, list(progress), [Decimal(v) for v in progress.values()])

    async def load_open(self) -> tuple[list[Candle], dict[str, int]]:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(f"SELECT {_COLUMNS} FROM candles WHERE NOT closed")
            progress = await conn.fetch(
                "SELECT shard_id, sequence_number FROM candle_progress WHERE source = $1", self._source
            )
        return [_candle(r) for r in rows], {r["shard_id"]: int(r["sequence_number"]) for r in progress}

    async def list_candles(
        self, symbol: str, interval: Interval, *, limit: int = 50, before_ms: int | None = None
    ) -> list[Candle]:
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM candles WHERE symbol = $1 AND interval = $2"
            " AND ($3::timestamptz IS NULL OR start_at < $3) ORDER BY start_at DESC LIMIT $4",
            symbol,
            interval.value,
            None if before_ms is None else _at(before_ms),
            limit,
        )
        return [_candle(r) for r in rows]
