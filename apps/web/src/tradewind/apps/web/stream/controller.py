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
import json
import re
from collections.abc import AsyncGenerator
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import Dependency, Parameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from tradewind.application.ports import OrderReadModel, PriceCache
from tradewind.apps.web.errors import InvalidHeader
from tradewind.apps.web.openapi import documented, errors
from tradewind.apps.web.stream.hub import Connection, StreamHub
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


def _message(kind: str, data: dict[str, Any], seq: int | None) -> ServerSentEventMessage:
    resumable = seq is not None and kind == "order"
    return ServerSentEventMessage(data=json.dumps(data), event=kind, id=str(seq) if resumable else None)


async def _events(
    conn: Connection,
    hub: StreamHub,
    read_model: OrderReadModel,
    prices: Annotated[PriceCache, Dependency(skip_validation=True)],
    account: Account,
    last_event_id: int | None,
    heartbeat: float,
) -> AsyncGenerator[ServerSentEventMessage, None]:
    try:
        last_seq = last_event_id or 0
        sent_at_last: set[str] = set()  # kinds already sent for ``last_seq`` (an event's parts)
        if last_event_id is not None:
            # Registered with the hub first, then the backlog: nothing falls between the two.
            while page := await read_model.log_since(account.id, last_seq, RESUME_PAGE):
                for entry in page:
                    if entry.seq != last_seq:
                        last_seq, sent_at_last = entry.seq, set()
                    sent_at_last.add(entry.kind)
                    yield _message(entry.kind, entry.data, entry.seq)
        snapshot = await prices.get_many(sorted(conn.symbols))
        for quote in snapshot.values():
            yield _message("quote", quote.to_dict(), None)
        while True:
            if conn.overflowed:
                return  # too far behind: close, the client reconnects with Last-Event-ID
            sent = False
            while not conn.updates.empty():
                message = conn.updates.get_nowait()
                seq, kind = message.get("seq"), str(message["kind"])
                if isinstance(seq, int):
                    if seq < last_seq or (seq == last_seq and kind in sent_at_last):
                        continue  # already sent from the backlog (or a redelivery)
                    if seq != last_seq:
                        last_seq, sent_at_last = seq, set()
                    sent_at_last.add(kind)
                sent = True
                yield _message(str(message["kind"]), message["data"], seq if isinstance(seq, int) else None)
            if conn.quotes:
                quotes, conn.quotes = conn.quotes, {}
                for data in quotes.values():
                    sent = True
                    yield _message("quote", data, None)
            if sent:
                continue
            conn.wake.clear()
            if not conn.updates.empty() or conn.quotes:
                continue
            try:
                await asyncio.wait_for(conn.wake.wait(), heartbeat)
            except TimeoutError:
                yield ServerSentEventMessage(comment="heartbeat")
    finally:
        hub.disconnect(conn)


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
        stream_hub: StreamHub,
        order_read_model: Annotated[OrderReadModel, Dependency(skip_validation=True)],
        prices: Annotated[PriceCache, Dependency(skip_validation=True)],
        symbols: str | None = Parameter(query="symbols", default=None),
        heartbeat: float = Parameter(query="heartbeat", default=HEARTBEAT_SECONDS, gt=0.05, le=60),
    ) -> ServerSentEvent:
        wanted = (
            frozenset(s.strip().upper() for s in symbols.split(",") if s.strip()) & SYMBOLS
            if symbols
            else frozenset(DEFAULT_WATCHLIST)
        )
        last_event_id = parse_last_event_id(request.headers.get("last-event-id"))
        conn = stream_hub.connect(str(account.id), wanted)
        return ServerSentEvent(_events(conn, stream_hub, order_read_model, prices, account, last_event_id, heartbeat))
