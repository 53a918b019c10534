"""The Order aggregate.

An order is born from ``OrderSubmitted`` and changes only by ``apply(event)``. ``apply`` is what
the read-model projection runs for every event it consumes, so it must be safe against
redelivery and reordering: it returns ``False`` (and changes nothing) for an event that would
move the order backwards, and fills converge on the broker's cumulative totals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from tradewind.domain.clock import utcnow
from tradewind.domain.errors import OrderNotAmendable, OrderNotCancelable
from tradewind.domain.orders.commands import AmendOrder, CancelOrder, PlaceOrder
from tradewind.domain.orders.events import (
    OrderAccepted,
    OrderAmendRequested,
    OrderCancelRequested,
    OrderEvent,
    OrderFilled,
    OrderReplaced,
    OrderSubmitted,
)
from tradewind.domain.orders.status import (
    FINAL,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    can_transition,
)

_ACCEPTABLE_FROM = frozenset({OrderStatus.PENDING, OrderStatus.UNKNOWN, OrderStatus.BROKER_UNAVAILABLE})


@dataclass
class Order:
    id: uuid.UUID
    account_id: uuid.UUID
    client_order_id: str
    symbol: str
    side: OrderSide
    qty: int
    order_type: OrderType
    time_in_force: TimeInForce
    limit_price: Decimal | None
    stop_price: Decimal | None
    correlation_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    status: OrderStatus = OrderStatus.PENDING
    filled_qty: int = 0
    filled_avg_price: Decimal | None = None
    reason: str | None = None
    broker_order_id: str | None = None
    #: events recorded by commands on this instance, to be written to the outbox with the row
    events: list[OrderEvent] = field(default_factory=list, compare=False, repr=False)

    # -- creation ---------------------------------------------------------------------------
    @classmethod
    def submit(cls, cmd: PlaceOrder, *, order_id: uuid.UUID | None = None) -> Order:
        now = utcnow()
        event = OrderSubmitted(
            correlation_id=cmd.correlation_id,
            account_id=cmd.account_id,
            order_id=order_id or uuid.uuid4(),
            symbol=cmd.symbol,
            client_order_id=cmd.client_order_id,
            side=cmd.side,
            qty=cmd.qty,
            order_type=cmd.order_type,
            time_in_force=cmd.time_in_force,
            limit_price=cmd.limit_price,
            stop_price=cmd.stop_price,
            created_at=now,
            occurred_at=now,
        )
        order = cls.from_submitted(event)
        order.events.append(event)
        return order

    @classmethod
    def from_submitted(cls, event: OrderSubmitted) -> Order:
        return cls(
            id=event.order_id,
            account_id=event.account_id,
            client_order_id=event.client_order_id,
            symbol=event.symbol,
            side=event.side,
            qty=event.qty,
            order_type=event.order_type,
            time_in_force=event.time_in_force,
            limit_price=event.limit_price,
            stop_price=event.stop_price,
            correlation_id=event.correlation_id,
            created_at=event.created_at,
            updated_at=event.occurred_at,
        )

    # -- queries ----------------------------------------------------------------------------
    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    @property
    def leaves_qty(self) -> int:
        return 0 if self.is_final else max(self.qty - self.filled_qty, 0)

    @property
    def signed_leaves(self) -> int:
        return self.leaves_qty if self.side is OrderSide.BUY else -self.leaves_qty

    # -- commands (write side) --------------------------------------------------------------
    def request_cancel(self, cmd: CancelOrder) -> OrderCancelRequested:
        if self.is_final:
            raise OrderNotCancelable(f"order {self.id} is {self.status.value} and cannot be canceled")
        if self.status is OrderStatus.PENDING_CANCEL:
            raise OrderNotCancelable(f"order {self.id} already has a cancel in flight")
        event = OrderCancelRequested(
            correlation_id=self.correlation_id,
            causation_id=cmd.correlation_id,
            account_id=self.account_id,
            order_id=self.id,
            symbol=self.symbol,
        )
        self.events.append(event)
        return event

    def request_amend(self, cmd: AmendOrder) -> OrderAmendRequested:
        if self.is_final or self.status in (OrderStatus.PENDING_CANCEL, OrderStatus.UNKNOWN):
            raise OrderNotAmendable(f"order {self.id} is {self.status.value} and cannot be amended")
        if cmd.limit_price is not None and self.order_type not in (OrderType.LIMIT, OrderType.STOP_LIMIT):
            raise OrderNotAmendable(f"a {self.order_type.value} order has no limit_price to amend", field="limit_price")
        if cmd.qty is not None and cmd.qty <= self.filled_qty:
            raise OrderNotAmendable(f"qty must stay above the {self.filled_qty} shares already filled", field="qty")
        event = OrderAmendRequested(
            correlation_id=self.correlation_id,
            causation_id=cmd.correlation_id,
            account_id=self.account_id,
            order_id=self.id,
            symbol=self.symbol,
            qty=cmd.qty,
            limit_price=cmd.limit_price,
        )
        self.events.append(event)
        return event

    # -- evolution (read side, and anyone replaying events) ---------------------------------
    def apply(self, event: OrderEvent) -> bool:
        """Move the order by one event. ``False`` means the event was stale and changed nothing."""
        if isinstance(event, OrderSubmitted):
            return False
        if isinstance(event, OrderFilled):
            return self._apply_fill(event)
        if isinstance(event, OrderAccepted) and self.status not in _ACCEPTABLE_FROM:
            return False
        if isinstance(event, OrderReplaced):
            if self.is_final:
                return False
            self.qty = event.qty
            if event.limit_price is not None:
                self.limit_price = event.limit_price
            live = OrderStatus.PARTIALLY_FILLED if self.filled_qty else OrderStatus.ACCEPTED
            if can_transition(self.status, live) and self.status is not OrderStatus.PENDING:
                self.status = live
            self._touch(event)
            return True
        trigger = type(event).status_trigger
        if trigger is OrderStatus.ACCEPTED and self.filled_qty:
            trigger = OrderStatus.PARTIALLY_FILLED  # live again (reconciled), but part of it has filled
        if trigger is None or not can_transition(self.status, trigger):
            return False
        self.status = trigger
        if isinstance(event, OrderAccepted):
            self.broker_order_id = event.broker_order_id
        reason = getattr(event, "reason", None)
        if reason:
            self.reason = str(reason)
        self._touch(event)
        return True

    def _apply_fill(self, event: OrderFilled) -> bool:
        if event.cum_qty <= self.filled_qty:
            return False  # a report we have already counted, or an older one arriving late
        self.filled_qty = event.cum_qty
        self.filled_avg_price = event.avg_price
        self.broker_order_id = event.broker_order_id
        if event.order_qty > self.qty:
            self.qty = event.order_qty
        target = event.status_after
        if can_transition(self.status, target):
            self.status = target
        elif target is OrderStatus.FILLED:
            self.status = OrderStatus.FILLED  # the broker is authoritative about a complete fill
        self._touch(event)
        return True

    def _touch(self, event: OrderEvent) -> None:
        if event.occurred_at > self.updated_at:
            self.updated_at = event.occurred_at
