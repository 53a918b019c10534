"""Kafka topics of DESIGN.md and which topic each event type travels on.

Requests from the web (cancel, amend) share a topic with the broker's confirmation of the same
kind, so one consumer sees an order's requests in order; consumers skip types they do not handle.
"""

from __future__ import annotations

from typing import Final

ORDER_SUBMITTED = "order.submitted"
ORDER_CANCELED = "order.canceled"
ORDER_AMENDED = "order.amended"
ORDER_ACCEPTED = "order.accepted"
ORDER_FILLED = "order.filled"
ORDER_REJECTED = "order.rejected"
ORDER_EXPIRED = "order.expired"
POSITION_UPDATED = "position.updated"
MARKET_PRICE = "market.price"
AUDIT_EVENTS = "audit.events"
DEAD_LETTER = "dead_letter"

#: topic -> partitions (DESIGN.md "Topics")
PARTITIONS: Final[dict[str, int]] = {
    ORDER_SUBMITTED: 12,
    ORDER_CANCELED: 12,
    ORDER_AMENDED: 12,
    ORDER_ACCEPTED: 12,
    ORDER_FILLED: 12,
    ORDER_REJECTED: 12,
    ORDER_EXPIRED: 12,
    POSITION_UPDATED: 12,
    MARKET_PRICE: 6,
    AUDIT_EVENTS: 4,
    DEAD_LETTER: 4,
}

TOPIC_OF_EVENT: Final[dict[str, str]] = {
    "order.submitted": ORDER_SUBMITTED,
    "order.cancel_requested": ORDER_CANCELED,
    "order.canceled": ORDER_CANCELED,
    "order.amend_requested": ORDER_AMENDED,
    "order.replaced": ORDER_AMENDED,
    "order.accepted": ORDER_ACCEPTED,
    "order.unknown": ORDER_ACCEPTED,
    "order.filled": ORDER_FILLED,
    "order.rejected": ORDER_REJECTED,
    "order.broker_unavailable": ORDER_REJECTED,
    "order.expired": ORDER_EXPIRED,
}

#: every topic that carries order lifecycle events (what the read model consumes)
ORDER_TOPICS: Final[tuple[str, ...]] = (
    ORDER_SUBMITTED,
    ORDER_CANCELED,
    ORDER_AMENDED,
    ORDER_ACCEPTED,
    ORDER_FILLED,
    ORDER_REJECTED,
    ORDER_EXPIRED,
)
#: what the execution engine consumes (requests from traders)
COMMAND_TOPICS: Final[tuple[str, ...]] = (ORDER_SUBMITTED, ORDER_CANCELED, ORDER_AMENDED)


def topic_for(event_type: str) -> str:
    try:
        return TOPIC_OF_EVENT[event_type]
    except KeyError:
        raise ValueError(f"no topic for event type {event_type!r}") from None


#: what the audit archive consumes (issue 6): every order, position, risk and market event;
#: dead letters too, archived under their own type so nothing read is ever lost from the record
AUDITED_TOPICS: Final[tuple[str, ...]] = (*ORDER_TOPICS, POSITION_UPDATED, MARKET_PRICE, AUDIT_EVENTS, DEAD_LETTER)
