"""Candle aggregation by event time: boundaries, out-of-order and late updates, gaps, the three
intervals agreeing, and restore after a restart."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from tradewind.domain.marketdata import Candle, CandleAggregator, CandleClosed, Interval, PriceUpdate

D = Decimal
#: 2024-03-04 15:00:00 UTC, on an hour boundary
T0 = int(datetime(2024, 3, 4, 15, tzinfo=UTC).timestamp() * 1000)
S, M = 1_000, 60_000


def tick(at_ms: int, last: str, volume: int = 10, symbol: str = "AAPL") -> PriceUpdate:
    price = D(last)
    return PriceUpdate(symbol, price - D("0.01"), price + D("0.01"), price, volume, at_ms, "TEST")


def ohlcv(c: Candle) -> tuple[str, str, str, str, int]:
    return (str(c.open), str(c.high), str(c.low), str(c.close), c.volume)


def closed_of(events: list[CandleClosed], interval: Interval = Interval.M1) -> list[Candle]:
    return [e.candle for e in events if e.candle.interval is interval]


def test_a_candle_closes_when_an_update_passes_its_end_plus_the_lateness() -> None:
    agg = CandleAggregator([Interval.M1], allowed_lateness_ms=2 * S)
    assert agg.apply(tick(T0, "100")) == []
    assert agg.apply(tick(T0 + 59_999, "101")) == []
    assert agg.apply(tick(T0 + M, "102")) == []  # first update of the next minute: still amendable
    assert agg.apply(tick(T0 + M + 1_999, "103")) == []
    events = agg.apply(tick(T0 + M + 2 * S, "104"))
    [candle] = closed_of(events)
    assert candle.start_ms == T0 and candle.closed
    assert ohlcv(candle) == ("100", "101", "100", "101", 20)
    assert candle.to_dict()["start"] == "2024-03-04T15:00:00Z"


def test_the_boundary_belongs_to_the_next_candle() -> None:
    agg = CandleAggregator([Interval.M1], allowed_lateness_ms=0)
    agg.apply(tick(T0 + M - 1, "100"))
    [candle] = closed_of(agg.apply(tick(T0 + M, "200")))
    assert candle.start_ms == T0 and candle.close == D("100")
    assert [c.start_ms for c in agg.open_candles("AAPL")] == [T0 + M]


def test_out_of_order_updates_inside_the_lateness_amend_by_event_time() -> None:
    agg = CandleAggregator([Interval.M1], allowed_lateness_ms=2 * S)
    agg.apply(tick(T0 + 30 * S, "105"))  # arrives first, happened in the middle
    agg.apply(tick(T0 + M + 1 * S, "110"))  # next minute opened
    agg.apply(tick(T0 + 50 * S, "108"))  # late, but within the lateness: the close
    agg.apply(tick(T0 + 1 * S, "99"))  # the real open, arriving last
    [candle] = closed_of(agg.apply(tick(T0 + M + 5 * S, "111")))
    assert ohlcv(candle) == ("99", "108", "99", "108", 30)
    assert (candle.first_ms, candle.last_ms, candle.updates) == (T0 + 1 * S, T0 + 50 * S, 3)


def test_an_update_after_its_candle_closed_is_counted_and_dropped_from_every_interval() -> None:
    agg = CandleAggregator(allowed_lateness_ms=2 * S)
    agg.apply(tick(T0, "100"))
    agg.apply(tick(T0 + M + 3 * S, "101"))  # closes the first minute
    assert agg.apply(tick(T0 + 10 * S, "500", volume=1_000)) == []
    assert agg.late_dropped == 1
    hour = next(c for c in agg.open_candles("AAPL") if c.interval is Interval.H1)
    assert hour.high == D("101") and hour.volume == 20  # the 1 h candle did not take it either


def test_gaps_make_no_candles() -> None:
    agg = CandleAggregator([Interval.M1], allowed_lateness_ms=0)
    agg.apply(tick(T0 + 5 * S, "100"))
    events = agg.apply(tick(T0 + 10 * M + 7 * S, "120"))  # nine silent minutes
    assert [c.start_ms for c in closed_of(events)] == [T0]
    [opened] = agg.open_candles("AAPL")
    assert opened.start_ms == T0 + 10 * M and opened.open == D("120")


def test_five_minute_and_hour_candles_agree_with_the_minutes() -> None:
    agg = CandleAggregator(allowed_lateness_ms=0)
    prices = ["100", "104", "97", "101", "103", "102"]
    events: list[CandleClosed] = []
    for minute, price in enumerate(prices):
        events += agg.apply(tick(T0 + minute * M, price, volume=minute + 1))
    events += agg.advance(T0 + 3_600_000)
    minutes, fives, hours = (closed_of(events, i) for i in (Interval.M1, Interval.M5, Interval.H1))
    assert [ohlcv(c) for c in fives] == [("100", "104", "97", "103", 15), ("102", "102", "102", "102", 6)]
    assert [ohlcv(c) for c in hours] == [("100", "104", "97", "102", 21)]
    assert sum(c.volume for c in minutes) == 21 and len(minutes) == 6


def test_closed_events_come_oldest_first_and_per_symbol() -> None:
    agg = CandleAggregator([Interval.M1, Interval.M5], allowed_lateness_ms=0)
    agg.apply(tick(T0, "1", symbol="AAPL"))
    agg.apply(tick(T0, "2", symbol="MSFT"))
    events = agg.apply(tick(T0 + 5 * M, "3", symbol="AAPL"))
    assert [(e.candle.symbol, e.candle.interval) for e in events] == [("AAPL", Interval.M1), ("AAPL", Interval.M5)]
    assert {c.symbol for c in agg.open_candles()} == {"AAPL", "MSFT"}


def test_advance_closes_an_idle_symbol_and_later_updates_for_it_are_late() -> None:
    agg = CandleAggregator([Interval.M1], allowed_lateness_ms=2 * S)
    agg.apply(tick(T0 + 10 * S, "100", symbol="KO"))
    [candle] = closed_of(agg.advance(T0 + M + 2 * S))
    assert candle.symbol == "KO" and candle.closed
    assert agg.apply(tick(T0 + 20 * S, "101", symbol="KO")) == []
    assert agg.late_dropped == 1
    assert agg.advance(T0 + 10 * M) == []  # nothing open, nothing invented


def test_restore_continues_a_candle_exactly() -> None:
    agg = CandleAggregator([Interval.M1], allowed_lateness_ms=2 * S)
    agg.apply(tick(T0 + 1 * S, "100"))
    agg.apply(tick(T0 + 20 * S, "103"))
    saved = agg.open_candles()

    after = CandleAggregator([Interval.M1], allowed_lateness_ms=2 * S)
    after.restore(saved)
    assert after.watermark("AAPL") == T0 + 20 * S
    after.apply(tick(T0 + 40 * S, "98"))
    [candle] = closed_of(after.apply(tick(T0 + M + 2 * S, "99")))
    assert ohlcv(candle) == ("100", "103", "98", "98", 30)
