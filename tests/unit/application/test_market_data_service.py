"""The market-data service and its observers on in-memory twins: a failing observer is logged
and counted while the others receive every batch; the last price feeds the risk check and its
expiry makes the check reject with a reason; candles survive a restart without counting a
replayed record twice, and a store failure is caught up with the next batch."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from tradewind.adapters.aws.memory.candles import MemoryCandleStore
from tradewind.adapters.aws.memory.notifier import MemoryNotifier
from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.memory.quotes import MemoryQuoteBroadcaster, MemoryQuoteWriter
from tradewind.application.market.observers import CandleObserver, LastPriceObserver, QuoteFanoutObserver
from tradewind.application.market.service import MarketDataService
from tradewind.application.ports import Exposure, PriceBatch
from tradewind.application.risk.check import RiskCheck
from tradewind.application.risk.rules import MaxOrderNotional
from tradewind.domain.clock import utcnow
from tradewind.domain.errors import RiskRejected
from tradewind.domain.marketdata import Candle, Interval, PriceUpdate
from tradewind.domain.orders.commands import PlaceOrder
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

D = Decimal
NOW_MS = int(utcnow().timestamp() * 1000)
MINUTE = 60_000


def update(symbol: str, last: str, at_ms: int | None = None, volume: int = 10) -> PriceUpdate:
    """At ``at_ms``, or now (so the price is fresh for the risk check whenever the test runs)."""
    p = D(last)
    ts = int(utcnow().timestamp() * 1000) if at_ms is None else at_ms
    return PriceUpdate(symbol, p - D("0.01"), p + D("0.01"), p, volume, ts, "TEST")


def batch(shard: str, first_seq: int, *updates: PriceUpdate) -> PriceBatch:
    return PriceBatch(shard, [(first_seq + i, u) for i, u in enumerate(updates)])


class Collecting:
    def __init__(self) -> None:
        self.batches: list[PriceBatch] = []

    async def __call__(self, b: PriceBatch) -> None:
        self.batches.append(b)


async def broken(b: PriceBatch) -> None:
    raise ConnectionError("redis is down")


async def test_a_failing_observer_is_logged_and_counted_and_the_others_get_every_batch(
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = MarketDataService()
    before, after = Collecting(), Collecting()
    service.register("before", before)
    service.register("fanout", broken)
    service.register("after", after)
    batches = [batch("s-1", 1, update("AAPL", "100")), batch("s-2", 1, update("MSFT", "400"))]
    with caplog.at_level(logging.ERROR, logger="tradewind.application.market.service"):
        for b in batches:
            await service.on_batch(b)  # never raises: the stream is checkpointed
    assert before.batches == batches and after.batches == batches
    assert service.failures == {"fanout": 2} and (service.batches, service.updates) == (2, 2)
    logged = [r for r in caplog.records if r.getMessage() == "market data observer failed"]
    assert [r.observer for r in logged] == ["fanout", "fanout"]  # type: ignore[attr-defined]
    assert all(r.exc_info and r.exc_info[0] is ConnectionError for r in logged)


def test_observer_names_are_unique() -> None:
    service = MarketDataService()
    service.register("prices", broken)
    with pytest.raises(ValueError, match="already registered"):
        service.register("prices", broken)


async def test_the_last_price_is_the_newest_by_event_time_and_never_moves_back() -> None:
    cache = MemoryPriceCache()
    observer = LastPriceObserver(MemoryQuoteWriter(cache))
    await observer(batch("s", 1, update("AAPL", "101", NOW_MS + 2), update("AAPL", "100", NOW_MS + 1)))
    assert (await cache.get("AAPL")).last == D("101")  # type: ignore[union-attr]
    await observer(batch("s", 3, update("AAPL", "99", NOW_MS)))  # a retried, older record
    assert (await cache.get("AAPL")).last == D("101")  # type: ignore[union-attr]
    await observer(batch("s", 4, update("AAPL", "102", NOW_MS + 3)))
    assert (await cache.get("AAPL")).last == D("102")  # type: ignore[union-attr]


async def test_every_update_is_broadcast_as_a_quote_in_order() -> None:
    notifier = MemoryNotifier()
    seen: list[dict[str, Any]] = []

    async def listener(message: dict[str, Any]) -> None:
        seen.append(message)

    notifier.listen(listener)
    observer = QuoteFanoutObserver(MemoryQuoteBroadcaster(notifier))
    await observer(batch("s", 1, update("AAPL", "100"), update("AAPL", "100.5"), update("KO", "60")))
    assert [(m["kind"], m["data"]["symbol"], m["data"]["last"]) for m in seen] == [
        ("quote", "AAPL", "100"),
        ("quote", "AAPL", "100.5"),
        ("quote", "KO", "60"),
    ]


def buy(symbol: str, qty: int = 1) -> tuple[Order, Exposure]:
    cmd = PlaceOrder(uuid.uuid4(), symbol, OrderSide.BUY, qty, OrderType.MARKET, TimeInForce.DAY, "c-1")
    return Order.submit(cmd), Exposure(cash=D(100_000), positions={}, open_orders=[])


async def test_the_feed_keeps_risk_marks_and_an_expired_price_makes_risk_reject_with_a_reason(
    eventually: Any,
) -> None:
    cache = MemoryPriceCache(ttl_seconds=0.2)
    service = MarketDataService()
    service.register("last_price", LastPriceObserver(MemoryQuoteWriter(cache)))
    risk = RiskCheck(cache, [MaxOrderNotional(D(1_000_000))])
    await service.on_batch(batch("s", 1, update("AAPL", "100")))
    await risk.check(*buy("AAPL"))  # a current mark: accepted

    async def expired() -> bool:
        return await cache.get("AAPL") is None

    await eventually(expired, timeout=5, what="the price to expire")
    with pytest.raises(RiskRejected) as rejected:
        await risk.check(*buy("AAPL"))
    assert rejected.value.rule == "price_missing" and "AAPL" in rejected.value.detail


async def test_a_price_older_than_five_seconds_makes_risk_reject_as_stale() -> None:
    cache = MemoryPriceCache()
    service = MarketDataService()
    service.register("last_price", LastPriceObserver(MemoryQuoteWriter(cache)))
    old = int((utcnow() - timedelta(seconds=6)).timestamp() * 1000)
    await service.on_batch(batch("s", 1, update("KO", "60", at_ms=old)))
    with pytest.raises(RiskRejected) as rejected:
        await RiskCheck(cache, []).check(*buy("KO"))
    assert rejected.value.rule == "price_stale"


class FlakyStore(MemoryCandleStore):
    def __init__(self) -> None:
        super().__init__(source="s")
        self.fail = False

    async def save(self, candles: Sequence[Candle], progress: Mapping[str, int]) -> None:
        if self.fail:
            raise ConnectionError("postgres is down")
        await super().save(candles, progress)


T0 = (NOW_MS // 3_600_000) * 3_600_000  # on an hour boundary


async def test_candles_are_persisted_open_and_closed() -> None:
    store = MemoryCandleStore(source="s")
    observer = CandleObserver(store, [Interval.M1])
    await observer.start()
    await observer(batch("s-1", 1, update("AAPL", "100", T0), update("AAPL", "103", T0 + 30_000)))
    [forming] = await store.list_candles("AAPL", Interval.M1)
    assert not forming.closed and (forming.open, forming.close) == (D("100"), D("103"))
    await observer(batch("s-1", 3, update("AAPL", "104", T0 + MINUTE + 5_000)))
    opened, closed = await store.list_candles("AAPL", Interval.M1)  # newest first
    assert closed.closed and closed.close == D("103") and not opened.closed
    assert observer.closed_total == 1


async def test_a_restart_continues_the_open_candle_and_skips_what_it_already_counted() -> None:
    store = MemoryCandleStore(source="s")
    first = CandleObserver(store, [Interval.M1])
    await first.start()
    replayed = batch("s-1", 1, update("AAPL", "100", T0, volume=5), update("AAPL", "101", T0 + 1_000, volume=7))
    await first(replayed)
    # crash before the stream checkpoint: the restarted process gets the same batch again
    second = CandleObserver(store, [Interval.M1])
    await second.start()
    await second(replayed)
    await second(batch("s-1", 3, update("AAPL", "99", T0 + 2_000, volume=1)))
    [candle] = await store.list_candles("AAPL", Interval.M1)
    assert (candle.open, candle.low, candle.close, candle.volume, candle.updates) == (D("100"), D("99"), D("99"), 13, 3)
    assert second.replayed_skipped == 2


async def test_a_store_failure_is_caught_up_with_the_next_batch() -> None:
    store = FlakyStore()
    observer = CandleObserver(store, [Interval.M1])
    await observer.start()
    store.fail = True
    with pytest.raises(ConnectionError):
        await observer(batch("s-1", 1, update("AAPL", "100", T0)))
    store.fail = False
    await observer(batch("s-1", 2, update("AAPL", "105", T0 + MINUTE + 3_000)))
    candles = await store.list_candles("AAPL", Interval.M1)
    assert [(c.start_ms, c.closed, c.close) for c in candles] == [(T0 + MINUTE, False, D("105")), (T0, True, D("100"))]
    assert (await store.load_open())[1] == {"s-1": 2}
