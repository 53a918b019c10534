"""GET /api/v1/stream: the trader's one live stream (SSE).

Events: ``order`` and ``fill`` of the account's order events, ``quote`` for the requested symbols
(conflated), ``position``; a ``: heartbeat`` comment only when nothing else was sent for
``HEARTBEAT_SECONDS``. The ``id:`` is the event's ``account_seq`` (gap-free per account, given by
the OMS), set on the ``order`` message that completes each event (a fill's ``fill`` message
comes just before it, without an id), so ``Last-Event-ID`` resumes after whole events; the
backlog is paged through to the end, however long.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import ServerSentEvent
from litestar.types import Receive, Scope, Send

from tradewind.application.ports import OrderReadModel
from tradewind.apps.web.errors import InvalidHeader
from tradewind.apps.web.openapi import documented, errors
from tradewind.apps.web.stream.direct import DirectWrite
from tradewind.apps.web.stream.hub import HEARTBEAT, Connection, StreamHub, encode
from tradewind.domain.accounts import Account
from tradewind.domain.instruments import DEFAULT_WATCHLIST, SYMBOLS

HEARTBEAT_SECONDS = 15.0
_EVENT_ID = re.compile(r"[0-9]{1,18}")  # an account_seq; 18 digits fit a PostgreSQL bigint


def parse_last_event_id(raw: str | None) -> int | None:
    """The ``account_seq`` to resume after, or None for a fresh stream. Only ASCII digits: ``²``
    passes ``str.isdigit`` and then fails ``int``, and 5,000 digits exceed ``int``'s limit (both
    were 500s, issue 12); anything else is a 400 naming the header, not a silent fresh start."""
    if raw is None or raw.strip() == "":
        return None
    if not _EVENT_ID.fullmatch(raw.strip()):
        shown = raw if len(raw) <= 40 else f"{raw[:40]}… ({len(raw)} characters)"
        raise InvalidHeader("Last-Event-ID", f"Last-Event-ID must be an event id (1 to 18 digits), not {shown!r}")
    return int(raw.strip())


RESUME_PAGE = 500
#: where ``TradewindApp`` leaves the server's own (receive, send) in the scope, for the stream's writer
RAW_CHANNEL = "tradewind.raw_channel"
_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"connection", b"keep-alive"),
    (b"x-accel-buffering", b"no"),
]


@dataclass(frozen=True)
class StreamContext:
    """What every stream of the process shares; set on ``app.state.stream`` at start-up."""

    hub: StreamHub
    read_model: OrderReadModel
    flush_interval: float


class _Resume:
    """Which order-log parts were already sent: ``Last-Event-ID`` resumes after whole events, and a
    live update the backlog already carried (or a redelivery) is skipped."""

    def __init__(self, last_event_id: int | None) -> None:
        self.last_seq = last_event_id or 0
        self.sent_at_last: set[str] = set()  # kinds already sent for ``last_seq`` (an event's parts)

    def keep(self, message: dict[str, Any]) -> bool:
        seq, kind = message.get("seq"), str(message.get("kind"))
        if not isinstance(seq, int) or isinstance(seq, bool):
            return True
        if seq < self.last_seq or (seq == self.last_seq and kind in self.sent_at_last):
            return False
        if seq != self.last_seq:
            self.last_seq, self.sent_at_last = seq, set()
        self.sent_at_last.add(kind)
        return True


class FanOutStream(ServerSentEvent):
    """The SSE response of one connection, written straight to ASGI ``send``: whole batches of
    pre-framed bytes from the hub (one ``send`` per wake-up, however many updates), no per-message
    encoding, no task group per connection. Documented in OpenAPI as the SSE it is."""

    def __init__(
        self,
        hub: StreamHub,
        read_model: OrderReadModel,
        account: Account,
        symbols: frozenset[str],
        last_event_id: int | None,
        heartbeat: float,
        flush_interval: float,
    ) -> None:
        super().__init__(content=())
        self._hub, self._read_model, self._account = hub, read_model, account
        self._symbols, self._last_event_id, self._heartbeat = symbols, last_event_id, heartbeat
        self._flush_interval = flush_interval

    def to_asgi_response(self, app: Any, request: Any, **_: Any) -> Any:
        return self

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The response start goes through the middleware (metrics, session) like any response.
        await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
        raw = scope.get(RAW_CHANNEL)
        if raw is None:
            await self._pump(receive, send)
            return
        # The body is written by a task of its own on the server's own receive/send: a wake-up
        # resumes one coroutine, not the whole middleware chain, and a write passes no wrapper.
        # This coroutine (the chain) stays parked on the task until the stream ends.
        await asyncio.ensure_future(self._pump(*raw))

    async def _pump(self, receive: Receive, send: Send) -> None:
        conn = self._hub.connect(str(self._account.id), self._symbols, self._heartbeat)
        conn.task = asyncio.current_task()
        watcher = asyncio.ensure_future(self._watch(receive, conn))

        async def write(body: bytes) -> None:
            conn.writing_since = time.monotonic()
            await send({"type": "http.response.body", "body": body, "more_body": True})
            conn.writing_since = None
            conn.last_write = time.monotonic()
            conn.beat_due = False

        try:
            resume = _Resume(self._last_event_id)
            if self._last_event_id is not None:
                # Registered with the hub first, then the backlog: nothing falls between the two.
                while page := await self._read_model.log_since(self._account.id, resume.last_seq, RESUME_PAGE):
                    chunks = []
                    for entry in page:
                        resume.keep({"seq": entry.seq, "kind": entry.kind})
                        chunks.append(encode(entry.kind, entry.data, entry.seq))
                    await write(b"".join(chunks))
            if snapshot := await self._hub.snapshot(self._symbols):
                await write(b"".join(f.wire for f in snapshot))
            if not self._flush_interval:  # a flush interval conflates: every quote waits for the writer
                conn.direct = DirectWrite.of(send)
            while conn.cut is None:
                chunks = conn.take(resume.keep)
                if chunks:
                    await write(b"".join(chunks))
                    if self._flush_interval:
                        await asyncio.sleep(self._flush_interval)  # quotes conflate meanwhile
                    continue
                if conn.beat_due:
                    await write(HEARTBEAT)
                    continue
                conn.wake.clear()
                if conn.cut is None and conn.updates.empty() and not conn.pending_quotes and not conn.beat_due:
                    conn.parked = True  # from here the hub may write quotes to the socket itself
                    await conn.wake.wait()
                conn.parked = False
            if conn.cut != "gone":
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if conn.cut is None or conn.cut == "gone":
                raise
            # cut while blocked writing to a client that does not read: leave; the server closes it
        finally:
            watcher.cancel()
            self._hub.disconnect(conn)

    @staticmethod
    async def _watch(receive: Receive, conn: Connection) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        if conn.cut is None:
            conn.cut = "gone"
        conn.wake.set()


class StreamController(Controller):
    path = "/api/v1/stream"
    tags = ["stream"]

    @get(
        "/",
        summary="Live orders, fills, positions and quotes (SSE)",
        responses=errors(400, 401, 422),
        operation_class=documented(),
    )
    async def stream(
        self,
        request: Request[Any, Any, Any],
        account: Account,
        symbols: str | None = Parameter(query="symbols", default=None),
        heartbeat: float = Parameter(query="heartbeat", default=HEARTBEAT_SECONDS, gt=0.05, le=60),
    ) -> FanOutStream:
        wanted = (
            frozenset(s.strip().upper() for s in symbols.split(",") if s.strip()) & SYMBOLS
            if symbols
            else frozenset(DEFAULT_WATCHLIST)
        )
        last_event_id = parse_last_event_id(request.headers.get("last-event-id"))
        ctx: StreamContext = request.app.state.stream  # not a dependency: none to resolve per connection
        return FanOutStream(ctx.hub, ctx.read_model, account, wanted, last_event_id, heartbeat, ctx.flush_interval)
