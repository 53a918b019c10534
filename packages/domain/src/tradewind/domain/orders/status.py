"""Order statuses and the one table of legal moves.

The table is keyed ``(current status, trigger)``: a trigger is a request of the command side or a
fact reported by the venue. Anything not in it raises ``InvalidTransition``; the OMS ledger keeps
such a report and flags it, never applies it silently. Real-world edges stay in, commented: the
venue is authoritative, so a fill that raced a cancel is counted, and reconciliation resolves an
``unknown`` order to whatever the venue says.
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


class Trigger(StrEnum):
    """What can happen to an order: a request of the command side or a fact from the venue."""

    CANCEL_REQUESTED = "cancel_requested"
    AMEND_REQUESTED = "amend_requested"
    ACK = "ack"  # the venue acknowledged the order (or reconciliation found it working)
    FILL_PARTIAL = "fill_partial"
    FILL_COMPLETE = "fill_complete"
    CANCELED = "canceled"
    REPLACED = "replaced"
    CANCEL_REJECTED = "cancel_rejected"
    REPLACE_REJECTED = "replace_rejected"
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # no answer from the venue in time: reconcile
    BROKER_UNAVAILABLE = "broker_unavailable"


S = OrderStatus
T = Trigger
FINAL: Final[frozenset[OrderStatus]] = frozenset({S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED, S.BROKER_UNAVAILABLE})
OPEN: Final[frozenset[OrderStatus]] = frozenset(set(OrderStatus) - FINAL)

#: ``LIVE`` in the table means "working at the venue": ``partially_filled`` when part of the
#: order has filled, ``accepted`` otherwise (``Order.apply`` resolves it).
LIVE: Final = S.ACCEPTED

_WORKING = (S.ACCEPTED, S.PARTIALLY_FILLED)
_PENDING_REQUEST = (S.PENDING_CANCEL, S.PENDING_REPLACE)
_ENDINGS = {T.CANCELED: S.CANCELED, T.REJECTED: S.REJECTED, T.EXPIRED: S.EXPIRED, T.FILL_COMPLETE: S.FILLED}

TRANSITIONS: Final[Mapping[tuple[OrderStatus, Trigger], OrderStatus]] = {
    # Sent, not yet acknowledged.
    (S.PENDING, T.ACK): S.ACCEPTED,
    (S.PENDING, T.REJECTED): S.REJECTED,
    (S.PENDING, T.BROKER_UNAVAILABLE): S.BROKER_UNAVAILABLE,
    (S.PENDING, T.UNKNOWN): S.UNKNOWN,
    (S.PENDING, T.CANCEL_REQUESTED): S.PENDING_CANCEL,
    (S.PENDING, T.CANCELED): S.CANCELED,
    (S.PENDING, T.EXPIRED): S.EXPIRED,
    # A fast venue may report the fill without a separate acknowledgement.
    (S.PENDING, T.FILL_PARTIAL): S.PARTIALLY_FILLED,
    (S.PENDING, T.FILL_COMPLETE): S.FILLED,
    # Working at the venue.
    **{(w, t): s for w in _WORKING for t, s in _ENDINGS.items()},
    **{(w, T.FILL_PARTIAL): S.PARTIALLY_FILLED for w in _WORKING},
    **{(w, T.ACK): w for w in _WORKING},  # a reconciliation's acknowledgement of a working order
    **{(w, T.UNKNOWN): S.UNKNOWN for w in _WORKING},
    **{(w, T.CANCEL_REQUESTED): S.PENDING_CANCEL for w in _WORKING},
    **{(w, T.AMEND_REQUESTED): S.PENDING_REPLACE for w in _WORKING},
    # A request in flight: fills and the original acknowledgement keep it pending; the venue's
    # answer to the request (or a final report) settles it.
    **{(p, t): s for p in _PENDING_REQUEST for t, s in _ENDINGS.items()},
    **{(p, T.FILL_PARTIAL): p for p in _PENDING_REQUEST},
    **{(p, T.ACK): p for p in _PENDING_REQUEST},
    **{(p, T.UNKNOWN): S.UNKNOWN for p in _PENDING_REQUEST},
    (S.PENDING_CANCEL, T.CANCEL_REJECTED): LIVE,
    # Canceled before the venue acknowledged it, and then the submit found the venue down.
    (S.PENDING_CANCEL, T.BROKER_UNAVAILABLE): S.BROKER_UNAVAILABLE,
    (S.PENDING_CANCEL, T.REPLACED): S.PENDING_CANCEL,  # an amend that was ahead of the cancel
    (S.PENDING_CANCEL, T.REPLACE_REJECTED): S.PENDING_CANCEL,
    (S.PENDING_REPLACE, T.REPLACED): LIVE,
    (S.PENDING_REPLACE, T.REPLACE_REJECTED): LIVE,
    (S.PENDING_REPLACE, T.CANCEL_REQUESTED): S.PENDING_CANCEL,
    # Timed out: reconciliation resolves it to what the venue knows.
    (S.UNKNOWN, T.ACK): LIVE,
    (S.UNKNOWN, T.FILL_PARTIAL): S.PARTIALLY_FILLED,
    (S.UNKNOWN, T.FILL_COMPLETE): S.FILLED,
    (S.UNKNOWN, T.CANCELED): S.CANCELED,
    (S.UNKNOWN, T.REJECTED): S.REJECTED,
    (S.UNKNOWN, T.EXPIRED): S.EXPIRED,
    (S.UNKNOWN, T.BROKER_UNAVAILABLE): S.BROKER_UNAVAILABLE,
    (S.UNKNOWN, T.CANCEL_REQUESTED): S.PENDING_CANCEL,
    (S.UNKNOWN, T.UNKNOWN): S.UNKNOWN,
    # The venue said it never saw the order, and then it did: it can still come back.
    (S.BROKER_UNAVAILABLE, T.ACK): LIVE,
    (S.BROKER_UNAVAILABLE, T.FILL_PARTIAL): S.PARTIALLY_FILLED,
    (S.BROKER_UNAVAILABLE, T.FILL_COMPLETE): S.FILLED,
    # A fill the venue reports after the cancel (the cancel raced it): the fill is real and is
    # counted (flagged ``after_cancel``), but a canceled order is not reopened; only a complete
    # fill makes it ``filled``.
    (S.CANCELED, T.FILL_PARTIAL): S.CANCELED,
    (S.CANCELED, T.FILL_COMPLETE): S.FILLED,
    # The venue's "no" to a cancel or amend of an order that has ended meanwhile: nothing to do.
    **{(f, t): f for f in FINAL for t in (T.CANCEL_REJECTED, T.REPLACE_REJECTED)},
}


def transition(current: OrderStatus, trigger: Trigger) -> OrderStatus:
    if (nxt := TRANSITIONS.get((current, trigger))) is None:
        raise InvalidTransition(current, trigger)
    return nxt


def can_transition(current: OrderStatus, trigger: Trigger) -> bool:
    return (current, trigger) in TRANSITIONS
