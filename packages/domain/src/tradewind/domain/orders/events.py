"""Order events, each in the envelope of DESIGN.md.

Events are immutable facts. ``event_id`` is the idempotency key every consumer dedupes on;
``correlation_id`` threads one order from the HTTP request to its last fill; ``causation_id``
is the event (or request) that caused this one. Money fields are ``Decimal`` and travel as
strings; unknown fields are ignored on read so producers may add fields within a version.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from tradewind.domain.clock import utcnow
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce, Trigger

SCHEMA_VERSION = 1


class Event(BaseModel):
    """The envelope. Subclasses fix ``type`` with a ``Literal``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    occurred_at: datetime = Field(default_factory=utcnow)
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    account_id: uuid.UUID
    schema_version: int = SCHEMA_VERSION

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("occurred_at must be timezone-aware")
        return value

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


class OrderEvent(Event):
    """Something that happened to one order. The OMS numbers each event it writes: ``order_seq``
    (1, 2, 3, ... per order) and ``account_seq`` (gap-free per account, assigned under the
    account lock), so every consumer can tell a duplicate (a number it has seen) from a gap (a
    number it skipped) without guessing which of two messages came first."""

    order_id: uuid.UUID
    symbol: str
    order_seq: int | None = None
    account_seq: int | None = None
    #: what this event does to the order (the key into ``status.TRANSITIONS``)
    trigger: ClassVar[Trigger | None] = None

    def numbered(self, order_seq: int, account_seq: int) -> OrderEvent:
        return self.model_copy(update={"order_seq": order_seq, "account_seq": account_seq})


class OrderSubmitted(OrderEvent):
    type: Literal["order.submitted"] = "order.submitted"
    client_order_id: str
    side: OrderSide
    qty: int
    order_type: OrderType
    time_in_force: TimeInForce
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    created_at: datetime


class OrderCancelRequested(OrderEvent):
    type: Literal["order.cancel_requested"] = "order.cancel_requested"
    trigger: ClassVar[Trigger | None] = Trigger.CANCEL_REQUESTED


class OrderAmendRequested(OrderEvent):
    type: Literal["order.amend_requested"] = "order.amend_requested"
    trigger: ClassVar[Trigger | None] = Trigger.AMEND_REQUESTED
    qty: int | None = None
    limit_price: Decimal | None = None


class OrderAccepted(OrderEvent):
    type: Literal["order.accepted"] = "order.accepted"
    trigger: ClassVar[Trigger | None] = Trigger.ACK
    broker_order_id: str
    reconciliation: bool = False


class OrderFilled(OrderEvent):
    """One execution report with a fill. ``cum_qty``/``avg_price`` are the broker's running totals,
    so a consumer that missed or reordered reports still converges on the broker's truth."""

    type: Literal["order.filled"] = "order.filled"
    fill_id: str
    side: OrderSide
    fill_qty: int
    fill_price: Decimal
    cum_qty: int
    avg_price: Decimal
    leaves_qty: int
    order_qty: int
    broker_order_id: str
    reconciliation: bool = False
    #: the fill raced a cancel at the venue (canceled -> filled): applied, and flagged
    after_cancel: bool = False

    #: the ledger saw more filled than the sum of the fills it had (a report went missing)
    gap: bool = False


class OrderCanceled(OrderEvent):
    type: Literal["order.canceled"] = "order.canceled"
    trigger: ClassVar[Trigger | None] = Trigger.CANCELED
    reason: str | None = None
    reconciliation: bool = False


class OrderReplaced(OrderEvent):
    type: Literal["order.replaced"] = "order.replaced"
    trigger: ClassVar[Trigger | None] = Trigger.REPLACED
    qty: int
    limit_price: Decimal | None = None


class OrderCancelRejected(OrderEvent):
    """The venue refused a cancel (the order filled or ended first, or it cannot be canceled)."""

    type: Literal["order.cancel_rejected"] = "order.cancel_rejected"
    trigger: ClassVar[Trigger | None] = Trigger.CANCEL_REJECTED
    reason: str | None = None


class OrderReplaceRejected(OrderEvent):
    """The venue refused an amend: the order works on unchanged."""

    type: Literal["order.replace_rejected"] = "order.replace_rejected"
    trigger: ClassVar[Trigger | None] = Trigger.REPLACE_REJECTED
    reason: str | None = None


class OrderRejected(OrderEvent):
    type: Literal["order.rejected"] = "order.rejected"
    trigger: ClassVar[Trigger | None] = Trigger.REJECTED
    reason: str


class OrderExpired(OrderEvent):
    type: Literal["order.expired"] = "order.expired"
    trigger: ClassVar[Trigger | None] = Trigger.EXPIRED
    reason: str | None = None


class OrderUnknown(OrderEvent):
    type: Literal["order.unknown"] = "order.unknown"
    trigger: ClassVar[Trigger | None] = Trigger.UNKNOWN
    reason: str


class OrderBrokerUnavailable(OrderEvent):
    type: Literal["order.broker_unavailable"] = "order.broker_unavailable"
    trigger: ClassVar[Trigger | None] = Trigger.BROKER_UNAVAILABLE
    reason: str


AnyOrderEvent = Annotated[
    OrderSubmitted
    | OrderCancelRequested
    | OrderAmendRequested
    | OrderAccepted
    | OrderFilled
    | OrderCanceled
    | OrderReplaced
    | OrderCancelRejected
    | OrderReplaceRejected
    | OrderRejected
    | OrderExpired
    | OrderUnknown
    | OrderBrokerUnavailable,
    Field(discriminator="type"),
]
_ORDER_EVENT: TypeAdapter[Any] = TypeAdapter(AnyOrderEvent)
ORDER_EVENT_TYPES: frozenset[str] = frozenset(
    cls.model_fields["type"].default
    for cls in (
        OrderSubmitted,
        OrderCancelRequested,
        OrderAmendRequested,
        OrderAccepted,
        OrderFilled,
        OrderCanceled,
        OrderReplaced,
        OrderCancelRejected,
        OrderReplaceRejected,
        OrderRejected,
        OrderExpired,
        OrderUnknown,
        OrderBrokerUnavailable,
    )
)


def parse_order_event(raw: bytes | str | dict[str, Any]) -> OrderEvent:
    """Decode any order event from its JSON (bytes/str) or a dict; raises ``ValueError`` on junk."""
    if isinstance(raw, dict):
        event = _ORDER_EVENT.validate_python(raw)
    else:
        event = _ORDER_EVENT.validate_json(raw)
    assert isinstance(event, OrderEvent)
    return event
