"""The position service's messages, as their consumers state them: ``position.updated`` on Kafka
(for the audit archive and any later reader of positions) and the ``position`` live update the
SSE bridge forwards to the owner's streams."""

from __future__ import annotations

from typing import Any

from pact import Pact, match
from pact_resources import position_resource
from pact_support import ACCOUNT_ID, CORRELATION_ID, OCCURRED_AT, ORDER_ID, money, string_rules, symbol, utc, uuid

POSITION_UPDATED = "position.updated: a position after a fill"
POSITION_UPDATE = "update: a position changed"

POSITION_UPDATED_BODY: dict[str, Any] = {
    "event_id": uuid("9f86d081-884c-4d63-a5a2-0e2b6c1b9a10"),
    "type": "position.updated",
    "occurred_at": utc(),
    "correlation_id": uuid(CORRELATION_ID),
    "causation_id": uuid("e3b0c442-98fc-4c14-9afb-f4c8996fb924"),
    "account_id": uuid(ACCOUNT_ID),
    "schema_version": 1,
    "symbol": symbol("AAPL"),
    "qty": match.int(10),
    "avg_entry_price": money("100.02"),
    "cost_basis": money("1000.20"),
    "realized_pl": money("0"),
    "cash_flow": money("-1000.20"),
    "bought_qty": match.int(10),
    "sold_qty": match.int(0),
    "fills": match.int(1),
    "version": match.int(1),
    "fill_id": match.str("0f8fad5bd9cb469fa16570867728950e"),
    "order_id": uuid(ORDER_ID),
    "last_fill_price": money("100.02"),
    "last_fill_at": utc(OCCURRED_AT),
}

POSITION_UPDATE_BODY: dict[str, Any] = {
    "account_id": uuid(ACCOUNT_ID),
    "kind": "position",
    "seq": None,
    "data": position_resource(),
}


def expect_position_updated(pact: Pact, keep: frozenset[str] | None = None) -> Pact:
    """``keep``: the fields this consumer relies on (all of them when ``None``)."""
    body = {k: v for k, v in POSITION_UPDATED_BODY.items() if keep is None or k in keep}
    (
        pact.upon_receiving(POSITION_UPDATED, "Async")
        .with_body(body, content_type="application/json")
        .with_matching_rules({"body": string_rules(body)})
        .with_metadata({"topic": "position.updated", "key": uuid(ACCOUNT_ID)})
    )
    return pact


def expect_position_update(pact: Pact) -> Pact:
    (
        pact.upon_receiving(POSITION_UPDATE, "Async")
        .with_body(POSITION_UPDATE_BODY, content_type="application/json")
        .with_matching_rules({"body": string_rules(POSITION_UPDATE_BODY)})
    )
    return pact
