"""The real-history replay feed: real dates and real closes, at the chosen speed; stamped with
the wall clock (live) or the replayed instant (historical)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from tradewind.adapters.broker.feeds.replay import HistoryFeed
from tradewind.adapters.broker.history import load_closes
from tradewind.domain.marketdata import PriceUpdate

SESSION = 6.5 * 3600


def real_close(symbol: str, day: date) -> Decimal:
    data = load_closes()
    close = data.closes[data.days.index(day)][data.symbols.index(symbol)]
    return close.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def test_a_session_walks_from_the_previous_close_to_the_real_close_on_real_dates() -> None:
    feed = HistoryFeed(start=date(2022, 1, 3), speed=SESSION / 4, interval=1.0, symbols=["AAPL"], stamp="historical")
    steps = [feed.step()[0] for _ in range(5)]
    opening = datetime(2022, 1, 3, 14, 30, tzinfo=UTC)  # 09:30 in New York (winter)
    assert [u.timestamp_ms for u in steps[:4]] == [
        int((opening + timedelta(seconds=SESSION / 4 * i)).timestamp() * 1000) for i in range(4)
    ]
    assert steps[0].last == real_close("AAPL", date(2021, 12, 31))  # the open: the last real close
    assert steps[4].last == real_close("AAPL", date(2022, 1, 3))  # next open: that day's real close
    assert steps[4].event_time == datetime(2022, 1, 4, 14, 30, tzinfo=UTC)
    assert all(u.bid < u.last < u.ask and u.exchange == "HIST" and u.volume == 0 for u in steps)


def test_weekends_are_skipped_and_summer_time_is_new_york_time() -> None:
    feed = HistoryFeed(start=date(2022, 7, 1), speed=SESSION, interval=1.0, symbols=["KO"], stamp="historical")
    friday, monday = feed.step()[0], feed.step()[0]
    assert friday.event_time == datetime(2022, 7, 1, 13, 30, tzinfo=UTC)  # 09:30 EDT
    assert monday.event_time.date() == date(2022, 7, 5)  # July 4th: no session in the data


def test_live_stamps_use_the_clock_and_speed_sets_the_pace() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    feed = HistoryFeed(start=date(2022, 1, 3), speed=60.0, interval=0.5, clock=lambda: now)
    updates = feed.step()
    assert len(updates) == 20 and {u.timestamp_ms for u in updates} == {int(now.timestamp() * 1000)}
    assert feed.market_time == datetime(2022, 1, 3, 14, 30, 30, tzinfo=UTC)  # 60 x 0.5 s of market time


async def test_run_delivers_every_tick_until_stopped() -> None:
    feed = HistoryFeed(speed=600.0, interval=0.001, symbols=["AAPL", "MSFT"])
    got: list[PriceUpdate] = []
    stop = asyncio.Event()

    async def sink(update: PriceUpdate) -> None:
        got.append(update)
        if len(got) == 6:
            stop.set()

    await asyncio.wait_for(feed.run(sink, stop), 5)
    assert [u.symbol for u in got] == ["AAPL", "MSFT"] * 3
    assert feed.stats["delivered"] == 6
