"""The processes' own wiring on the ``memory`` profile: a gateway pointed at the three local
exchanges (``TRADEWIND_MARKET_FEEDS``) feeds the stream and the paper broker; the worker's
market-data service puts every exchange's prices in the cache the risk check reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.adapters.broker.feeds.simulators.fix_exchange import FixExchange
from tradewind.adapters.broker.feeds.simulators.rest_exchange import RestExchange
from tradewind.adapters.broker.feeds.simulators.ws_exchange import WebSocketExchange
from tradewind.apps.gateway.main import GatewayProcess
from tradewind.apps.gateway.main import build_container as gateway_container
from tradewind.apps.gateway.market_feeds import exchange_feeds
from tradewind.apps.worker.main import WorkerProcess
from tradewind.apps.worker.main import build_container as worker_container
from tradewind.domain.clock import utcnow
from tradewind.domain.marketdata import PriceUpdate

Eventually = Callable[..., Awaitable[Any]]


def price(symbol: str, last: str) -> PriceUpdate:
    p = Decimal(last)
    return PriceUpdate(symbol, p - Decimal("0.01"), p + Decimal("0.01"), p, 100, int(utcnow().timestamp() * 1000), "X")


def test_feed_urls_pick_the_wire_format_and_refuse_what_they_cannot_read() -> None:
    feeds = exchange_feeds("ws://127.0.0.1:1, fix://127.0.0.1:2,http://127.0.0.1:3", ["AAPL"], poll_interval=1)
    assert [type(f).__name__ for f in feeds] == ["WebSocketJsonFeed", "FixTcpFeed", "RestPollingFeed"]
    with pytest.raises(ValueError, match="TRADEWIND_MARKET_FEEDS"):
        exchange_feeds("ftp://127.0.0.1:21", [], poll_interval=1)


async def test_three_exchanges_reach_the_price_cache_through_the_processes(eventually: Eventually) -> None:
    ws, fix, rest = WebSocketExchange(), FixExchange(), RestExchange()
    for exchange in (ws, fix, rest):
        await exchange.start()
    settings = Settings(
        profile="memory",
        replay_enabled=False,
        market_feeds=f"ws://127.0.0.1:{ws.port},fix://127.0.0.1:{fix.port},http://127.0.0.1:{rest.port}",
        rest_poll_interval_ms=20,
    )
    adapters: Any = build_adapters(settings)
    worker = WorkerProcess(worker_container(settings, adapters), settings, health=False)
    gateway = GatewayProcess(gateway_container(settings, adapters), settings, health=False)
    await worker.start()
    await gateway.start()
    try:
        sent = {"AAPL": (ws, "181.11"), "MSFT": (fix, "402.22"), "KO": (rest, "61.33")}

        async def all_cached() -> bool:
            for symbol, (exchange, last) in sent.items():
                exchange.publish(price(symbol, last))  # again until seen: feeds connect at their pace
            quotes = await adapters.prices().get_many(list(sent))
            return {s: str(q.last) for s, q in quotes.items()} == {s: last for s, (_, last) in sent.items()}

        await eventually(all_cached, timeout=20, what="each exchange's price in the cache")
        stats = gateway.market.stats()
        assert all(stats[name].get("delivered", 0) >= 1 for name in ("ws-json-0", "fix-tcp-1", "rest-poll-2"))
        assert await gateway.readiness() and gateway.market.ready
        assert gateway.market.ingest.failures == {}
        assert (await worker.readiness())["market_data"] == "ok"
    finally:
        await gateway.stop()
        await worker.stop()
        for exchange in (ws, fix, rest):
            await exchange.stop()
