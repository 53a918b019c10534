"""A position in one symbol of one account, kept by average-cost accounting.

Signed quantities: long is positive, short negative. ``cost_basis`` is the signed cost of the
open quantity (a short's is negative: the proceeds it was opened for), so
``avg_entry_price = cost_basis / qty``. A fill that adds to the position adds its notional to
the cost; a fill that reduces it takes away a proportional share of the cost and realizes the
difference to the fill price; a fill larger than the position closes it and opens the rest on
the other side at the fill price (a flip).

What an accountant reconciling the books relies on, and what the tests hold us to:

* ``cash_flow`` (what the fills paid and received) always equals ``realized_pl - cost_basis``,
  to the last digit, so ``cash + market value == funding + realized + unrealized`` exactly;
* the only rounding is the cost share removed on a reduction (to ``COST_PLACES`` places), and
  it is booked on both sides of that identity, so nothing leaks;
* a flat position has a cost basis of exactly zero.

Pure: ``apply`` returns a new ``Position``; the caller stores it (once per fill: idempotency is
the store's job, keyed by the fill's ``event_id``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from tradewind.domain.orders.events import OrderFilled
from tradewind.domain.orders.status import OrderSide

COST_PLACES = Decimal("1e-10")
#: the average entry price as shown (the exact figure is ``cost_basis / qty``)
PRICE_PLACES = Decimal("1e-6")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Fill:
    """What a position needs of an execution: the order side, how many, at what price, when."""

    side: OrderSide
    qty: int
    price: Decimal
    at: datetime

    @classmethod
    def of(cls, event: OrderFilled) -> Fill:
        return cls(side=event.side, qty=event.fill_qty, price=event.fill_price, at=event.occurred_at)

    @property
    def signed_qty(self) -> int:
        return self.qty if self.side is OrderSide.BUY else -self.qty


@dataclass(frozen=True, slots=True)
class Position:
    account_id: uuid.UUID
    symbol: str
    qty: int = 0
    cost_basis: Decimal = ZERO
    realized_pl: Decimal = ZERO
    #: net cash of every fill in this symbol: sells add, buys subtract
    cash_flow: Decimal = ZERO
    bought_qty: int = 0
    sold_qty: int = 0
    fills: int = 0
    last_fill_price: Decimal | None = None
    last_fill_at: datetime | None = None
    #: optimistic-concurrency version of the stored view; 0 for a position never stored
    version: int = 0

    @property
    def avg_entry_price(self) -> Decimal | None:
        if self.qty == 0:
            return None
        return (self.cost_basis / self.qty).quantize(PRICE_PLACES, rounding=ROUND_HALF_EVEN)

    @property
    def side(self) -> str:
        return "long" if self.qty > 0 else "short" if self.qty < 0 else "flat"

    def market_value(self, mark: Decimal) -> Decimal:
        return self.qty * mark

    def unrealized_pl(self, mark: Decimal) -> Decimal:
        return self.qty * mark - self.cost_basis

    def apply(self, fill: Fill) -> Position:
        """The position after ``fill``, one version later."""
        if fill.qty <= 0:
            raise ValueError("a fill has a positive quantity")
        if not fill.price.is_finite() or fill.price <= 0:
            raise ValueError("a fill has a positive price")
        delta = fill.signed_qty
        qty, cost, realized = self.qty, self.cost_basis, self.realized_pl
        if qty == 0 or (qty > 0) == (delta > 0):
            qty, cost = qty + delta, cost + delta * fill.price  # open or add
        else:
            closing = min(abs(delta), abs(qty))
            removed = (cost * closing / abs(qty)).quantize(COST_PLACES, rounding=ROUND_HALF_EVEN)
            if closing == abs(qty):
                removed = cost  # closing everything takes the whole cost: flat means zero
            direction = 1 if qty > 0 else -1
            realized += direction * closing * fill.price - removed
            cost -= removed
            qty -= direction * closing
            opening = abs(delta) - closing
            if opening:  # the flip: the rest opens on the other side at the fill price
                qty = -direction * opening
                cost = qty * fill.price
        return replace(
            self,
            qty=qty,
            cost_basis=cost,
            realized_pl=realized,
            cash_flow=self.cash_flow - delta * fill.price,
            bought_qty=self.bought_qty + (fill.qty if delta > 0 else 0),
            sold_qty=self.sold_qty + (fill.qty if delta < 0 else 0),
            fills=self.fills + 1,
            last_fill_price=fill.price,
            last_fill_at=fill.at,
            version=self.version + 1,
        )
