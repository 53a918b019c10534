"""The Order aggregate, as the OMS ledger holds it.

An order is born from ``OrderSubmitted`` and changes only by ``apply(event)``, which looks the
move up in ``status.TRANSITIONS`` and raises ``InvalidTransition`` when it is not there: the
table is the single truth. The ledger applies each event exactly once and in order (it numbers
them), and every projection applies the same numbered events in the same order, so each of them
arrives at the same order. Nothing here guesses about stale or reordered events any more.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from tradewind.domain.clock import utcnow
from tradewind.domain.errors import InvalidTransition, OrderNotAmendable, OrderNotCancelable, StaleReport
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
    LIVE,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    Trigger,
    can_transition,
    transition,
)


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
    #: the last ``order_seq`` the ledger gave one of this order's events
    order_seq: int = 0
    #: an amend in flight: the size and limit asked for, until the venue answers
    pending_qty: int | None = None
    pending_limit_price: Decimal | None = None
    #: the quantity the order was placed with (an amend changes ``qty``, not this)
    placed_qty: int = 0
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
            order_seq=event.order_seq or 0,
            placed_qty=event.qty,
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

    def same_request(self, cmd: PlaceOrder) -> bool:
        """Whether ``cmd`` asks for this very order (a retry), judged on what it was placed as."""
        return (
            self.symbol == cmd.symbol
            and self.side is cmd.side
            and self.order_type is cmd.order_type
            and self.time_in_force is cmd.time_in_force
            and self.limit_price == cmd.limit_price
            and self.stop_price == cmd.stop_price
            and self.placed_qty == cmd.qty
        )

    # -- commands (write side) --------------------------------------------------------------
    def request_cancel(self, cmd: CancelOrder) -> OrderCancelRequested:
        if not can_transition(self.status, Trigger.CANCEL_REQUESTED):
            if self.status is OrderStatus.PENDING_CANCEL:
                raise OrderNotCancelable(f"order {self.id} already has a cancel in flight")
            raise OrderNotCancelable(f"order {self.id} is {self.status.value} and cannot be canceled")
        event = OrderCancelRequested(
            correlation_id=self.correlation_id,
            causation_id=cmd.correlation_id,
            account_id=self.account_id,
            order_id=self.id,
            symbol=self.symbol,
        )
        self.apply(event)
        self.events.append(event)
        return event

    def request_amend(self, cmd: AmendOrder) -> OrderAmendRequested:
        if not can_transition(self.status, Trigger.AMEND_REQUESTED):
            why = {
                OrderStatus.PENDING: "is not yet acknowledged by the venue; amend it once it is accepted",
                OrderStatus.PENDING_REPLACE: "already has an amend in flight",
                OrderStatus.PENDING_CANCEL: "has a cancel in flight",
            }.get(self.status, f"is {self.status.value} and cannot be amended")
            raise OrderNotAmendable(f"order {self.id} {why}")
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
        self.apply(event)
        self.events.append(event)
        return event

    # -- evolution: the one way an order changes ---------------------------------------------
    def trigger_of(self, event: OrderEvent) -> Trigger:
        if isinstance(event, OrderFilled):
            return Trigger.FILL_COMPLETE if event.cum_qty >= self.qty else Trigger.FILL_PARTIAL
        if isinstance(event, OrderReplaced) and event.qty <= self.filled_qty:
            # Amended down to what had filled meanwhile (the amend was accepted before the fill):
            # nothing is left to work, so the replace completes the order (FIX: OrdStatus=Filled).
            return Trigger.FILL_COMPLETE
        if event.trigger is None:
            raise InvalidTransition(self.status, event.type)
        return event.trigger

    def apply(self, event: OrderEvent) -> None:
        """Move the order by one event, or raise ``InvalidTransition`` (the move is not in the
        table) or ``StaleReport`` (a fill that adds nothing to what is already filled)."""
        if isinstance(event, OrderSubmitted):
            raise InvalidTransition(self.status, "submitted again")
        trigger = self.trigger_of(event)
        nxt = transition(self.status, trigger)
        if isinstance(event, OrderFilled):
            if event.cum_qty <= self.filled_qty:
                raise StaleReport(
                    f"fill {event.fill_id} brings the filled quantity to {event.cum_qty}, "
                    f"but {self.filled_qty} are filled already"
                )
            self.filled_qty = event.cum_qty
            self.filled_avg_price = event.avg_price
            self.broker_order_id = event.broker_order_id
        elif isinstance(event, OrderAccepted):
            self.broker_order_id = event.broker_order_id
        elif isinstance(event, OrderAmendRequested):
            self.pending_qty = event.qty
            self.pending_limit_price = event.limit_price
        elif isinstance(event, OrderReplaced):
            self.qty = event.qty
            if event.limit_price is not None:
                self.limit_price = event.limit_price
        if trigger in (Trigger.REPLACED, Trigger.REPLACE_REJECTED) or nxt in FINAL:
            self.pending_qty = self.pending_limit_price = None
        if nxt is LIVE and self.filled_qty:
            nxt = OrderStatus.PARTIALLY_FILLED
        self.status = nxt
        reason = getattr(event, "reason", None)
        if reason and trigger not in (Trigger.CANCEL_REJECTED, Trigger.REPLACE_REJECTED):
            self.reason = str(reason)
        if event.order_seq is not None:
            self.order_seq = event.order_seq
        if event.occurred_at > self.updated_at:
            self.updated_at = event.occurred_at

    # -- what risk counts ---------------------------------------------------------------------
    def at_largest(self) -> Order:
        """This order at the larger of its size and a pending amend's, and the higher of the two
        limits: what it could still become until the venue answers the amend."""
        if self.pending_qty is None and self.pending_limit_price is None:
            return self
        limit = self.limit_price
        if self.pending_limit_price is not None and limit is not None:
            limit = max(limit, self.pending_limit_price)
        return replace(self, qty=max(self.qty, self.pending_qty or 0), limit_price=limit, events=[])
