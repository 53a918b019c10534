"""A WebSocket exchange sending JSON ticker messages (``feeds/ws_json.py`` documents the format)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve

from tradewind.domain.marketdata import PriceUpdate


def ticker_message(update: PriceUpdate, sequence: int) -> str:
    moment = datetime.fromtimestamp(update.timestamp_ms / 1000, tz=UTC)
    return json.dumps(
        {
            "type": "ticker",
            "sequence": sequence,
            "product_id": update.symbol,
            "best_bid": str(update.bid),
            "best_ask": str(update.ask),
            "price": str(update.last),
            "last_size": str(update.volume),
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
    )


class WebSocketExchange:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self._server: Server | None = None
        self._clients: dict[ServerConnection, frozenset[str]] = {}
        self._sequence = 0
        self.subscribed = 0

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def connections(self) -> int:
        return len(self._clients)

    async def start(self) -> None:
        self._server = await serve(self._serve, self.host, self.port, compression=None, ping_interval=None)
        self.port = self._server.sockets[0].getsockname()[1] if self.port == 0 else self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, ws: ServerConnection) -> None:
        self._clients[ws] = frozenset()
        try:
            async for message in ws:
                try:
                    request = json.loads(message)
                except ValueError:
                    continue
                if isinstance(request, dict) and request.get("type") == "subscribe":
                    symbols = frozenset(request.get("product_ids") or ())
                    self._clients[ws] = symbols
                    self.subscribed += 1
                    await ws.send(json.dumps({"type": "subscriptions", "product_ids": sorted(symbols)}))
        finally:
            self._clients.pop(ws, None)

    def publish(self, update: PriceUpdate) -> None:
        self._sequence += 1
        message = ticker_message(update, self._sequence)
        broadcast([ws for ws, wanted in self._clients.items() if not wanted or update.symbol in wanted], message)

    def publish_raw(self, message: str | bytes) -> None:
        broadcast(list(self._clients), message)

    def drop_connections(self) -> None:
        """Cut every connection without a closing handshake, as a network failure would."""
        for ws in list(self._clients):
            ws.transport.abort()
