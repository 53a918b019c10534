"""The order messages on Kafka, as their consumers state them.

Three topics, all keyed by the account id (DESIGN.md "Topics"):

* ``order.commands``: the web's requests (submit, cancel, amend), read by the gateway's
  execution engine;
* ``execution.reports``: the venue's reports (``VenueReport``, ``pact_reports``), read by the
  OMS ledger;
* ``order.events``: the same requests (same event, same ``event_id``) and the outcomes the
  OMS ledger made of the venue's reports, every one numbered (``order_seq``, ``account_seq``),
  read by the order projection, the position service and the audit archiver.

One description names one message everywhere: consumers pick the descriptions they rely on
(``expect``), and each provider's verification maps the same descriptions to the producer code
that builds the message. A request has one description per topic (``on_commands``), since the
consumers of each topic state it. Bodies hold only what a consumer relies on, with matchers for
what may vary; anything the producer adds beyond that is ignored (additive changes within a
version). ``schema_version`` is exact: a consumer of version 1 must not be handed version 2.

Example numbers tell one order's story per description (``STORY``): a consumer test feeds an
example after the examples that come before it, numbered as the ledger would have numbered them.
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

ORDER_COMMANDS, ORDER_EVENTS = "order.commands", "order.events"

SUBMITTED_MARKET = "order.submitted: a market buy"
SUBMITTED_LIMIT = "order.submitted: a limit buy"
CANCEL_REQUESTED = "order.cancel_requested: a trader asks to cancel"
AMEND_REQUESTED = "order.amend_requested: a trader asks to change qty and limit price"
ACCEPTED = "order.accepted: the venue acknowledged the order"
FILLED = "order.filled: a fill completing the order"
CANCELED = "order.canceled: the venue canceled the order"
REPLACED = "order.replaced: the venue applied an amend"
CANCEL_REJECTED = "order.cancel_rejected: the venue refused a cancel (the order filled first)"
REPLACE_REJECTED = "order.replace_rejected: the venue refused an amend (the order filled first)"
REJECTED = "order.rejected: the venue refused the order"
EXPIRED = "order.expired: a day order expired at the close"
UNKNOWN = "order.unknown: no answer from the venue in time"
BROKER_UNAVAILABLE = "order.broker_unavailable: the venue could not be reached"

#: the web's requests as they travel on ``order.events`` (the web's outbox)
REQUESTS = (SUBMITTED_MARKET, SUBMITTED_LIMIT, CANCEL_REQUESTED, AMEND_REQUESTED)


def on_commands(description: str) -> str:
    """The description of a request as it travels on ``order.commands`` (the same event)."""
    return f"{description} (on order.commands)"


#: the web's requests as they travel on ``order.commands``
COMMANDS = tuple(on_commands(d) for d in REQUESTS)
#: the web's messages, both topics
FROM_WEB = (*COMMANDS, *REQUESTS)
#: what the OMS ledger writes to ``order.events`` from the venue's reports
FROM_LEDGER = (
    ACCEPTED,
    FILLED,
    CANCELED,
    REPLACED,
    CANCEL_REJECTED,
    REPLACE_REJECTED,
    REJECTED,
    EXPIRED,
    UNKNOWN,
    BROKER_UNAVAILABLE,
)

#: description -> the descriptions of the same order that come before it on ``order.events``
STORY: dict[str, tuple[str, ...]] = {
    SUBMITTED_MARKET: (),
    SUBMITTED_LIMIT: (),
    CANCEL_REQUESTED: (SUBMITTED_LIMIT, ACCEPTED),
    AMEND_REQUESTED: (SUBMITTED_LIMIT, ACCEPTED),
    ACCEPTED: (SUBMITTED_MARKET,),
    FILLED: (SUBMITTED_MARKET, ACCEPTED),
    CANCELED: (SUBMITTED_LIMIT, ACCEPTED, CANCEL_REQUESTED),
    REPLACED: (SUBMITTED_LIMIT, ACCEPTED, AMEND_REQUESTED),
    CANCEL_REJECTED: (SUBMITTED_LIMIT, ACCEPTED, CANCEL_REQUESTED),
    REPLACE_REJECTED: (SUBMITTED_LIMIT, ACCEPTED, AMEND_REQUESTED),
    REJECTED: (SUBMITTED_MARKET,),
    EXPIRED: (SUBMITTED_LIMIT, ACCEPTED),
    UNKNOWN: (SUBMITTED_MARKET,),
    BROKER_UNAVAILABLE: (SUBMITTED_MARKET,),
}


def seq_of(description: str) -> int:
    """The example's ``account_seq`` (and ``order_seq``: one order per story)."""
    return len(STORY[description.removesuffix(" (on order.commands)")]) + 1


def topic_of(description: str) -> str:
    return ORDER_COMMANDS if description in COMMANDS else ORDER_EVENTS


def event_id_of(description: str) -> str:
    """Each example message has its own event id, fixed per description; a request has the same
    id on both topics (it is one event)."""
    name = description.removesuffix(" (on order.commands)")
    return str(uuid_.uuid5(uuid_.NAMESPACE_URL, f"tradewind:pact:{name}"))


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
        "order_seq": match.int(seq_of(description)),
        "account_seq": match.int(seq_of(description)),
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


_REQUESTS: dict[str, Callable[[str], dict[str, Any]]] = {
    SUBMITTED_MARKET: lambda d: _submitted(d, "market", None),
    SUBMITTED_LIMIT: lambda d: _submitted(d, "limit", money("99.50")),
    CANCEL_REQUESTED: lambda d: _envelope("order.cancel_requested", d),
    AMEND_REQUESTED: lambda d: (
        _envelope("order.amend_requested", d) | {"qty": match.int(20), "limit_price": money("99.75")}
    ),
}

BODIES: dict[str, dict[str, Any]] = {
    **{d: build(d) for d, build in _REQUESTS.items()},
    **{on_commands(d): build(on_commands(d)) for d, build in _REQUESTS.items()},
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
        "gap": match.bool(False),
    },
    CANCELED: _envelope("order.canceled", CANCELED) | {"reconciliation": match.bool(False)},
    REPLACED: _envelope("order.replaced", REPLACED) | {"qty": match.int(20), "limit_price": money("99.75")},
    CANCEL_REJECTED: _envelope("order.cancel_rejected", CANCEL_REJECTED)
    | {"reason": match.str("cancel refused by the broker: order is filled")},
    REPLACE_REJECTED: _envelope("order.replace_rejected", REPLACE_REJECTED)
    | {"reason": match.str("amend refused by the broker: order is filled")},
    REJECTED: _envelope("order.rejected", REJECTED) | {"reason": match.str("unknown symbol")},
    EXPIRED: _envelope("order.expired", EXPIRED),
    UNKNOWN: _envelope("order.unknown", UNKNOWN)
    | {"reason": match.str("no answer from the broker within 5s; reconciling")},
    BROKER_UNAVAILABLE: _envelope("order.broker_unavailable", BROKER_UNAVAILABLE)
    | {"reason": match.str("broker unavailable")},
}

#: fields of the envelope a consumer may leave out when it does not rely on them
NUMBERS = frozenset({"order_seq", "account_seq"})


def without_numbers(description: str) -> frozenset[str]:
    """For a consumer that does not rely on the ledger's numbers (the execution engine)."""
    return frozenset(BODIES[description]) - NUMBERS


def expect(pact: Pact, descriptions: tuple[str, ...], keep: Callable[[str], frozenset[str]] | None = None) -> Pact:
    """Add one asynchronous message interaction per description: the body above (only the fields
    ``keep(description)`` names, for a consumer that relies on fewer), on its topic, keyed by the
    account id (so one account's messages stay in order)."""
    for description in descriptions:
        body = {k: v for k, v in BODIES[description].items() if keep is None or k in keep(description)}
        (
            pact.upon_receiving(description, "Async")
            .with_body(body, content_type="application/json")
            .with_matching_rules({"body": string_rules(body)})
            .with_metadata({"topic": topic_of(description), "key": uuid(ACCOUNT_ID)})
        )
    return pact


assert set(BODIES) == set(FROM_WEB) | set(FROM_LEDGER)
assert set(STORY) == set(REQUESTS) | set(FROM_LEDGER)
