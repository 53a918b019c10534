"""Per-process fan-out from the one update subscription to each SSE connection.

Order and fill updates are queued per connection (they must all arrive). Quotes are conflated:
a connection keeps only the latest quote per symbol, so a slow client sees the newest price and
memory stays bounded by its watchlist, never by the feed rate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

MAX_PENDING = 10_000


class UpdateSource(Protocol):
    def listen(self, listener: Callable[[dict[str, Any]], Awaitable[None]]) -> Callable[[], None]: ...


@dataclass(eq=False)
class Connection:
    account_id: str
    symbols: frozenset[str]
    updates: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(MAX_PENDING))
    quotes: dict[str, dict[str, Any]] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    overflowed: bool = False

    def offer(self, message: dict[str, Any]) -> None:
        if message["kind"] == "quote":
            self.quotes[str(message["data"]["symbol"])] = message["data"]
        else:
            try:
                self.updates.put_nowait(message)
            except asyncio.QueueFull:
                self.overflowed = True  # the stream closes; the client resumes with Last-Event-ID
        self.wake.set()


class StreamHub:
    def __init__(self, source: UpdateSource) -> None:
        self._connections: set[Connection] = set()
        self._unlisten = source.listen(self._dispatch)

    def close(self) -> None:
        self._unlisten()

    def connect(self, account_id: str, symbols: frozenset[str]) -> Connection:
        conn = Connection(account_id, symbols)
        self._connections.add(conn)
        return conn

    def disconnect(self, conn: Connection) -> None:
        self._connections.discard(conn)

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("kind")
        for conn in list(self._connections):
            if kind == "quote":
                if message["data"].get("symbol") in conn.symbols:
                    conn.offer(message)
            elif message.get("account_id") == conn.account_id:
                conn.offer(message)
