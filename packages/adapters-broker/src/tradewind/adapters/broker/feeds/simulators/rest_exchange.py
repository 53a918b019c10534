"""A REST exchange answering ``GET /v2/quotes/latest?symbols=...`` with the latest snapshot of
each symbol (``feeds/rest_poll.py`` documents the format). A small HTTP/1.1 server on asyncio
streams, keep-alive included; enough for a polling client, not a web framework."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from tradewind.domain.marketdata import PriceUpdate

_REASONS = {200: "OK", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}


class RestExchange:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._quotes: dict[str, tuple[Decimal, Decimal, Decimal, int, int]] = {}
        self._injected: deque[tuple[int, bytes]] = deque()
        self.requests = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1] if self.port == 0 else self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self.drop_connections()
            await self._server.wait_closed()
            self._server = None

    def publish(self, update: PriceUpdate) -> None:
        held = self._quotes.get(update.symbol)
        cumulative = (held[3] if held else 0) + update.volume
        self._quotes[update.symbol] = (update.bid, update.ask, update.last, cumulative, update.timestamp_ms)

    def publish_raw(self, body: bytes, status: int = 200) -> None:
        """The next answer is ``body`` with ``status``, whatever was asked."""
        self._injected.append((status, body))

    def drop_connections(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def snapshot(self, symbols: list[str]) -> bytes:
        entries = []
        for symbol in symbols or sorted(self._quotes):
            if (q := self._quotes.get(symbol)) is not None:
                # JSON numbers written from the Decimal's own digits, never through float
                entries.append(f'"{symbol}":{{"bp":{q[0]},"ap":{q[1]},"lp":{q[2]},"v":{q[3]},"t":{q[4]}}}')
        return ('{"quotes":{' + ",".join(entries) + "}}").encode()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while line := await reader.readline():
                parts = line.decode("latin-1").split()
                keep_alive = True
                while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    if header.lower().startswith(b"connection:") and b"close" in header.lower():
                        keep_alive = False
                if len(parts) != 3:
                    return
                self.requests += 1
                status, body = self._answer(parts[0], parts[1])
                writer.write(
                    f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                if not keep_alive:
                    return
        except ConnectionError:
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def _answer(self, method: str, target: str) -> tuple[int, bytes]:
        if self._injected:
            return self._injected.popleft()
        url = urlsplit(target)
        if method != "GET" or url.path != "/v2/quotes/latest":
            return 404, json.dumps({"error": "not_found"}).encode()
        wanted = [s for raw in parse_qs(url.query).get("symbols", []) for s in raw.split(",") if s]
        return 200, self.snapshot(wanted)
