"""The quote pump: one failing sink is counted and logged, and every other sink still gets every
quote (a broken stream must not blind the risk check's price cache)."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

import pytest

from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.application.market.quote_pump import QuotePump
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote


def quote(symbol: str, last: str) -> Quote:
    price = Decimal(last)
    return Quote(symbol, price - Decimal("0.01"), price + Decimal("0.01"), price, utcnow())


class ScriptedSource:
    """Hands out the given batches, one per ``step``, then nothing."""

    def __init__(self, batches: list[list[Quote]]) -> None:
        self._batches = list(batches)

    def step(self) -> list[Quote]:
        return self._batches.pop(0) if self._batches else []


class CollectingSink:
    def __init__(self) -> None:
        self.quotes: list[Quote] = []

    async def __call__(self, quote: Quote) -> None:
        self.quotes.append(quote)


async def broken_sink(quote: Quote) -> None:
    raise ConnectionError("stream hub down")


BATCHES = [[quote("AAPL", "100"), quote("MSFT", "400")], [quote("AAPL", "100.5")]]
EVERY_QUOTE = [q for batch in BATCHES for q in batch]


async def test_a_failing_sink_is_counted_and_logged_and_the_others_get_every_quote(
    caplog: pytest.LogCaptureFixture,
) -> None:
    before, after = CollectingSink(), CollectingSink()
    prices = MemoryPriceCache()
    pump = QuotePump(
        ScriptedSource(BATCHES),
        [("before", before), ("stream", broken_sink), ("prices", prices.put), ("after", after)],
        interval=0.01,
    )
    with caplog.at_level(logging.ERROR, logger="tradewind.application.market.quote_pump"):
        await pump.tick()
        await pump.tick()

    assert before.quotes == EVERY_QUOTE and after.quotes == EVERY_QUOTE
    assert await prices.get("AAPL") == BATCHES[1][0] and await prices.get("MSFT") == BATCHES[0][1]
    assert pump.failures == {"stream": 3} and pump.ticks == 2
    failures = [r for r in caplog.records if r.getMessage() == "quote sink failed"]
    assert len(failures) == 3
    assert [(r.sink, r.symbol) for r in failures] == [("stream", "AAPL"), ("stream", "MSFT"), ("stream", "AAPL")]  # type: ignore[attr-defined]
    assert all(r.exc_info and r.exc_info[0] is ConnectionError for r in failures)


async def test_run_ticks_until_stopped() -> None:
    stop = asyncio.Event()
    seen = CollectingSink()

    async def stop_after_three(q: Quote) -> None:
        await seen(q)
        if len(seen.quotes) == 3:
            stop.set()

    pump = QuotePump(ScriptedSource([[q] for q in EVERY_QUOTE * 2]), [("stopper", stop_after_three)], interval=0)
    await asyncio.wait_for(pump.run(stop), timeout=5)
    assert seen.quotes == EVERY_QUOTE and pump.ticks == 3
