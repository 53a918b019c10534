"""Replay of real price history (the closes in ``data/``) as a stream of quotes.

Deterministic by design (see ``data/README.md``): a linear bridge between consecutive real
closes and a fixed spread. Used by ``tradewind demo`` and the gateway's quote pump so the paper
broker trades on real prices; never a random walk.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from importlib import resources

from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote

DATA_FILE = "sp500-20-stocks-daily-close-1990-2022.csv.gz"
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class DailyCloses:
    symbols: tuple[str, ...]
    days: tuple[date, ...]
    closes: tuple[tuple[Decimal, ...], ...]  # one row per day, in ``symbols`` order


@lru_cache(maxsize=1)
def load_closes() -> DailyCloses:
    path = resources.files("tradewind.adapters.broker") / "data" / DATA_FILE
    with path.open("rb") as raw, gzip.open(raw, "rt", newline="") as text:
        reader = csv.reader(text)
        header = next(reader)
        days, rows = [], []
        for row in reader:
            days.append(date.fromisoformat(row[0]))
            rows.append(tuple(Decimal(v) for v in row[1:]))
    return DailyCloses(tuple(header[1:]), tuple(days), tuple(rows))


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


class HistoryReplay:
    """Steps through history from ``start``; each ``step()`` yields one quote per symbol."""

    def __init__(
        self,
        *,
        start: date = date(2022, 1, 3),
        steps_per_day: int = 20,
        spread_bps: int = 2,
        loop: bool = True,
    ) -> None:
        self.data = load_closes()
        self._day = next((i for i, d in enumerate(self.data.days) if d >= start), 0)
        self._step = 0
        self._steps = max(1, steps_per_day)
        self._spread = Decimal(spread_bps) / Decimal(10_000)
        self._loop = loop

    @property
    def current_day(self) -> date:
        return self.data.days[self._day]

    def last_prices(self) -> dict[str, Decimal]:
        today = self.data.closes[self._day]
        nxt = self.data.closes[min(self._day + 1, len(self.data.days) - 1)]
        frac = Decimal(self._step) / Decimal(self._steps)
        return {s: _round(a + (b - a) * frac) for s, a, b in zip(self.data.symbols, today, nxt, strict=True)}

    def quotes(self) -> list[Quote]:
        now = utcnow()
        out = []
        for symbol, last in self.last_prices().items():
            half = max(_round(last * self._spread / 2), CENT)
            out.append(Quote(symbol=symbol, bid=last - half, ask=last + half, last=last, ts=now))
        return out

    def step(self) -> list[Quote]:
        quotes = self.quotes()
        self._step += 1
        if self._step >= self._steps:
            self._step = 0
            self._day += 1
            if self._day >= len(self.data.days) - 1:
                self._day = 0 if self._loop else len(self.data.days) - 2
        return quotes

    def __iter__(self) -> Iterator[list[Quote]]:
        while True:
            yield self.step()
