"""Exchange feed #3: a REST endpoint polled for the latest quote snapshot of each symbol.

Wire format: ``GET /v2/quotes/latest?symbols=AAPL,MSFT`` answers::

    {"quotes": {"AAPL": {"bp": 189.01, "ap": 189.03, "lp": 189.02, "v": 1250300, "t": 1709564400123}}}

Prices are JSON numbers, read as ``Decimal`` straight from the text (never through float);
``v`` is the symbol's cumulative volume for the day and ``t`` the quote time in epoch
milliseconds. A snapshot yields an update only when ``t`` moved (polling the same quote twice
is not a second update); the update's volume is the growth of ``v`` since the last snapshot
(the first snapshot of a symbol has volume 0, and a reset of ``v`` counts from zero). One bad
entry is counted and dropped; the others in the same answer are kept. A failed request or a
non-200 answer backs off before the next poll.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from decimal import Decimal

import httpx

from tradewind.adapters.broker.feeds.base import Backoff, ExchangeFeed, MalformedMessage, wait_or_stop
from tradewind.domain.marketdata import InvalidPriceUpdate, PriceUpdate

EXCHANGE = "RESTX"


def parse_snapshot(body: bytes) -> dict[str, object]:
    """The ``quotes`` object of an answer; ``MalformedMessage`` if the body is not one."""
    try:
        raw = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise MalformedMessage("not JSON") from None
    quotes = raw.get("quotes") if isinstance(raw, dict) else None
    if not isinstance(quotes, dict):
        raise MalformedMessage("no quotes object")
    return quotes


class RestSnapshotNormalizer:
    """Stateful: remembers each symbol's last quote time and cumulative volume."""

    def __init__(self, exchange: str = EXCHANGE) -> None:
        self.exchange = exchange
        self._seen: dict[str, tuple[int, int]] = {}  # symbol -> (t, cumulative volume)

    def normalize(self, symbol: str, entry: object) -> PriceUpdate | None:
        """``None`` when the snapshot is not newer than the last one of ``symbol``."""
        if not isinstance(entry, dict):
            raise MalformedMessage(f"{symbol}: quote is not an object")
        t, cumulative = entry.get("t"), entry.get("v")
        if isinstance(t, bool) or not isinstance(t, int):
            raise MalformedMessage(f"{symbol}: t must be epoch milliseconds")
        if isinstance(cumulative, bool) or not isinstance(cumulative, int) or cumulative < 0:
            raise MalformedMessage(f"{symbol}: v must be a whole cumulative volume")
        prices = []
        for key in ("bp", "ap", "lp"):
            value = entry.get(key)
            if isinstance(value, bool) or not isinstance(value, Decimal | int):
                raise MalformedMessage(f"{symbol}: {key} must be a number")
            prices.append(Decimal(value))
        seen = self._seen.get(symbol)
        if seen is not None and t <= seen[0]:
            return None
        volume = 0 if seen is None else (cumulative - seen[1] if cumulative >= seen[1] else cumulative)
        try:
            update = PriceUpdate(symbol, prices[0], prices[1], prices[2], volume, t, self.exchange)
        except InvalidPriceUpdate as exc:
            raise MalformedMessage(f"{symbol}: {exc.detail}") from None
        self._seen[symbol] = (t, cumulative)
        return update


class RestPollingFeed(ExchangeFeed):
    def __init__(
        self,
        base_url: str,
        symbols: Sequence[str],
        *,
        interval: float = 0.25,
        name: str = "rest-poll",
        backoff: Backoff | None = None,
        path: str = "/v2/quotes/latest",
    ) -> None:
        super().__init__(name, backoff=backoff)
        self.base_url = base_url.rstrip("/")
        self.symbols = list(symbols)
        self.interval = interval
        self.path = path
        self.normalizer = RestSnapshotNormalizer()

    async def _session(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=5.0) as client:
            answered = False
            while not stop.is_set():
                response = await client.get(self.path, params={"symbols": ",".join(self.symbols)})
                if response.status_code != 200:
                    raise ConnectionError(f"HTTP {response.status_code} from {self.base_url}")  # back off, retry
                if not answered:  # a session counts as a connection once the exchange answered
                    self._counts["connects"] += 1
                    answered = True
                await self._snapshot(response.content)
                await wait_or_stop(stop, self.interval)  # the poll interval

    async def _snapshot(self, body: bytes) -> None:
        self._counts["received"] += 1
        try:
            quotes = parse_snapshot(body)
        except MalformedMessage as exc:
            self._malformed(body, exc.reason)
            return
        for symbol, entry in quotes.items():
            try:
                update = self.normalizer.normalize(symbol, entry)
            except MalformedMessage as exc:
                self._malformed(entry, exc.reason)
                continue
            if update is None:
                self._counts["ignored"] += 1
                continue
            await self._deliver(update)
