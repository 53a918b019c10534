"""The three exchange feeds against their local simulators (real sockets on 127.0.0.1): prices
arrive normalized; a malformed message is counted and dropped and the feed keeps going; a cut
connection is re-established with backoff and prices flow again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from tradewind.adapters.broker.feeds.base import Backoff, ExchangeFeed
from tradewind.adapters.broker.feeds.fix_tcp import FixTcpFeed
from tradewind.adapters.broker.feeds.rest_poll import RestPollingFeed
from tradewind.adapters.broker.feeds.simulators.fix_exchange import FixExchange
from tradewind.adapters.broker.feeds.simulators.rest_exchange import RestExchange
from tradewind.adapters.broker.feeds.simulators.ws_exchange import WebSocketExchange
from tradewind.adapters.broker.feeds.ws_json import WebSocketJsonFeed
from tradewind.domain.clock import utcnow
from tradewind.domain.marketdata import PriceUpdate

Eventually = Callable[..., Awaitable[Any]]
FAST = Backoff(initial=0.02, maximum=0.2)


@dataclass
class Running:
    exchange: Any
    feed: ExchangeFeed
    received: list[PriceUpdate]
    connected: Callable[[], bool]
    garbage: Any


def price(symbol: str, n: int) -> PriceUpdate:
    p = Decimal(100) + Decimal(n) / 100
    return PriceUpdate(
        symbol, p - Decimal("0.01"), p + Decimal("0.01"), p, 100 * n, int(utcnow().timestamp() * 1000) + n, "X"
    )


@pytest.fixture(params=["ws-json", "fix-tcp", "rest-poll"])
async def running(request: pytest.FixtureRequest) -> AsyncIterator[Running]:
    exchange: Any
    if request.param == "ws-json":
        exchange = WebSocketExchange()
        await exchange.start()
        feed: ExchangeFeed = WebSocketJsonFeed(exchange.url, ["AAPL", "MSFT"], backoff=FAST)
        garbage: Any = lambda: exchange.publish_raw('{"type":"ticker","product_id":"AAPL","price":1.5}')  # noqa: E731
        connected = lambda: exchange.subscribed >= 1 and exchange.connections >= 1  # noqa: E731
    elif request.param == "fix-tcp":
        exchange = FixExchange()
        await exchange.start()
        feed = FixTcpFeed("127.0.0.1", exchange.port, ["AAPL", "MSFT"], backoff=FAST)
        garbage = lambda: exchange.publish_raw(b"\x00garbage\x01not fix\x01")  # noqa: E731
        connected = lambda: exchange.connections >= 1  # noqa: E731
    else:
        exchange = RestExchange()
        await exchange.start()
        feed = RestPollingFeed(exchange.url, ["AAPL", "MSFT"], interval=0.02, backoff=FAST)
        garbage = lambda: exchange.publish_raw(b"<html>upstream busy</html>")  # noqa: E731
        connected = lambda: exchange.requests >= 1  # noqa: E731
    received: list[PriceUpdate] = []

    async def sink(update: PriceUpdate) -> None:
        received.append(update)

    stop = asyncio.Event()
    task = asyncio.create_task(feed.run(sink, stop))
    try:
        yield Running(exchange, feed, received, connected, garbage)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await exchange.stop()


async def publish_until_seen(run: Running, update: PriceUpdate, eventually: Eventually) -> None:
    """Publish (again: a polled snapshot is only read every interval) until the feed delivered it;
    matched on price, since the REST feed's volume is the growth of a cumulative count."""

    async def seen() -> bool:
        run.exchange.publish(update)
        await asyncio.sleep(0.01)
        return any(u.last == update.last and u.symbol == update.symbol for u in run.received)

    await eventually(seen, timeout=10, what=f"{update.symbol} at {update.last} through {run.feed.name}")


async def test_prices_arrive_normalized_in_order(running: Running, eventually: Eventually) -> None:
    async def up() -> bool:
        return running.connected()

    await eventually(up, timeout=10, what="the feed to connect")
    sent = [price("AAPL", n) for n in range(1, 4)]
    for update in sent:
        await publish_until_seen(running, update, eventually)
    got = [u for u in running.received if u.symbol == "AAPL"]
    prices = [(u.last, u.bid, u.ask) for u in got]
    distinct = [p for i, p in enumerate(prices) if i == 0 or p != prices[i - 1]]  # a re-publish may repeat one
    assert distinct == [(u.last, u.bid, u.ask) for u in sent]
    assert [u.timestamp_ms for u in got] == sorted(u.timestamp_ms for u in got)
    assert running.feed.stats.get("malformed", 0) == 0


async def test_a_malformed_message_is_counted_and_dropped_and_the_feed_goes_on(
    running: Running, eventually: Eventually
) -> None:
    async def up() -> bool:
        return running.connected()

    await eventually(up, timeout=10, what="the feed to connect")
    await publish_until_seen(running, price("MSFT", 1), eventually)
    running.garbage()
    await publish_until_seen(running, price("MSFT", 2), eventually)
    assert running.feed.stats.get("malformed", 0) >= 1
    assert running.feed.stats.get("reconnects", 0) == 0  # garbage is no reason to reconnect
    assert [u.last for u in running.received if u.symbol == "MSFT"][-1] == price("MSFT", 2).last


async def test_a_cut_connection_is_re_established_and_prices_flow_again(
    running: Running, eventually: Eventually
) -> None:
    async def up() -> bool:
        return running.connected()

    await eventually(up, timeout=10, what="the feed to connect")
    await publish_until_seen(running, price("AAPL", 1), eventually)
    running.exchange.drop_connections()
    if isinstance(running.exchange, RestExchange):
        running.exchange.publish_raw(b'{"error":"maintenance"}', status=503)  # the poll fails too
    await publish_until_seen(running, price("AAPL", 2), eventually)
    assert running.feed.stats.get("reconnects", 0) >= 1


async def test_a_silent_websocket_exchange_is_treated_as_dead_and_reconnected(eventually: Eventually) -> None:
    exchange = WebSocketExchange()
    await exchange.start()
    feed = WebSocketJsonFeed(exchange.url, ["AAPL"], backoff=FAST, idle_timeout=0.3)
    stop = asyncio.Event()

    async def sink(update: PriceUpdate) -> None:
        return None

    task = asyncio.create_task(feed.run(sink, stop))
    try:

        async def reconnected() -> bool:
            return feed.stats.get("connects", 0) >= 2

        await eventually(reconnected, timeout=10, what="a reconnect after silence")
        assert feed.stats.get("reconnects", 0) >= 1
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await exchange.stop()
