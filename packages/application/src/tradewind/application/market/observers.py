"""The market-data service's observers: last price (the risk check's marks), live quote fan-out
and candles. Each is idempotent under redelivery of a batch."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from tradewind.application.ports import CandleStore, PriceBatch, QuoteBroadcaster, QuoteWriter
from tradewind.domain.marketdata import Candle, CandleAggregator, CandleClosed, Interval, PriceUpdate

log = logging.getLogger(__name__)

#: an idle symbol's candles close once the stream's event time is this far past their end
IDLE_CLOSE_MS = 10_000


def latest_per_symbol(updates: Sequence[PriceUpdate], newer_than: dict[str, int]) -> list[PriceUpdate]:
    """The newest update per symbol, skipping any not newer than ``newer_than`` (which it raises)."""
    latest: dict[str, PriceUpdate] = {}
    for u in updates:
        held = latest.get(u.symbol)
        if (held is None or u.timestamp_ms >= held.timestamp_ms) and u.timestamp_ms > newer_than.get(u.symbol, -1):
            latest[u.symbol] = u
    for symbol, u in latest.items():
        newer_than[symbol] = u.timestamp_ms
    return list(latest.values())


class LastPriceObserver:
    """Keeps the last-price cache (TTL 5 s) current: the marks the risk check and the quotes
    endpoint read. Per symbol only the newest update of a batch is written, and never one older
    than the last written (a retried or replayed record cannot move a price back in time); a
    feed that stops lets the key expire, so risk fails closed."""

    def __init__(self, writer: QuoteWriter) -> None:
        self._writer = writer
        self._written: dict[str, int] = {}

    async def __call__(self, batch: PriceBatch) -> None:
        fresh = latest_per_symbol([u for _, u in batch.records], dict(self._written))
        if fresh:
            await self._writer.put_many([u.to_quote() for u in fresh])
            for u in fresh:
                if u.timestamp_ms > self._written.get(u.symbol, -1):
                    self._written[u.symbol] = u.timestamp_ms


class QuoteFanoutObserver:
    """Every update becomes a ``quote`` event for the web processes, in stream order; conflation
    is per SSE connection (a slow client gets the newest price per symbol), not here."""

    def __init__(self, broadcaster: QuoteBroadcaster) -> None:
        self._broadcaster = broadcaster

    async def __call__(self, batch: PriceBatch) -> None:
        if batch.records:
            await self._broadcaster.broadcast([u.to_quote() for _, u in batch.records])


class CandleObserver:
    """Aggregates 1m/5m/1h candles and persists them, open and closed, with the per-shard stream
    position they include (one transaction). A record at or below the persisted position of its
    shard is a replay after a restart and is skipped, so no update is counted twice.

    If the store fails, the candles stay pending and are written with the next batch (the batch
    is still checkpointed: the stream moves on, the candles catch up). ``start`` restores the
    open candles, so a restart continues them instead of beginning a partial candle.
    """

    def __init__(
        self,
        store: CandleStore,
        intervals: Sequence[Interval] = (Interval.M1, Interval.M5, Interval.H1),
        *,
        idle_close_ms: int = IDLE_CLOSE_MS,
    ) -> None:
        self._store = store
        self.aggregator = CandleAggregator(intervals)
        self._idle_close_ms = idle_close_ms
        self._progress: dict[str, int] = {}
        self._pending: dict[tuple[str, Interval, int], Candle] = {}
        self._pending_progress: dict[str, int] = {}
        self._lock = asyncio.Lock()
        self._stream_time = 0
        self.closed: list[CandleClosed] = []  # the most recent batch's closed candles
        self.closed_total = 0
        self.replayed_skipped = 0

    async def start(self) -> None:
        candles, progress = await self._store.load_open()
        self.aggregator.restore(candles)
        self._progress.update(progress)

    async def __call__(self, batch: PriceBatch) -> None:
        done = self._progress.get(batch.shard_id, 0)
        closed: list[CandleClosed] = []
        touched: set[str] = set()
        last_seq = done
        for seq, update in batch.records:
            if seq <= done:
                self.replayed_skipped += 1
                continue
            last_seq = max(last_seq, seq)
            closed += self.aggregator.apply(update)
            touched.add(update.symbol)
            self._stream_time = max(self._stream_time, update.timestamp_ms)
        if last_seq > done:
            self._progress[batch.shard_id] = last_seq
            self._pending_progress[batch.shard_id] = last_seq
        closed += self.aggregator.advance(self._stream_time - self._idle_close_ms) if self._stream_time else []
        for event in closed:
            c = event.candle
            self._pending[(c.symbol, c.interval, c.start_ms)] = c
        for symbol in touched:
            for c in self.aggregator.open_candles(symbol):
                self._pending[(c.symbol, c.interval, c.start_ms)] = c
        self.closed = closed
        self.closed_total += len(closed)
        await self._persist()

    async def _persist(self) -> None:
        async with self._lock:
            if not self._pending and not self._pending_progress:
                return
            candles, progress = self._pending, self._pending_progress
            self._pending, self._pending_progress = {}, {}
            try:
                await self._store.save(list(candles.values()), progress)
            except BaseException:
                # keep them, newer versions (written meanwhile) win; retried with the next batch
                self._pending = candles | self._pending
                self._pending_progress = progress | self._pending_progress
                raise
