"""The paper venue process (``tradewind venue``): the matching engine and its durable book behind
a FIX 4.4 acceptor on ``TRADEWIND_VENUE_PORT``, priced from the quotes users see.

Prices: the live quotes the worker's market-data service publishes on Redis (the channel every
web process turns into SSE ``quote`` events, the same prices risk checks against). Sessions: the
gateway's real-history replay announces the replayed trading day on the same channel
(``session`` messages); when the day changes, the session closed: DAY orders expire, GTC orders
stay (``FixVenue.close_session``). The last day seen is kept in the book, so a day that changed
while the venue was down closes the session at the first announcement after its restart.

Before Redis or the market data is up the venue waits (the subscription retries, market orders
wait for their first quote); ``/readyz`` on ``TRADEWIND_VENUE_HEALTH_PORT`` says which.
``/quotes`` shows the touch the venue works against, ``/fix`` whether the gateway is logged on.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from tradewind.adapters.aws.observability.health_server import HealthServer
from tradewind.adapters.aws.observability.logs import configure_logging
from tradewind.adapters.aws.redis.notifier import RedisUpdateListener
from tradewind.adapters.aws.settings import Settings
from tradewind.adapters.broker.fix.session import FixEndpoint
from tradewind.adapters.broker.fix.venue import FixVenue
from tradewind.adapters.broker.venue_journal import VenueJournal
from tradewind.domain.market import Quote

log = logging.getLogger(__name__)
SESSION_DAY = "session_day"
FORGET_INTERVAL_S = 60.0


class VenueProcess:
    """``updates``: where quotes and session announcements come from; by default a Redis
    subscription to ``TRADEWIND_VENUE_QUOTES_CHANNEL``; ``tradewind demo --venue`` passes its
    in-memory notifier (same messages)."""

    def __init__(self, settings: Settings, *, health: bool = True, updates: Any | None = None) -> None:
        self.settings = settings
        state = Path(settings.venue_dir)
        journal = VenueJournal(state / "book.sqlite3", retention=timedelta(days=settings.venue_retention_days))
        self.venue = FixVenue(
            FixEndpoint(host=settings.venue_host, port=settings.venue_port),
            state,
            journal=journal,
            liquidity=settings.venue_liquidity,
        )
        self._redis = Redis.from_url(settings.redis_url, decode_responses=False) if updates is None else None
        self._listener: Any = updates or RedisUpdateListener(self._redis, settings.venue_quotes_channel)
        self.quotes: dict[str, Quote] = {}
        self.session_day = journal.get_meta(SESSION_DAY)
        self.sessions_closed = 0
        self._closing: asyncio.Lock | None = None
        self._forgetting: asyncio.Task[None] | None = None
        self._unlisten: Any = lambda: None
        self._health = (
            HealthServer(
                settings.web_host,
                settings.venue_health_port,
                self.readiness,
                routes={"/quotes": self.quote_table, "/fix": self.fix_session},
            )
            if health
            else None
        )

    async def readiness(self) -> dict[str, Any]:
        return {
            "fix": "ok",
            "prices": "ok" if self._subscribed() else "waiting",
            "quotes": "ok" if self.quotes else "waiting",
        }

    def _subscribed(self) -> bool:
        ready = getattr(self._listener, "ready", None)  # an in-process notifier is always on
        return ready is None or bool(ready.is_set())

    async def quote_table(self) -> dict[str, Any]:
        return {
            "session_day": self.session_day,
            "quotes": {
                s: {"bid": str(q.bid), "ask": str(q.ask), "ts": q.ts.isoformat()} for s, q in self.quotes.items()
            },
        }

    async def fix_session(self) -> dict[str, Any]:
        return {"logged_on": self.venue.logged_on, "logons": self.venue.logons}

    async def on_update(self, message: dict[str, Any]) -> None:
        kind, data = message.get("kind"), message.get("data")
        if not isinstance(data, dict):
            return
        try:
            if kind == "quote":
                quote = Quote.from_dict(data)
                self.venue.on_quote(quote)  # enqueued for the engine, in arrival order
                self.quotes[quote.symbol] = quote
            elif kind == "session" and isinstance(day := data.get("day"), str):
                await self._session(day)
        except (KeyError, ValueError, ArithmeticError) as exc:
            log.warning("unreadable market message", extra={"kind": kind, "error": str(exc)})

    async def _session(self, day: str) -> None:
        assert self._closing is not None
        async with self._closing:  # one close at a time; announcements come every replay tick
            if day == self.session_day:
                return
            previous, self.session_day = self.session_day, day
            if previous is not None:
                expired = await asyncio.to_thread(self.venue.close_session)
                self.sessions_closed += 1
                log.info("session closed", extra={"day": previous, "next": day, "expired": expired})
            self.venue.journal.set_meta(SESSION_DAY, day)

    async def start(self) -> None:
        self._closing = asyncio.Lock()
        await asyncio.to_thread(self.venue.start)
        self._unlisten = self._listener.listen(self.on_update)
        if hasattr(self._listener, "start"):
            try:
                await self._listener.start()
            except TimeoutError:  # Redis not up yet: the subscription keeps retrying
                log.warning("no market data yet (Redis); the venue waits for prices")
        if self._health is not None:
            await self._health.start()
        self._forgetting = asyncio.create_task(self._forget_final_orders(), name="venue-forget-final")
        log.info("venue ready", extra={"port": self.settings.venue_port})

    async def _forget_final_orders(self, interval: float = FORGET_INTERVAL_S) -> None:
        """Every ``interval``, final orders leave the book's memory (the journal keeps them): without
        a replayed session to close (feeds only) the memory would otherwise grow with every order."""
        while True:
            await asyncio.sleep(interval)  # a housekeeping period, not a synchronisation
            try:
                await asyncio.to_thread(self.venue.forget_final)
            except Exception:  # the next period tries again; the book is still correct meanwhile
                log.exception("forgetting final orders failed")

    async def stop(self) -> None:
        if self._health is not None:
            await self._health.stop()
        self._unlisten()
        if hasattr(self._listener, "stop"):
            await self._listener.stop()
        if self._forgetting is not None:
            self._forgetting.cancel()
            await asyncio.gather(self._forgetting, return_exceptions=True)
            self._forgetting = None
        await asyncio.to_thread(self.venue.stop)
        if self._redis is not None:
            await self._redis.aclose()


async def serve(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT, then stop in order."""
    process = VenueProcess(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await process.start()
    try:
        await stop.wait()
    finally:
        await process.stop()


def run() -> None:
    """The ``tradewind-venue`` entry point."""
    configure_logging()
    asyncio.run(serve(Settings()))
