"""OHLCV candles of 1 minute, 5 minutes and 1 hour, built by event time (the exchange's
``timestamp_ms``), never by arrival time.

Candles are aligned to the UTC epoch (a 1 h candle starts on the UTC hour). Open is the ``last``
price of the update with the earliest event time in the candle, close that of the latest (on a
tie the one that arrived first opens and the one that arrived last closes), so updates that
arrive out of order still give the candle the exchange would have printed. Volume is the sum of
the updates' volumes. An interval without updates has no candle: a gap stays a gap, nothing is
invented.

Lateness: each symbol has a watermark, the latest event time seen for it (or a later time given
to ``advance``). A candle closes when the watermark reaches its end plus ``allowed_lateness_ms``;
until then a late or out-of-order update amends it. An update whose smallest-interval candle has
already closed is too late: it is counted in ``late_dropped`` and changes nothing (all intervals
or none, so a 1 h candle always equals its 1 m candles). Closing emits ``CandleClosed``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

from tradewind.domain.marketdata.price_update import PriceUpdate

#: how long after a candle's end an update may still amend it
ALLOWED_LATENESS_MS: Final = 2_000


class Interval(StrEnum):
    M1 = "1m"
    M5 = "5m"
    H1 = "1h"

    @property
    def ms(self) -> int:
        return _INTERVAL_MS[self]

    def start_of(self, timestamp_ms: int) -> int:
        return timestamp_ms - timestamp_ms % self.ms


_INTERVAL_MS: Final[dict[Interval, int]] = {Interval.M1: 60_000, Interval.M5: 300_000, Interval.H1: 3_600_000}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Candle:
    """One candle. ``first_ms``/``last_ms`` are the event times that set ``open``/``close``;
    ``closed`` is false while the candle may still change."""

    symbol: str
    interval: Interval
    start_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    updates: int
    first_ms: int
    last_ms: int
    closed: bool = False

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.interval.ms

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.start_ms / 1000, tz=UTC)

    def to_dict(self) -> dict[str, object]:
        """The API shape (DESIGN: ``{start, open, high, low, close, volume}``) plus ``closed``."""
        return {
            "start": _iso(self.start_ms),
            "open": str(self.open),
            "high": str(self.high),
            "low": str(self.low),
            "close": str(self.close),
            "volume": self.volume,
            "closed": self.closed,
        }


class _Bar:
    """An open candle being built: mutable, owned by one aggregator (the hot path per update)."""

    __slots__ = ("close", "first_ms", "high", "interval", "last_ms", "low", "open", "start_ms", "updates", "volume")

    def __init__(self, interval: Interval, start_ms: int, price: Decimal, volume: int, ts: int) -> None:
        self.interval, self.start_ms = interval, start_ms
        self.open = self.high = self.low = self.close = price
        self.volume, self.updates = volume, 1
        self.first_ms = self.last_ms = ts

    @classmethod
    def of(cls, candle: Candle) -> _Bar:
        bar = cls(candle.interval, candle.start_ms, candle.open, candle.volume, candle.first_ms)
        bar.high, bar.low, bar.close = candle.high, candle.low, candle.close
        bar.updates, bar.last_ms = candle.updates, candle.last_ms
        return bar

    def add(self, price: Decimal, volume: int, ts: int) -> None:
        if ts < self.first_ms:
            self.open, self.first_ms = price, ts
        if ts >= self.last_ms:
            self.close, self.last_ms = price, ts
        if price > self.high:
            self.high = price
        elif price < self.low:
            self.low = price
        self.volume += volume
        self.updates += 1

    def candle(self, symbol: str, *, closed: bool = False) -> Candle:
        return Candle(
            symbol, self.interval, self.start_ms, self.open, self.high, self.low, self.close,
            self.volume, self.updates, self.first_ms, self.last_ms, closed,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class CandleClosed:
    """Event: ``candle`` is final; no later update will change it."""

    candle: Candle


class CandleAggregator:
    """Folds ``PriceUpdate``s into open candles per symbol and interval; not thread-safe (one
    consumer owns it). Pure: no clock, no I/O, so a replay gives the same candles every time."""

    def __init__(
        self,
        intervals: Sequence[Interval] = (Interval.M1, Interval.M5, Interval.H1),
        *,
        allowed_lateness_ms: int = ALLOWED_LATENESS_MS,
    ) -> None:
        if not intervals:
            raise ValueError("at least one interval")
        self.intervals = tuple(sorted(set(intervals), key=lambda i: i.ms))
        self.allowed_lateness_ms = allowed_lateness_ms
        self.late_dropped = 0
        self._open: dict[str, dict[tuple[Interval, int], _Bar]] = {}
        self._watermark: dict[str, int] = {}

    def watermark(self, symbol: str) -> int | None:
        return self._watermark.get(symbol)

    def is_late(self, update: PriceUpdate) -> bool:
        mark = self._watermark.get(update.symbol)
        if mark is None:
            return False
        smallest = self.intervals[0]
        return smallest.start_of(update.timestamp_ms) + smallest.ms + self.allowed_lateness_ms <= mark

    def apply(self, update: PriceUpdate) -> list[CandleClosed]:
        """Fold one update in; return the candles of its symbol that this closed, oldest first."""
        if self.is_late(update):
            self.late_dropped += 1
            return []
        bars = self._open.setdefault(update.symbol, {})
        price, volume, ts = update.last, update.volume, update.timestamp_ms
        for interval in self.intervals:
            start = ts - ts % interval.ms
            bar = bars.get((interval, start))
            if bar is None:
                bars[(interval, start)] = _Bar(interval, start, price, volume, ts)
            else:
                bar.add(price, volume, ts)
        mark = self._watermark.get(update.symbol)
        if mark is None or update.timestamp_ms > mark:
            self._watermark[update.symbol] = update.timestamp_ms
            return self._close(update.symbol)
        return []

    def advance(self, until_ms: int) -> list[CandleClosed]:
        """Move every symbol's watermark up to ``until_ms`` (an idle symbol's candles close too)."""
        closed: list[CandleClosed] = []
        for symbol in list(self._open):
            if self._watermark.get(symbol, until_ms) < until_ms:
                self._watermark[symbol] = until_ms
            closed.extend(self._close(symbol))
        return closed

    def open_candles(self, symbol: str | None = None) -> list[Candle]:
        symbols = [symbol] if symbol is not None else list(self._open)
        return [bar.candle(s) for s in symbols for bar in self._open.get(s, {}).values()]

    def restore(self, candles: Iterable[Candle]) -> None:
        """Take back open candles persisted before a restart; each symbol's watermark becomes its
        latest event time among them (the newest update always sits in an open candle)."""
        for candle in candles:
            if candle.closed:
                continue
            self._open.setdefault(candle.symbol, {})[(candle.interval, candle.start_ms)] = _Bar.of(candle)
            mark = self._watermark.get(candle.symbol)
            if mark is None or candle.last_ms > mark:
                self._watermark[candle.symbol] = candle.last_ms

    def _close(self, symbol: str) -> list[CandleClosed]:
        horizon = self._watermark[symbol] - self.allowed_lateness_ms
        bars = self._open.get(symbol, {})
        due = [key for key, bar in bars.items() if bar.start_ms + bar.interval.ms <= horizon]
        if not due:
            return []
        closed = [CandleClosed(bars.pop(key).candle(symbol, closed=True)) for key in due]
        closed.sort(key=lambda e: (e.candle.end_ms, e.candle.interval.ms))
        if not bars:
            del self._open[symbol]
        return closed
