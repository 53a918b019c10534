"""The order messages on Kafka, as their consumers state them.

One description names one message everywhere: consumers pick the descriptions they rely on
(``expect``), and each provider's verification maps the same descriptions to the producer code
that builds the message. Bodies hold only what a consumer relies on, with matchers for what may
vary; anything the producer adds beyond that is ignored (additive changes within a version).
``schema_version`` is exact: a consumer of version 1 must not be handed version 2.
"""

from __future__ import annotations

import uuid as uuid_
from collections.abc import Callable
from typing import Any

from pact import Pact, match
from pact_support import (
    ACCOUNT_ID,
    CORRELATION_ID,
    CREATED_AT,
    ORDER_ID,
    SIDE_RE,
    TIF_RE,
    money,
    one_of,
    string_rules,
    symbol,
    utc,
    uuid,
)

SUBMITTED_MARKET = "order.submitted: a market buy"
SUBMITTED_LIMIT = "order.submitted: a limit buy"
CANCEL_REQUESTED = "order.cancel_requested: a trader asks to cancel"
AMEND_REQUESTED = "order.amend_requested: a trader asks to change qty and limit price"
ACCEPTED = "order.accepted: the broker acknowledged the order"
FILLED = "order.filled: a fill completing the order"
CANCELED = "order.canceled: the broker canceled the order"
CANCELED_BEFORE_BROKER = "order.canceled: canceled before it reached the broker"
REPLACED = "order.replaced: the broker applied an amend"
REJECTED = "order.rejected: the broker refused the order"
EXPIRED = "order.expired: a day order expired at the close"
UNKNOWN = "order.unknown: no answer from the broker in time"
BROKER_UNAVAILABLE = "order.broker_unavailable: the broker could not be reached"

#: what the web writes to its outbox (the relay publishes it)
FROM_WEB = (SUBMITTED_MARKET, SUBMITTED_LIMIT, CANCEL_REQUESTED, AMEND_REQUESTED)
#: what the gateway's execution engine publishes
FROM_GATEWAY = (
    ACCEPTED,
    FILLED,
    CANCELED,
    CANCELED_BEFORE_BROKER,
    REPLACED,
    REJECTED,
    EXPIRED,
    UNKNOWN,
    BROKER_UNAVAILABLE,
)

_TOPIC = {
    SUBMITTED_MARKET: "order.submitted",
    SUBMITTED_LIMIT: "order.submitted",
    CANCEL_REQUESTED: "order.canceled",
    AMEND_REQUESTED: "order.amended",
    ACCEPTED: "order.accepted",
    FILLED: "order.filled",
    CANCELED: "order.canceled",
    CANCELED_BEFORE_BROKER: "order.canceled",
    REPLACED: "order.amended",
    REJECTED: "order.rejected",
    EXPIRED: "order.expired",
    UNKNOWN: "order.accepted",
    BROKER_UNAVAILABLE: "order.rejected",
}


def topic_of(description: str) -> str:
    return _TOPIC[description]


def event_id_of(description: str) -> str:
    """Each example message has its own event id (consumers dedupe on it), fixed per description."""
    return str(uuid_.uuid5(uuid_.NAMESPACE_URL, f"tradewind:pact:{description}"))


def _envelope(event_type: str, description: str) -> dict[str, Any]:
    return {
        "event_id": uuid(event_id_of(description)),
        "type": event_type,
        "occurred_at": utc(),
        "correlation_id": uuid(CORRELATION_ID),
        "account_id": uuid(ACCOUNT_ID),
        "schema_version": 1,
        "order_id": uuid(ORDER_ID),
        "symbol": symbol("AAPL"),
    }


def _submitted(description: str, order_type: str, limit_price: Any) -> dict[str, Any]:
    return _envelope("order.submitted", description) | {
        "client_order_id": match.str("c-20260102-0001"),
        "side": one_of("buy", SIDE_RE),
        "qty": match.int(10),
        "order_type": order_type,
        "time_in_force": one_of("day", TIF_RE),
        "limit_price": limit_price,
        "stop_price": None,
        "created_at": utc(CREATED_AT),
    }


BODIES: dict[str, dict[str, Any]] = {
    SUBMITTED_MARKET: _submitted(SUBMITTED_MARKET, "market", None),
    SUBMITTED_LIMIT: _submitted(SUBMITTED_LIMIT, "limit", money("99.50")),
    CANCEL_REQUESTED: _envelope("order.cancel_requested", CANCEL_REQUESTED),
    AMEND_REQUESTED: _envelope("order.amend_requested", AMEND_REQUESTED)
    | {"qty": match.int(20), "limit_price": money("99.75")},
    ACCEPTED: _envelope("order.accepted", ACCEPTED)
    | {"broker_order_id": match.str("P-000001"), "reconciliation": match.bool(False)},
    FILLED: _envelope("order.filled", FILLED)
    | {
        "fill_id": match.str("0f8fad5bd9cb469fa16570867728950e"),
        "side": one_of("buy", SIDE_RE),
        "fill_qty": match.int(10),
        "fill_price": money("100.02"),
        "cum_qty": match.int(10),
        "avg_price": money("100.02"),
        "leaves_qty": 0,
        "order_qty": match.int(10),
        "broker_order_id": match.str("P-000001"),
        "reconciliation": match.bool(False),
        "after_cancel": match.bool(False),
    },
    CANCELED: _envelope("order.canceled", CANCELED) | {"reconciliation": match.bool(False)},
    CANCELED_BEFORE_BROKER: _envelope("order.canceled", CANCELED_BEFORE_BROKER)
    | {"reason": match.str("canceled before reaching the broker")},
    REPLACED: _envelope("order.replaced", REPLACED) | {"qty": match.int(20), "limit_price": money("99.75")},
    REJECTED: _envelope("order.rejected", REJECTED) | {"reason": match.str("unknown symbol")},
    EXPIRED: _envelope("order.expired", EXPIRED),
    UNKNOWN: _envelope("order.unknown", UNKNOWN)
    | {"reason": match.str("no answer from the broker within 5s; reconciling")},
    BROKER_UNAVAILABLE: _envelope("order.broker_unavailable", BROKER_UNAVAILABLE)
    | {"reason": match.str("broker unavailable")},
}


def expect(pact: Pact, descriptions: tuple[str, ...], keep: Callable[[str], frozenset[str]] | None = None) -> Pact:
    """Add one asynchronous message interaction per description: the body above (only the fields
    ``keep(description)`` names, for a consumer that relies on fewer), on its topic, keyed by the
    account id (so one account's events stay in order)."""
    for description in descriptions:
        body = {k: v for k, v in BODIES[description].items() if keep is None or k in keep(description)}
        (
            pact.upon_receiving(description, "Async")
            .with_body(body, content_type="application/json")
            .with_matching_rules({"body": string_rules(body)})
            .with_metadata({"topic": topic_of(description), "key": uuid(ACCOUNT_ID)})
        )
    return pact


assert set(BODIES) == set(FROM_WEB) | set(FROM_GATEWAY) == set(_TOPIC)
