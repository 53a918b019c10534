"""In-memory twin of ``PgCandleStore``: same upsert, same never-reopen and forward-only progress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tradewind.domain.marketdata import Candle, Interval


class MemoryCandleStore:
    def __init__(self, *, source: str = "market-data") -> None:
        self._source = source
        self._candles: dict[tuple[str, Interval, int], Candle] = {}
        self._progress: dict[tuple[str, str], int] = {}

    async def save(self, candles: Sequence[Candle], progress: Mapping[str, int]) -> None:
        for c in candles:
            key = (c.symbol, c.interval, c.start_ms)
            held = self._candles.get(key)
            if held is None or not held.closed:
                self._candles[key] = c
        for shard, seq in progress.items():
            if seq > self._progress.get((self._source, shard), -1):
                self._progress[(self._source, shard)] = seq

    async def load_open(self) -> tuple[list[Candle], dict[str, int]]:
        candles = [c for c in self._candles.values() if not c.closed]
        return candles, {shard: seq for (source, shard), seq in self._progress.items() if source == self._source}

    async def list_candles(
        self, symbol: str, interval: Interval, *, limit: int = 50, before_ms: int | None = None
    ) -> list[Candle]:
        found = [
            c
            for (s, i, start), c in self._candles.items()
            if s == symbol and i is interval and (before_ms is None or start < before_ms)
        ]
        return sorted(found, key=lambda c: c.start_ms, reverse=True)[:limit]
