"""Exchange feed #1: a WebSocket stream of JSON ticker messages (Coinbase-style).

Wire format, one JSON object per text frame::

    {"type": "ticker", "product_id": "AAPL", "best_bid": "189.01", "best_ask": "189.03",
     "price": "189.02", "last_size": "100", "time": "2024-03-04T15:00:00.123Z", "sequence": 42}

Prices are decimal strings, ``last_size`` the shares of the last trade, ``time`` ISO-8601 UTC.
``subscriptions`` and ``heartbeat`` messages are control messages (counted as ``ignored``). The
client subscribes with ``{"type": "subscribe", "product_ids": [...]}`` (all symbols when empty).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation

from websockets.asyncio.client import ClientConnection, connect

from tradewind.adapters.broker.feeds.base import Backoff, ExchangeFeed, MalformedMessage
from tradewind.domain.marketdata import InvalidPriceUpdate, PriceUpdate

log = logging.getLogger(__name__)

EXCHANGE = "WSX"
CONTROL_TYPES = frozenset({"subscriptions", "heartbeat"})


def _decimal(raw: dict[str, object], key: str) -> Decimal:
    value = raw.get(key)
    if not isinstance(value, str):
        raise MalformedMessage(f"{key} must be a decimal string")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise MalformedMessage(f"{key} is not a number: {value!r}") from None


def normalize_ws_json(message: str | bytes, *, exchange: str = EXCHANGE) -> PriceUpdate | None:
    """One frame -> a ``PriceUpdate``, ``None`` for a control message; ``MalformedMessage`` else."""
    try:
        raw = json.loads(message)
    except (ValueError, UnicodeDecodeError):
        raise MalformedMessage("not JSON") from None
    if not isinstance(raw, dict):
        raise MalformedMessage("not a JSON object")
    kind = raw.get("type")
    if kind in CONTROL_TYPES:
        return None
    if kind != "ticker":
        raise MalformedMessage(f"unknown message type {kind!r}")
    size = _decimal(raw, "last_size")
    if size != size.to_integral_value():
        raise MalformedMessage("last_size must be whole shares")
    when = raw.get("time")
    if not isinstance(when, str):
        raise MalformedMessage("time must be an ISO-8601 string")
    try:
        ts = datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedMessage(f"time is not ISO-8601: {when!r}") from None
    if ts.tzinfo is None:
        raise MalformedMessage("time has no timezone")
    try:
        return PriceUpdate(
            symbol=raw.get("product_id"),  # type: ignore[arg-type]  # checked by PriceUpdate
            bid=_decimal(raw, "best_bid"),
            ask=_decimal(raw, "best_ask"),
            last=_decimal(raw, "price"),
            volume=int(size),
            timestamp_ms=int(ts.timestamp() * 1000),
            exchange=exchange,
        )
    except InvalidPriceUpdate as exc:
        raise MalformedMessage(exc.detail) from None


class WebSocketJsonFeed(ExchangeFeed):
    def __init__(
        self,
        url: str,
        symbols: Sequence[str] = (),
        *,
        name: str = "ws-json",
        backoff: Backoff | None = None,
        idle_timeout: float = 30.0,
    ) -> None:
        super().__init__(name, backoff=backoff)
        self.url = url
        self.symbols = list(symbols)
        self.idle_timeout = idle_timeout
        self._last_message = 0.0

    async def _session(self, stop: asyncio.Event) -> None:
        # No keepalive pings: behind a busy stream a pong can queue past any timeout and cut a
        # healthy connection. Silence is what the watchdog treats as a dead exchange instead.
        async with connect(self.url, compression=None, open_timeout=5, ping_interval=None) as ws:
            self._counts["connects"] += 1
            self._last_message = asyncio.get_running_loop().time()
            closer = asyncio.create_task(_close_on(stop, ws))
            watchdog = asyncio.create_task(self._watch(ws))
            try:
                await ws.send(json.dumps({"type": "subscribe", "product_ids": self.symbols}))
                async for message in ws:  # ends when the exchange (or ``stop``) closes the socket
                    self._last_message = asyncio.get_running_loop().time()
                    self._counts["received"] += 1
                    try:
                        update = normalize_ws_json(message, exchange=EXCHANGE)
                    except MalformedMessage as exc:
                        self._malformed(message, exc.reason)
                        continue
                    if update is None:
                        self._counts["ignored"] += 1
                        continue
                    await self._deliver(update)
            finally:
                closer.cancel()
                watchdog.cancel()

    async def _watch(self, ws: ClientConnection) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if loop.time() - self._last_message >= self.idle_timeout:
                break
            await asyncio.sleep(min(5.0, self.idle_timeout / 2))  # the watchdog's check period
        log.warning("no message from the exchange; reconnecting", extra={"feed": self.name, "url": self.url})
        await ws.close()


async def _close_on(stop: asyncio.Event, ws: ClientConnection) -> None:
    await stop.wait()
    await ws.close()
