"""Moves quotes from a source (the real-history replay) to everyone who needs them: the last
price cache (risk, quotes endpoint), the paper broker (fills), and the live stream.

A sink that fails is logged and counted; the others still receive the quote (one broken
consumer must not blind the risk check).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from tradewind.domain.market import Quote

log = logging.getLogger(__name__)

QuoteSink = Callable[[Quote], Awaitable[None]]


class QuoteSource(Protocol):
    def step(self) -> list[Quote]: ...


class QuotePump:
    def __init__(self, source: QuoteSource, sinks: Sequence[tuple[str, QuoteSink]], *, interval: float) -> None:
        self._source = source
        self._sinks = list(sinks)
        self._interval = interval
        self.failures: Counter[str] = Counter()
        self.ticks = 0

    async def tick(self) -> None:
        for quote in self._source.step():
            for name, sink in self._sinks:
                try:
                    await sink(quote)
                except Exception:
                    self.failures[name] += 1
                    log.exception("quote sink failed", extra={"sink": name, "symbol": quote.symbol})
        self.ticks += 1

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while not stop.is_set():
            await self.tick()
            next_at += self._interval
            try:
                await asyncio.wait_for(stop.wait(), timeout=max(0.0, next_at - loop.time()))
            except TimeoutError:
                pass
