"""The gateway's market-data side: exchange feeds and the real-history replay -> normalizers ->
the Kinesis producer (partition key = symbol), and the paper broker.

The paper broker is fed here, straight from the feeds, not from the stream: it lives in this
process and must see a price before the order that trades on it (the demo fills a market order
within a second), so it does not wait for the stream round trip. Everything else (last-price
cache, candles, live quotes, risk marks) is the worker's market-data service, fed from the
stream. ``start`` sends the replay's first prices and flushes them, so prices are on their way
to the cache before the gateway reports ready.

With the venue as the broker (``TRADEWIND_BROKER=fix``) nothing here feeds a broker: the venue
takes the quotes users see from Redis. The replay announces its trading day there too
(``session`` messages, at most one a second and at every change of day), so the venue closes
its session, and expires DAY orders, when the replayed session closes. The in-process paper
broker (``TRADEWIND_BROKER=paper``) closes its session here, when the replay's clock passes the
session's close and before the next update reaches its book, so a DAY order cannot trade on the
next day (``TRADEWIND_PAPER_EXPIRE_DAY_ORDERS=false`` keeps them, for the e2e stacks).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

from tradewind.adapters.aws.kinesis.clients import ensure_stream
from tradewind.adapters.aws.settings import Settings
from tradewind.adapters.broker.feeds.fix_tcp import FixTcpFeed
from tradewind.adapters.broker.feeds.replay import EXCHANGE as REPLAY_EXCHANGE
from tradewind.adapters.broker.feeds.replay import HistoryFeed
from tradewind.adapters.broker.feeds.rest_poll import RestPollingFeed
from tradewind.adapters.broker.feeds.ws_json import WebSocketJsonFeed
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.execution.broker import BrokerAdapter
from tradewind.application.market.ingest import PriceIngest
from tradewind.application.ports import PriceFeed
from tradewind.domain.instruments import SYMBOLS
from tradewind.domain.marketdata import PriceUpdate

log = logging.getLogger(__name__)


def exchange_feeds(spec: str, symbols: list[str], *, poll_interval: float) -> list[PriceFeed]:
    """Feeds for ``market_feeds``: ``ws://h:p``, ``fix://h:p``, ``http://h:p``, comma-separated;
    ``symbols`` empty asks each exchange for everything it has."""
    feeds: list[PriceFeed] = []
    for n, raw in enumerate(u.strip() for u in spec.split(",") if u.strip()):
        url = urlsplit(raw)
        if url.scheme in ("ws", "wss"):
            feeds.append(WebSocketJsonFeed(raw, symbols, name=f"ws-json-{n}"))
        elif url.scheme == "fix" and url.hostname and url.port:
            feeds.append(FixTcpFeed(url.hostname, url.port, symbols, name=f"fix-tcp-{n}"))
        elif url.scheme in ("http", "https"):
            feeds.append(RestPollingFeed(raw, symbols, interval=poll_interval, name=f"rest-poll-{n}"))
        else:
            raise ValueError(f"TRADEWIND_MARKET_FEEDS: cannot use {raw!r} (ws://, fix://host:port or http://)")
    return feeds


class GatewayMarketData:
    def __init__(self, adapters: Any, broker: BrokerAdapter, settings: Settings) -> None:
        self._adapters, self._settings = adapters, settings
        self.producer = adapters.price_producer()
        self.replay = (
            HistoryFeed(
                start=settings.replay_start,
                speed=settings.replay_speed,
                interval=settings.quote_interval_ms / 1000,
            )
            if settings.replay_enabled
            else None
        )
        wanted = settings.market_symbols.strip()
        symbols = [] if wanted == "*" else sorted(SYMBOLS) if not wanted else [s.strip() for s in wanted.split(",")]
        self.feeds: list[PriceFeed] = [
            *([self.replay] if self.replay is not None else []),
            *exchange_feeds(settings.market_feeds, symbols, poll_interval=settings.rest_poll_interval_ms / 1000),
        ]

        async def to_broker(update: PriceUpdate) -> None:
            paper.on_quote(update.to_quote())  # thread-safe: enqueued for the broker thread

        sinks = [("stream", self.producer.put)]
        self._paper_day: str | None = None
        if isinstance(broker, PaperBroker):
            paper = broker

            async def close_paper_session(update: PriceUpdate) -> None:
                if self.replay is None or update.exchange != REPLAY_EXCHANGE:
                    return
                day = self.replay.session_day.isoformat()
                if self._paper_day is not None and day != self._paper_day:
                    expired = await asyncio.to_thread(paper.expire_day_orders)  # waits for the broker thread
                    log.info("paper session closed", extra={"day": self._paper_day, "next": day, "expired": expired})
                self._paper_day = day

            if self.replay is not None and settings.paper_expire_day_orders:
                sinks.append(("paper_session", close_paper_session))  # before the new day's quote
            sinks.append(("paper_broker", to_broker))
        if self.replay is not None:
            sinks.append(("session", self._announce_session))
        self.ingest = PriceIngest(sinks)
        self._notifier = adapters.notifier()
        self._announced: tuple[str, float] | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def _announce_session(self, update: PriceUpdate) -> None:
        """The replayed trading day, for the venue: at every change, else at most once a second."""
        if self.replay is None or update.exchange != REPLAY_EXCHANGE:
            return
        day, now = self.replay.session_day.isoformat(), asyncio.get_running_loop().time()
        if self._announced is not None and self._announced[0] == day and now - self._announced[1] < 1.0:
            return
        self._announced = (day, now)
        await self._notifier.publish(None, "session", None, {"exchange": REPLAY_EXCHANGE, "day": day})

    @property
    def ready(self) -> bool:
        return self.ingest.received > 0

    def stats(self) -> dict[str, dict[str, int]]:
        return {feed.name: dict(feed.stats) for feed in self.feeds}

    async def start(self) -> None:
        if self._settings.kafka_group_prefix:  # an isolated test stack: a stream of its own
            await ensure_stream(self._adapters.kinesis_client(), self._settings.market_stream)
        await self.producer.start()
        if self.replay is not None:
            for update in self.replay.step():  # prices before the first order can be risk-checked
                await self.ingest(update)
            await self.producer.flush()
        self._stop.clear()
        self._tasks = [
            asyncio.create_task(feed.run(self.ingest, self._stop), name=f"feed:{feed.name}") for feed in self.feeds
        ]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.producer.stop()
