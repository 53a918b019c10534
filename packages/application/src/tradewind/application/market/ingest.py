"""The gateway's side of market data: every normalized update from every feed goes to each sink
(the market-data stream, the paper broker). A sink that fails is logged and counted; the others
still receive the update, and the feed keeps running."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

from tradewind.application.ports import PriceSink
from tradewind.domain.marketdata import PriceUpdate

log = logging.getLogger(__name__)


class PriceIngest:
    def __init__(self, sinks: Sequence[tuple[str, PriceSink]]) -> None:
        self._sinks = list(sinks)
        self.failures: Counter[str] = Counter()
        self.received = 0

    async def __call__(self, update: PriceUpdate) -> None:
        self.received += 1
        for name, sink in self._sinks:
            try:
                await sink(update)
            except Exception:
                self.failures[name] += 1
                log.exception("price sink failed", extra={"sink": name, "symbol": update.symbol})
