"""``SimulatedMarket``: drives the three local exchanges with the real-history replay, so every
exchange publishes real prices (under its own exchange code, with simulated trade sizes)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from tradewind.adapters.broker.feeds.replay import HistoryFeed
from tradewind.domain.marketdata import PriceUpdate


class Exchange(Protocol):
    def publish(self, update: PriceUpdate) -> None: ...


class SimulatedMarket:
    def __init__(self, exchanges: Sequence[Exchange], replay: HistoryFeed) -> None:
        self._exchanges = list(exchanges)
        self._replay = replay
        self.published = 0

    def tick(self) -> None:
        for n, update in enumerate(self._replay.step()):
            sized = replace(update, volume=100 * (1 + (self.published + n) % 10))  # lots of 100 to 1000
            for exchange in self._exchanges:
                exchange.publish(sized)
        self.published += 1

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while not stop.is_set():
            self.tick()
            next_at += self._replay.interval
            try:
                await asyncio.wait_for(stop.wait(), timeout=max(0.0, next_at - loop.time()))  # the market's tick
            except TimeoutError:
                pass
