"""The gateway's replay tells the venue which trading day it replays (``session`` messages on the
live channel): one at every change of day (and at most one a second otherwise), none for prices
that are not the replay's. With the FIX broker nothing is fed to a broker in process."""

from __future__ import annotations

from typing import Any

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.apps.gateway.market_feeds import GatewayMarketData
from tradewind.domain.marketdata import PriceUpdate


async def test_the_replay_announces_each_new_trading_day_once() -> None:
    # one replay tick = a quarter of a session: four ticks a day
    settings = Settings(profile="memory", replay_speed=5850.0, quote_interval_ms=1000)
    adapters: Any = build_adapters(settings)
    heard: list[dict[str, Any]] = []

    async def listen(message: dict[str, Any]) -> None:
        if message["kind"] == "session":
            heard.append(message["data"])

    adapters.notifier().listen(listen)
    market = GatewayMarketData(adapters, PaperBroker(), settings)
    assert market.replay is not None
    days = []
    for _ in range(9):  # ticks of three trading days
        for update in market.replay.step():
            await market.ingest(update)
        days.append(market.replay.session_day.isoformat())

    told = [d["day"] for d in heard]
    # every day is told, in order, from its first tick on (a day may be told again after a second
    # of wall time: never asserted, the machine's speed decides)
    assert [day for i, day in enumerate(told) if i == 0 or told[i - 1] != day] == sorted(set(days))
    assert len(told) < 9 * 20  # not one per price: 20 symbols a tick
    assert {d["exchange"] for d in heard} == {"HIST"}
    before = len(heard)
    await market.ingest(PriceUpdate("AAPL", 1, 2, 1, 0, 1_700_000_000_000, "WSX"))  # not the replay's
    assert len(heard) == before
