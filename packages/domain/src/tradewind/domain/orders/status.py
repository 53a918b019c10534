"""Order statuses and the one table of legal moves.

The table is keyed ``(current, trigger)``; anything not in it raises ``InvalidTransition``.
Real-world edges stay in, commented: the broker is authoritative, so a fill that raced a cancel
is applied, and reconciliation resolves an ``unknown`` order to whatever the broker says.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from tradewind.domain.errors import InvalidTransition


class OrderStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    PENDING_CANCEL = "pending_cancel"
    PENDING_REPLACE = "pending_replace"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    BROKER_UNAVAILABLE = "broker_unavailable"
    UNKNOWN = "unknown"


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class TimeInForce(StrEnum):
    DAY = "day"
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"


S = OrderStatus
FINAL: Final[frozenset[OrderStatus]] = frozenset({S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED, S.BROKER_UNAVAILABLE})
OPEN: Final[frozenset[OrderStatus]] = frozenset(set(OrderStatus) - FINAL)

_LIVE = (S.ACCEPTED, S.PARTIALLY_FILLED, S.PENDING_CANCEL, S.PENDING_REPLACE)

TRANSITIONS: Final[Mapping[tuple[OrderStatus, OrderStatus], OrderStatus]] = {
    (S.PENDING, S.ACCEPTED): S.ACCEPTED,
    (S.PENDING, S.REJECTED): S.REJECTED,
    (S.PENDING, S.BROKER_UNAVAILABLE): S.BROKER_UNAVAILABLE,
    (S.PENDING, S.UNKNOWN): S.UNKNOWN,
    (S.PENDING, S.PENDING_CANCEL): S.PENDING_CANCEL,
    (S.PENDING, S.CANCELED): S.CANCELED,
    # A fast broker may report the fill before we have seen its acknowledgement.
    (S.PENDING, S.PARTIALLY_FILLED): S.PARTIALLY_FILLED,
    (S.PENDING, S.FILLED): S.FILLED,
    (S.PENDING, S.EXPIRED): S.EXPIRED,
    **{(live, S.PARTIALLY_FILLED): S.PARTIALLY_FILLED for live in _LIVE},
    **{(live, S.FILLED): S.FILLED for live in _LIVE},
    **{(live, S.CANCELED): S.CANCELED for live in _LIVE},
    **{(live, S.EXPIRED): S.EXPIRED for live in _LIVE},
    **{(live, S.UNKNOWN): S.UNKNOWN for live in _LIVE},
    (S.ACCEPTED, S.PENDING_CANCEL): S.PENDING_CANCEL,
    (S.PARTIALLY_FILLED, S.PENDING_CANCEL): S.PENDING_CANCEL,
    (S.PENDING_REPLACE, S.PENDING_CANCEL): S.PENDING_CANCEL,
    (S.ACCEPTED, S.PENDING_REPLACE): S.PENDING_REPLACE,
    (S.PARTIALLY_FILLED, S.PENDING_REPLACE): S.PENDING_REPLACE,
    # The replace completed (or was refused): the order is live again.
    (S.PENDING_REPLACE, S.ACCEPTED): S.ACCEPTED,
    (S.PENDING_CANCEL, S.ACCEPTED): S.ACCEPTED,  # cancel refused by the broker
    (S.PENDING_REPLACE, S.REJECTED): S.REJECTED,
    (S.PENDING_CANCEL, S.REJECTED): S.REJECTED,
    (S.ACCEPTED, S.REJECTED): S.REJECTED,  # venue rejects after acknowledging
    # A fill that raced the cancel at the venue: real, never drop it (flagged by the caller).
    (S.CANCELED, S.PARTIALLY_FILLED): S.PARTIALLY_FILLED,
    (S.CANCELED, S.FILLED): S.FILLED,
    # Reconciliation resolves a timed-out order to what the broker knows.
    (S.UNKNOWN, S.ACCEPTED): S.ACCEPTED,
    (S.UNKNOWN, S.PARTIALLY_FILLED): S.PARTIALLY_FILLED,
    (S.UNKNOWN, S.FILLED): S.FILLED,
    (S.UNKNOWN, S.CANCELED): S.CANCELED,
    (S.UNKNOWN, S.REJECTED): S.REJECTED,
    (S.UNKNOWN, S.EXPIRED): S.EXPIRED,
    (S.UNKNOWN, S.BROKER_UNAVAILABLE): S.BROKER_UNAVAILABLE,
    # Broker said it never saw the order after we gave up on it; it can still come back.
    (S.BROKER_UNAVAILABLE, S.ACCEPTED): S.ACCEPTED,
    (S.BROKER_UNAVAILABLE, S.PARTIALLY_FILLED): S.PARTIALLY_FILLED,
    (S.BROKER_UNAVAILABLE, S.FILLED): S.FILLED,
}


def transition(current: OrderStatus, trigger: OrderStatus) -> OrderStatus:
    if (nxt := TRANSITIONS.get((current, trigger))) is None:
        raise InvalidTransition(current, trigger)
    return nxt


def can_transition(current: OrderStatus, trigger: OrderStatus) -> bool:
    return (current, trigger) in TRANSITIONS
