"""Row <-> Order mapping shared by the ledger (``orders``) and the read model (``order_views``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderStatus, OrderType, TimeInForce

ORDER_COLUMNS = (
    "id, account_id, client_order_id, symbol, side, qty, order_type, time_in_force, limit_price, "
    "stop_price, correlation_id, created_at"
)
VIEW_COLUMNS = ORDER_COLUMNS + ", status, filled_qty, filled_avg_price, reason, broker_order_id, updated_at, order_seq"
LEDGER_COLUMNS = VIEW_COLUMNS + ", pending_qty, pending_limit_price, placed_qty"
STATE_COLUMNS = (
    "qty",
    "limit_price",
    "status",
    "filled_qty",
    "filled_avg_price",
    "reason",
    "broker_order_id",
    "updated_at",
    "order_seq",
    "pending_qty",
    "pending_limit_price",
)
"""What saving an order writes over its ledger row; ``state_values`` gives an order's values."""


def order_from_row(row: Mapping[str, Any]) -> Order:
    order = Order(
        id=row["id"],
        account_id=row["account_id"],
        client_order_id=row["client_order_id"],
        symbol=row["symbol"],
        side=OrderSide(row["side"]),
        qty=row["qty"],
        order_type=OrderType(row["order_type"]),
        time_in_force=TimeInForce(row["time_in_force"]),
        limit_price=row["limit_price"],
        stop_price=row["stop_price"],
        correlation_id=row["correlation_id"],
        created_at=row["created_at"],
        updated_at=row.get("updated_at") or row["created_at"],
        placed_qty=row.get("placed_qty") or row["qty"],
    )
    if row.get("status") is not None:
        order.status = OrderStatus(row["status"])
        order.filled_qty = row["filled_qty"]
        order.filled_avg_price = row["filled_avg_price"]
        order.reason = row["reason"]
        order.broker_order_id = row["broker_order_id"]
        order.order_seq = row.get("order_seq") or 0
    order.pending_qty = row.get("pending_qty")
    order.pending_limit_price = row.get("pending_limit_price")
    return order


def view_values(o: Order) -> tuple[Any, ...]:
    return (
        o.id,
        o.account_id,
        o.client_order_id,
        o.symbol,
        o.side.value,
        o.qty,
        o.order_type.value,
        o.time_in_force.value,
        o.limit_price,
        o.stop_price,
        o.correlation_id,
        o.created_at,
        o.status.value,
        o.filled_qty,
        o.filled_avg_price,
        o.reason,
        o.broker_order_id,
        o.updated_at,
        o.order_seq,
    )


def ledger_values(o: Order) -> tuple[Any, ...]:
    return (*view_values(o), o.pending_qty, o.pending_limit_price, o.placed_qty)


def state_values(o: Order) -> tuple[Any, ...]:
    """``o``'s values for ``STATE_COLUMNS``, in that order."""
    return (
        o.qty,
        o.limit_price,
        o.status.value,
        o.filled_qty,
        o.filled_avg_price,
        o.reason,
        o.broker_order_id,
        o.updated_at,
        o.order_seq,
        o.pending_qty,
        o.pending_limit_price,
    )
