"""Per-process fan-out from the one update subscription to every SSE connection (ADR 0015-sse-at-15k).

* Each update is framed ONCE (``Frame.wire``: the SSE bytes) when it arrives; every connection it
  goes to holds a reference to the same bytes. Routing is by index: symbol -> connections for
  quotes, account -> connections for order, fill and position updates; nothing scans every
  connection per message.
* Quotes are conflated per connection: it keeps only the latest frame per symbol until its writer
  runs, so a slow client sees the newest price and its memory is bounded by its watchlist.
* Order, fill and position updates are queued per connection (they must all arrive) in a bounded
  queue; a connection whose queue overflows is cut (the client resumes with ``Last-Event-ID``).
* A connection whose write has not completed for ``stall_seconds`` (the client stopped reading
  and the server's socket buffer is full) is cut: a slow consumer. Both cuts are counted.
* Heartbeats are per-connection timers that fire only when nothing was written for the
  heartbeat interval, so a busy stream carries none.
* The hub remembers the latest quote per symbol (for ``stale_after`` seconds) so a new connection's
  snapshot costs no Redis round trip while the feed flows; missing symbols are fetched once,
  shared by every connection asking at the same time.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tradewind.apps.web.stream.direct import DirectWrite, chunk
from tradewind.domain.market import STALE_AFTER, Quote

MAX_PENDING = 1_000  # order/fill/position updates queued per connection before it is cut
STALL_SECONDS = 10.0  # a write blocked this long (the client does not read) cuts the connection
HEARTBEAT = b": heartbeat\r\n\r\n"
ABSENT_SECONDS = 1.0  # a symbol without a price is not asked for again within this


class UpdateSource(Protocol):
    def listen(self, listener: Callable[[dict[str, Any]], Awaitable[None]]) -> Callable[[], None]: ...


class QuoteSnapshots(Protocol):
    async def get_many(self, symbols: Sequence[str]) -> dict[str, Quote]: ...


def encode(kind: str, data: dict[str, Any], seq: int | None) -> bytes:
    """One SSE message, as Litestar's ``ServerSentEventMessage`` frames it (CRLF separators).
    ``id:`` only on ``order`` messages: the one that completes an event (see the controller)."""
    head = f"id: {seq}\r\n" if seq is not None and kind == "order" else ""
    return f"{head}event: {kind}\r\ndata: {json.dumps(data)}\r\n\r\n".encode()


@dataclass(frozen=True, slots=True)
class Frame:
    """One update, framed once; shared by every connection it is delivered to. ``chunked``: the
    same bytes as one HTTP chunk, for the connections the hub writes directly (``direct.py``)."""

    kind: str
    seq: int | None
    data: dict[str, Any]
    wire: bytes
    chunked: bytes = b""


@dataclass(eq=False)
class Connection:
    account_id: str
    symbols: frozenset[str]
    heartbeat: float = 15.0
    updates: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(MAX_PENDING))
    pending_quotes: dict[str, Frame] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    overflowed: bool = False
    cut: str | None = None  # why the hub closed it: "overflow" or "slow"
    beat_due: bool = False
    last_write: float = field(default_factory=time.monotonic)
    writing_since: float | None = None
    task: asyncio.Task[Any] | None = None
    timer: asyncio.TimerHandle | None = None
    #: the socket, when the hub may write quotes to it itself (``direct.py``); ``parked``: the
    #: writer waits with nothing pending, so a direct write overtakes nothing
    direct: DirectWrite | None = None
    parked: bool = False

    @property
    def quotes(self) -> dict[str, dict[str, Any]]:
        """The conflated quotes waiting to be written, symbol -> data (the newest of each)."""
        return {symbol: f.data for symbol, f in self.pending_quotes.items()}

    def offer_quote(self, symbol: str, frame: Frame) -> None:
        self.pending_quotes[symbol] = frame
        self.parked = False
        self.wake.set()

    def offer(self, message: dict[str, Any]) -> bool:
        """Queue an order/fill/position update; False when the queue is full (the hub cuts)."""
        try:
            self.updates.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True
            return False
        self.parked = False
        self.wake.set()
        return True

    def take(self, keep: Callable[[dict[str, Any]], bool] = lambda _: True) -> list[bytes]:
        """Everything pending, as wire chunks: the updates ``keep`` accepts, in order, then the
        conflated quotes."""
        chunks: list[bytes] = []
        while not self.updates.empty():
            message = self.updates.get_nowait()
            if keep(message):
                chunks.append(message["frame"])
        if self.pending_quotes:
            chunks.extend(f.wire for f in self.pending_quotes.values())
            self.pending_quotes = {}
        return chunks


@dataclass
class HubStats:
    connected: int = 0  # connections ever registered
    cut_slow: int = 0  # cut because a write stalled for stall_seconds
    cut_overflow: int = 0  # cut because their update queue overflowed
    snapshot_fetches: int = 0  # PriceCache round trips for snapshots (not per connection)
    direct_writes: int = 0  # quotes the hub wrote to an idle connection's socket itself

    def render(self) -> str:
        return (
            "# TYPE tradewind_sse_connected_total counter\n"
            f"tradewind_sse_connected_total {self.connected}\n"
            "# TYPE tradewind_sse_cut_total counter\n"
            f'tradewind_sse_cut_total{{reason="slow"}} {self.cut_slow}\n'
            f'tradewind_sse_cut_total{{reason="overflow"}} {self.cut_overflow}\n'
            "# TYPE tradewind_sse_snapshot_fetches_total counter\n"
            f"tradewind_sse_snapshot_fetches_total {self.snapshot_fetches}\n"
            "# TYPE tradewind_sse_direct_writes_total counter\n"
            f"tradewind_sse_direct_writes_total {self.direct_writes}\n"
        )


class StreamHub:
    def __init__(
        self,
        source: UpdateSource,
        snapshots: QuoteSnapshots | None = None,
        *,
        max_pending: int = MAX_PENDING,
        stall_seconds: float = STALL_SECONDS,
        stale_after: float = STALE_AFTER.total_seconds(),
        max_symbols: int = 10_000,
    ) -> None:
        self._by_symbol: dict[str, set[Connection]] = {}
        self._by_account: dict[str, set[Connection]] = {}
        self._connections: set[Connection] = set()
        self._latest: dict[str, tuple[Frame, float]] = {}  # symbol -> (frame, fresh until)
        self._inflight: dict[str, asyncio.Future[Quote | None]] = {}
        self._fetches: set[asyncio.Task[None]] = set()
        self._absent_until: dict[str, float] = {}  # symbols the price cache had no quote for, until
        self._snapshots = snapshots
        self._max_pending = max_pending
        self._stall = stall_seconds
        self._stale_after = stale_after
        self._max_symbols = max_symbols
        self.stats = HubStats()
        self._unlisten = source.listen(self._dispatch)

    def close(self) -> None:
        self._unlisten()
        for conn in list(self._connections):
            self.disconnect(conn)

    # -- connections ------------------------------------------------------------------------

    def connect(self, account_id: str, symbols: frozenset[str], heartbeat: float = 15.0) -> Connection:
        conn = Connection(account_id, symbols, heartbeat, asyncio.Queue(self._max_pending))
        self._connections.add(conn)
        self._by_account.setdefault(account_id, set()).add(conn)
        for symbol in symbols:
            self._by_symbol.setdefault(symbol, set()).add(conn)
        self.stats.connected += 1
        self._arm(conn, min(heartbeat, self._stall))
        return conn

    def disconnect(self, conn: Connection) -> None:
        if conn not in self._connections:
            return
        self._connections.discard(conn)
        if conn.timer is not None:
            conn.timer.cancel()
            conn.timer = None
        self._unindex(self._by_account, conn.account_id, conn)
        for symbol in conn.symbols:
            self._unindex(self._by_symbol, symbol, conn)

    @staticmethod
    def _unindex(index: dict[str, set[Connection]], key: str, conn: Connection) -> None:
        members = index.get(key)
        if members is not None:
            members.discard(conn)
            if not members:
                del index[key]

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    # -- timers: heartbeat when idle, slow-consumer cut-off ---------------------------------

    def _arm(self, conn: Connection, delay: float) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # built outside a loop (a synchronous test): no timers
        conn.timer = loop.call_later(max(delay, 0.01), self._tick, conn)

    def _tick(self, conn: Connection) -> None:
        if conn not in self._connections:
            return
        now = time.monotonic()
        if conn.writing_since is not None and now - conn.writing_since >= self._stall:
            self.stats.cut_slow += 1
            self._cut(conn, "slow")
            return
        idle = now - conn.last_write
        if conn.writing_since is None and idle >= conn.heartbeat * 0.98:
            conn.beat_due = True
            conn.parked = False
            conn.wake.set()
            next_in = conn.heartbeat
        else:
            next_in = conn.heartbeat - idle
        self._arm(conn, min(next_in, self._stall))

    def _cut(self, conn: Connection, reason: str) -> None:
        conn.cut = reason
        conn.parked = False
        conn.wake.set()
        if conn.writing_since is not None and conn.task is not None:
            conn.task.cancel()  # blocked in a write the client never reads: the writer catches it
        self.disconnect(conn)

    # -- snapshots ---------------------------------------------------------------------------

    async def snapshot(self, symbols: Iterable[str]) -> list[Frame]:
        """The latest quote of each symbol: from what the feed delivered within ``stale_after``;
        the rest from the price cache, one shared fetch for everyone asking at once."""
        now = time.monotonic()
        found: dict[str, Frame] = {}
        missing: list[str] = []
        for symbol in sorted(symbols):
            hit = self._latest.get(symbol)
            if hit is not None and hit[1] > now:
                found[symbol] = hit[0]
            elif self._absent_until.get(symbol, 0.0) <= now:
                missing.append(symbol)
        if missing and self._snapshots is not None:
            to_fetch = [s for s in missing if s not in self._inflight]
            if to_fetch:
                self._fetch(to_fetch)
            for symbol in missing:
                quote = await asyncio.shield(self._inflight[symbol]) if symbol in self._inflight else None
                hit = self._latest.get(symbol)
                if hit is not None:
                    found[symbol] = hit[0]
                elif quote is not None:
                    data = quote.to_dict()
                    found[symbol] = Frame("quote", None, data, encode("quote", data, None))
        return [found[s] for s in sorted(found)]

    def _fetch(self, symbols: list[str]) -> None:
        loop = asyncio.get_running_loop()
        futures = {s: loop.create_future() for s in symbols}
        self._inflight.update(futures)
        self.stats.snapshot_fetches += 1
        snapshots = self._snapshots
        assert snapshots is not None

        async def run() -> None:
            try:
                quotes = await snapshots.get_many(symbols)
            except Exception:
                quotes = {}  # a snapshot is best effort: live quotes follow
            now_wall, now = time.time(), time.monotonic()
            for symbol, future in futures.items():
                if self._inflight.get(symbol) is future:
                    del self._inflight[symbol]
                quote = quotes.get(symbol)
                if quote is None:
                    if len(self._absent_until) < self._max_symbols:  # the next streams do not ask again for a second
                        self._absent_until[symbol] = now + ABSENT_SECONDS
                elif symbol in self._latest or len(self._latest) < self._max_symbols:
                    if self._latest.get(symbol, (None, 0.0))[1] <= now:  # not overwriting a fresher feed quote
                        data = quote.to_dict()
                        fresh_for = self._stale_after - (now_wall - quote.ts.timestamp())
                        if fresh_for > 0:
                            frame = Frame("quote", None, data, encode("quote", data, None))
                            self._latest[symbol] = (frame, now + fresh_for)
                future.set_result(quote)

        task = loop.create_task(run())
        self._fetches.add(task)  # held until done (the loop keeps only weak references)
        task.add_done_callback(self._fetches.discard)

    # -- dispatch ----------------------------------------------------------------------------

    async def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("kind")
        data = message.get("data")
        if not isinstance(data, dict):
            return
        if kind == "quote":
            symbol = data.get("symbol")
            if not isinstance(symbol, str):
                return
            wire = encode("quote", data, None)
            frame = Frame("quote", None, data, wire, chunk(wire))
            now = time.monotonic()
            if symbol in self._latest or len(self._latest) < self._max_symbols:
                self._latest[symbol] = (frame, now + self._stale_after)
                self._absent_until.pop(symbol, None)
            for conn in self._by_symbol.get(symbol, ()):
                direct = conn.direct
                if direct is not None and conn.parked and direct.ready():
                    direct.write(frame.chunked)  # its writer is idle: nothing to overtake
                    conn.last_write = now
                    self.stats.direct_writes += 1
                else:
                    conn.offer_quote(symbol, frame)
            return
        members = self._by_account.get(str(message.get("account_id")))
        if not members:
            return
        seq = message.get("seq")
        seq = seq if isinstance(seq, int) and not isinstance(seq, bool) else None
        framed = dict(message, frame=encode(str(kind), data, seq))  # once, for all the account's streams
        for conn in list(members):
            if not conn.offer(framed):
                self.stats.cut_overflow += 1
                self._cut(conn, "overflow")
