"""The real-history replay as a feed of the pipeline: the 20 S&P 500 daily closes shipped in
``data/`` (skfolio's ``sp500_dataset``), replayed at a chosen speed.

The market clock walks through the real trading days, 09:30-16:00 New York time, ``speed``
market seconds per wall-clock second; one tick every ``interval`` seconds gives one update per
symbol. Closes only exist once a day, so inside a session the price moves in a straight line
from the previous day's close to the day's real close (deterministic, nothing random; see
``data/README.md``); bid and ask sit ``spread_bps`` around it (at least a cent). The data set
has no volume: updates carry volume 0.

``stamp="live"`` (the demo, the gateway) stamps each update with the wall clock, so quotes are
fresh for the risk check while the prices are real; ``stamp="historical"`` stamps the market
instant on its real date (backtests: candles of the real days).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from tradewind.adapters.broker.history import load_closes
from tradewind.application.ports import PriceSink
from tradewind.domain.clock import utcnow
from tradewind.domain.marketdata import PriceUpdate

EXCHANGE = "HIST"
NEW_YORK = ZoneInfo("America/New_York")
SESSION_OPEN = time(9, 30)
SESSION_SECONDS = 6.5 * 3600
CENT = Decimal("0.01")


class HistoryFeed:
    def __init__(
        self,
        *,
        start: date = date(2022, 1, 3),
        speed: float = 600.0,
        interval: float = 0.5,
        symbols: Sequence[str] | None = None,
        spread_bps: int = 2,
        stamp: Literal["live", "historical"] = "live",
        clock: Callable[[], datetime] = utcnow,
        name: str = "replay",
    ) -> None:
        if speed <= 0 or interval <= 0:
            raise ValueError("speed and interval must be positive")
        self.name = name
        self.data = load_closes()
        unknown = set(symbols or ()) - set(self.data.symbols)
        if unknown:
            raise ValueError(f"no history for {sorted(unknown)}")
        wanted = set(symbols) if symbols else set(self.data.symbols)
        self._columns = [(i, s) for i, s in enumerate(self.data.symbols) if s in wanted]
        self._day = next((i for i, d in enumerate(self.data.days) if d >= start), 0)
        self._seconds = 0.0
        self.speed, self.interval = speed, interval
        self._spread = Decimal(spread_bps) / Decimal(10_000)
        self._stamp = stamp
        self._clock = clock
        self._counts: Counter[str] = Counter()

    @property
    def stats(self) -> Mapping[str, int]:
        return dict(self._counts)

    @property
    def market_time(self) -> datetime:
        """The replayed instant, on its real date, in UTC."""
        opening = datetime.combine(self.data.days[self._day], SESSION_OPEN, tzinfo=NEW_YORK)
        return (opening + timedelta(seconds=self._seconds)).astimezone(UTC)

    @property
    def session_day(self) -> date:
        """The real trading day being replayed."""
        return self.data.days[self._day]

    def prices(self) -> dict[str, Decimal]:
        """Each symbol's price at the replayed instant."""
        today = self.data.closes[self._day]
        before = self.data.closes[max(self._day - 1, 0)]
        fraction = Decimal(self._seconds / SESSION_SECONDS)
        return {
            symbol: (before[i] + (today[i] - before[i]) * fraction).quantize(CENT, rounding=ROUND_HALF_EVEN)
            for i, symbol in self._columns
        }

    def step(self) -> list[PriceUpdate]:
        """The updates of the current instant, then the clock moves ``speed * interval`` on."""
        ts = self._clock() if self._stamp == "live" else self.market_time
        ts_ms = int(ts.timestamp() * 1000)
        out = []
        for symbol, last in self.prices().items():
            half = max((last * self._spread / 2).quantize(CENT, rounding=ROUND_HALF_EVEN), CENT)
            out.append(PriceUpdate(symbol, last - half, last + half, last, 0, ts_ms, EXCHANGE))
        self._advance(self.speed * self.interval)
        return out

    def _advance(self, seconds: float) -> None:
        self._seconds += seconds
        while self._seconds >= SESSION_SECONDS:
            self._seconds -= SESSION_SECONDS
            self._day = self._day + 1 if self._day + 1 < len(self.data.days) else 0  # loop at the end

    async def run(self, sink: PriceSink, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while not stop.is_set():
            for update in self.step():
                self._counts["received"] += 1
                try:
                    await sink(update)
                    self._counts["delivered"] += 1
                except Exception:
                    self._counts["sink_errors"] += 1
            next_at += self.interval
            try:
                await asyncio.wait_for(stop.wait(), timeout=max(0.0, next_at - loop.time()))  # the replay's tick
            except TimeoutError:
                pass
