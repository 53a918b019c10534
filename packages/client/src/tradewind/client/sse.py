"""Server-sent events, parsed as the HTML standard says (``event:``, ``data:``, ``id:``, comments).

Kept apart from the HTTP code so the parser can be fed any iterable of lines: the client's live
stream, a recorded one, or the examples of a contract test.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal

from tradewind.client.models import StreamEvent


def parse_events(lines: Iterable[str]) -> Iterator[StreamEvent]:
    """Yield one ``StreamEvent`` per dispatched event. Comments (``: heartbeat``) and events
    without data are skipped; multi-line ``data:`` is joined with newlines before JSON decoding
    (numbers with a fraction become ``Decimal``)."""
    event, event_id = "", None
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                payload = json.loads("\n".join(data), parse_float=Decimal)
                body = payload if isinstance(payload, dict) else {"value": payload}
                yield StreamEvent(event or "message", event_id, body)
            event, data, event_id = "", [], None
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id" and "\0" not in value:
            event_id = value
