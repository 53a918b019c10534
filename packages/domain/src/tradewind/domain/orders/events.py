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
from tradewind.domain.orders.status import OrderSide, OrderStatus, OrderType, TimeInForce

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
    order_id: uuid.UUID
    symbol: str
    #: the status this event moves the order to; ``None`` for requests that only ask
    status_trigger: ClassVar[OrderStatus | None] = None


class OrderSubmitted(OrderEvent):
    type: Literal["order.submitted"] = "order.submitted"
    status_trigger: ClassVar[OrderStatus | None] = OrderStatus.PENDING
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
    status_trigger: ClassVar[OrderStatus | None] = OrderStatus.PENDING_CANCEL


class OrderAmendRequested(OrderEvent):
    type: Literal["order.amend_requested"] = "order.amend_requested"
    status_trigger: ClassVar[OrderStatus | None] = OrderStatus.PENDING_REPLACE
    qty: int | None = None
    limit_price: Decimal | None = None


class OrderAccepted(OrderEvent):
    type: Literal["order.accepted"] = "order.accepted"
    status_trigger: ClassVar[OrderStatus | None] = OrderStatus.ACCEPTED
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

    @property
    def status_after(self) -> OrderStatus:
        return OrderStatus.FILLED if self.leaves_qty == 0 else OrderStatus.PARTIALLY_FILLED


class OrderCanceled(OrderEvent):
    type: Literal["order.canceled"] = "order.canceled"
    status_trigger: ClassVar[OrderStatus | None] = OrderStatus.CANCELED
    reason: str | None = None
    reconciliation: bool = False


class OrderReplaced(OrderEvent):
    type: Literal["order.replaced"] = "order.replaced"
    status_trigger: ClassVar[OrderStatus | None] = OrderStatus.ACCEPTED
    qty: int
    limit_price: Decimal | None = None


class OrderRejected(OrderEvent):
    type: Literal["order.rejected"] = "order.rejected"
    status_trigger: ClassVar[OrderStatus | None] = OrderStatus.REJECTED
    reason: str


class OrderExpired(OrderEvent):
    type: Literal["order.expired"] = "order.expired"
    status_trigger: ClassVar[OrderStatus | None] = OrderStatus.EXPIRED
    reason: str | None = None


class OrderUnknown(OrderEvent):
    type: Literal["order.unknown"] = "order.unknown"
    status_trigger: ClassVar[OrderStatus | None] = OrderStatus.UNKNOWN
    reason: str


class OrderBrokerUnavailable(OrderEvent):
    type: Literal["order.broker_unavailable"] = "order.broker_unavailable"
    status_trigger: ClassVar[OrderStatus | None] = OrderStatus.BROKER_UNAVAILABLE
    reason: str


AnyOrderEvent = Annotated[
    OrderSubmitted
    | OrderCancelRequested
    | OrderAmendRequested
    | OrderAccepted
    | OrderFilled
    | OrderCanceled
    | OrderReplaced
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
