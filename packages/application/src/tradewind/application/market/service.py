"""The market-data service: every batch read from the stream goes to each registered observer.

Observers are isolated: one that raises is logged with its exception and counted in
``failures``, and every other observer still receives the batch (a broken SSE fan-out must not
blind the risk check's price cache). The service itself never raises, so the stream consumer
checkpoints the batch once all observers had their turn; an observer whose effect must survive
its own failure keeps what it could not write and retries it (``CandleObserver``).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable

from tradewind.application.ports import PriceBatch

log = logging.getLogger(__name__)

PriceObserver = Callable[[PriceBatch], Awaitable[None]]


class MarketDataService:
    def __init__(self) -> None:
        self._observers: list[tuple[str, PriceObserver]] = []
        self.failures: Counter[str] = Counter()
        self.batches = 0
        self.updates = 0

    def register(self, name: str, observer: PriceObserver) -> None:
        if any(n == name for n, _ in self._observers):
            raise ValueError(f"an observer named {name!r} is already registered")
        self._observers.append((name, observer))

    @property
    def observers(self) -> list[str]:
        return [name for name, _ in self._observers]

    async def on_batch(self, batch: PriceBatch) -> None:
        for name, observer in self._observers:
            try:
                await observer(batch)
            except Exception:
                self.failures[name] += 1
                log.exception(
                    "market data observer failed",
                    extra={"observer": name, "shard": batch.shard_id, "records": len(batch.records)},
                )
        self.batches += 1
        self.updates += len(batch.records)
