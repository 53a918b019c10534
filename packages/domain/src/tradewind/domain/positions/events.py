"""``position.updated``: a position after one fill, in the envelope of DESIGN.md.

The event id is derived from the fill's, so a fill redelivered (and re-announced) yields the
same event and every consumer dedupes it; ``causation_id`` is that fill, ``correlation_id`` the
order's thread.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from tradewind.domain.orders.events import Event, OrderFilled
from tradewind.domain.positions.position import Position

_NS = uuid.UUID("0c5f7a51-3c55-4d5e-9a7e-6d1c2f0b8e42")


class PositionUpdated(Event):
    type: Literal["position.updated"] = "position.updated"
    symbol: str
    qty: int
    avg_entry_price: Decimal | None
    cost_basis: Decimal
    realized_pl: Decimal
    cash_flow: Decimal
    bought_qty: int
    sold_qty: int
    fills: int
    version: int
    fill_id: str
    order_id: uuid.UUID
    last_fill_price: Decimal | None
    last_fill_at: datetime | None

    @classmethod
    def after(cls, fill: OrderFilled, position: Position, *, at: datetime) -> PositionUpdated:
        return cls(
            event_id=uuid.uuid5(_NS, str(fill.event_id)),
            occurred_at=at,
            correlation_id=fill.correlation_id,
            causation_id=fill.event_id,
            account_id=fill.account_id,
            symbol=position.symbol,
            qty=position.qty,
            avg_entry_price=position.avg_entry_price,
            cost_basis=position.cost_basis,
            realized_pl=position.realized_pl,
            cash_flow=position.cash_flow,
            bought_qty=position.bought_qty,
            sold_qty=position.sold_qty,
            fills=position.fills,
            version=position.version,
            fill_id=fill.fill_id,
            order_id=fill.order_id,
            last_fill_price=position.last_fill_price,
            last_fill_at=position.last_fill_at,
        )
