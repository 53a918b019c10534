"""Kafka topics of DESIGN.md ("Topics") and which topics each order event travels on.

Three topics carry an order's life, all keyed by account, so everything about one account (and
so about one order) is in one partition in the order it happened:

* ``order.commands``: what the command side asks of the venue (submit, cancel, amend), read by
  the gateway;
* ``execution.reports``: what the venue said, read by the OMS ledger (its only consumer);
* ``order.events``: what happened to orders, numbered by the ledger (``order_seq``,
  ``account_seq``): the one stream every projection reads.

A request is written to both ``order.commands`` and ``order.events`` (the same event, the same
``event_id``), so the read model sees the request in its place among the venue's answers.
"""

from __future__ import annotations

from typing import Final

ORDER_COMMANDS = "order.commands"
EXECUTION_REPORTS = "execution.reports"
ORDER_EVENTS = "order.events"
POSITION_UPDATED = "position.updated"
RISK_EVENTS = "risk.events"
MARKET_PRICE = "market.price"
DEAD_LETTER = "dead_letter"

#: topic -> partitions (DESIGN.md "Topics")
PARTITIONS: Final[dict[str, int]] = {
    ORDER_COMMANDS: 12,
    EXECUTION_REPORTS: 12,
    ORDER_EVENTS: 12,
    POSITION_UPDATED: 12,
    RISK_EVENTS: 4,
    MARKET_PRICE: 6,
    DEAD_LETTER: 4,
}

#: the event types that are requests to the venue (they also go to ``order.commands``)
COMMAND_TYPES: Final[frozenset[str]] = frozenset({"order.submitted", "order.cancel_requested", "order.amend_requested"})


def topics_for(event_type: str) -> tuple[str, ...]:
    """Where an order event is written by the outbox: every order event to ``order.events``;
    requests to ``order.commands`` first."""
    if event_type in COMMAND_TYPES:
        return (ORDER_COMMANDS, ORDER_EVENTS)
    if event_type.startswith("order."):
        return (ORDER_EVENTS,)
    raise ValueError(f"no topic for event type {event_type!r}")


#: what the audit archive consumes: every order event, position, risk and market record; dead
#: letters too, archived under their own type so nothing read is ever lost from the record
AUDITED_TOPICS: Final[tuple[str, ...]] = (ORDER_EVENTS, POSITION_UPDATED, MARKET_PRICE, RISK_EVENTS, DEAD_LETTER)
