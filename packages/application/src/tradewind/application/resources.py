"""The JSON shapes of DESIGN.md ("Shapes"), shared by REST responses and SSE ``data:`` lines."""

from __future__ import annotations

from datetime import datetime

from tradewind.domain.orders.events import OrderFilled
from tradewind.domain.orders.order import Order


def iso(ts: datetime) -> str:
    return ts.isoformat().replace("+00:00", "Z")


def order_resource(order: Order) -> dict[str, object]:
    return {
        "id": str(order.id),
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "qty": order.qty,
        "type": order.order_type.value,
        "time_in_force": order.time_in_force.value,
        "limit_price": None if order.limit_price is None else str(order.limit_price),
        "stop_price": None if order.stop_price is None else str(order.stop_price),
        "status": order.status.value,
        "filled_qty": order.filled_qty,
        "filled_avg_price": None if order.filled_avg_price is None else str(order.filled_avg_price),
        "created_at": iso(order.created_at),
        "updated_at": iso(order.updated_at),
        "reason": order.reason,
        "correlation_id": str(order.correlation_id),
    }


def fill_resource(event: OrderFilled) -> dict[str, object]:
    return {
        "id": event.fill_id,
        "order_id": str(event.order_id),
        "symbol": event.symbol,
        "side": event.side.value,
        "qty": event.fill_qty,
        "price": str(event.fill_price),
        "cum_qty": event.cum_qty,
        "avg_price": str(event.avg_price),
        "leaves_qty": event.leaves_qty,
        "after_cancel": event.after_cancel,
        "reconciliation": event.reconciliation,
        "ts": iso(event.occurred_at),
    }
