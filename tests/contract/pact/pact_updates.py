"""The live updates web processes receive over Redis pub/sub (``Notifier`` port), as the SSE
bridge (``StreamHub``) states them: ``{account_id, kind, seq, data}``.

Order and fill updates come from the worker's order projection, quotes from the worker's
market-data service, positions from the position service (``pact_positions``).
``account_id`` routes order and fill updates to that account's streams only (invariant 7) and is
null for quotes, which go to every stream watching the symbol; ``seq`` is the event's
``account_seq`` (numbered by the OMS ledger), which becomes the SSE ``id:`` of the ``order``
frame; a fill and the order it moved carry the same one (null for quotes and positions, which
are not resumable); ``data`` is the REST resource, passed through to the SSE ``data:`` line
unchanged.
"""

from __future__ import annotations

from pact import Pact, match
from pact_resources import fill_resource, order_resource, quote_resource
from pact_support import ACCOUNT_ID, string_rules, uuid

ORDER_UPDATE = "update: an order changed"
FILL_UPDATE = "update: an order filled"
QUOTE_UPDATE = "update: a new quote"

FROM_PROJECTION = (ORDER_UPDATE, FILL_UPDATE)
FROM_MARKET_DATA = (QUOTE_UPDATE,)

BODIES = {
    ORDER_UPDATE: {
        "account_id": uuid(ACCOUNT_ID),
        "kind": "order",
        "seq": match.int(2),
        "data": order_resource(status="accepted"),
    },
    FILL_UPDATE: {"account_id": uuid(ACCOUNT_ID), "kind": "fill", "seq": match.int(3), "data": fill_resource()},
    QUOTE_UPDATE: {"account_id": None, "kind": "quote", "seq": None, "data": quote_resource()},
}


def expect(pact: Pact, descriptions: tuple[str, ...]) -> Pact:
    for description in descriptions:
        (
            pact.upon_receiving(description, "Async")
            .with_body(BODIES[description], content_type="application/json")
            .with_matching_rules({"body": string_rules(BODIES[description])})
        )
    return pact
