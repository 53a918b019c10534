"""The gateway's replay tells the venue which trading day it replays (``session`` messages on the
live channel): one at every change of day (and at most one a second otherwise), none for prices
that are not the replay's. With the FIX broker nothing is fed to a broker in process."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.execution.broker import BrokerOrder, ExecType, ExecutionReport
from tradewind.apps.gateway.market_feeds import GatewayMarketData
from tradewind.domain.marketdata import PriceUpdate
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce


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


def _limit(client_order_id: str, tif: TimeInForce) -> BrokerOrder:
    return BrokerOrder(
        client_order_id, "AAPL", OrderSide.BUY, 10, OrderType.LIMIT, tif, limit_price=Decimal("1.00"), account="a-1"
    )


async def _two_replayed_days(expire: bool) -> list[ExecutionReport]:
    """A DAY and a GTC limit far below the market on the in-process paper broker, then the replay
    crosses into the next trading day (one tick = a quarter of a session)."""
    settings = Settings(profile="memory", replay_speed=5850.0, quote_interval_ms=1000, paper_expire_day_orders=expire)
    adapters: Any = build_adapters(settings)
    paper = PaperBroker()
    reports: list[ExecutionReport] = []
    paper.register_callback(reports.append)  # called on the broker's thread; list.append is atomic
    paper.start()
    try:
        market = GatewayMarketData(adapters, paper, settings)
        assert market.replay is not None
        for update in market.replay.step():
            await market.ingest(update)
        paper.submit(_limit("day-1", TimeInForce.DAY))
        paper.submit(_limit("gtc-1", TimeInForce.GTC))
        first_day = market.replay.session_day
        while market.replay.session_day == first_day:
            for update in market.replay.step():
                await market.ingest(update)
        for update in market.replay.step():  # the next day's first tick
            await market.ingest(update)
        await asyncio.to_thread(paper.open_orders)  # a round trip through the broker thread: its reports are out
        return reports
    finally:
        paper.stop()


async def test_the_in_process_paper_broker_expires_day_orders_when_the_replayed_session_closes() -> None:
    reports = await _two_replayed_days(expire=True)
    expired = [r.client_order_id for r in reports if r.exec_type == ExecType.EXPIRED]
    assert expired == ["day-1"]  # the GTC order works on into the next day
    assert {r.client_order_id for r in reports if r.exec_type == ExecType.NEW} == {"day-1", "gtc-1"}


async def test_day_orders_stay_when_expiry_is_turned_off() -> None:
    reports = await _two_replayed_days(expire=False)
    assert not [r for r in reports if r.exec_type == ExecType.EXPIRED]
