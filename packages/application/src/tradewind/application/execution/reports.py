"""Execution reports into order events. Pure: the same report always yields the same event id,
so a report published twice (callback and reconciliation, or a retry) is deduped downstream."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tradewind.application.execution.broker import ExecType, ExecutionReport
from tradewind.domain.orders.events import (
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
)
from tradewind.domain.orders.status import OrderSide

_NS = uuid.UUID("6f1c1f0e-5a8e-4c39-9a55-2b8a3e7d0c11")


@dataclass(frozen=True, slots=True)
class OrderContext:
    """What the engine must know of an order to speak about it: whose it is and its thread."""

    order_id: uuid.UUID
    account_id: uuid.UUID
    correlation_id: uuid.UUID
    symbol: str
    side: OrderSide


def event_id_for(report: ExecutionReport) -> uuid.UUID:
    return uuid.uuid5(_NS, f"{report.broker_order_id}/{report.exec_id}")


def to_event(
    report: ExecutionReport, ctx: OrderContext, *, reconciliation: bool = False, after_cancel: bool = False
) -> OrderEvent:
    common = {
        "event_id": event_id_for(report),
        "occurred_at": report.ts,
        "correlation_id": ctx.correlation_id,
        "account_id": ctx.account_id,
        "order_id": ctx.order_id,
        "symbol": ctx.symbol,
    }
    match report.exec_type:
        case ExecType.NEW:
            return OrderAccepted(**common, broker_order_id=report.broker_order_id, reconciliation=reconciliation)
        case ExecType.FILL:
            assert report.last_price is not None and report.avg_price is not None
            return OrderFilled(
                **common,
                fill_id=report.exec_id,
                side=ctx.side,
                fill_qty=report.last_qty,
                fill_price=report.last_price,
                cum_qty=report.cum_qty,
                avg_price=report.avg_price,
                leaves_qty=report.leaves_qty,
                order_qty=report.order_qty,
                broker_order_id=report.broker_order_id,
                reconciliation=reconciliation,
                after_cancel=after_cancel,
            )
        case ExecType.CANCELED:
            return OrderCanceled(**common, reason=report.reason, reconciliation=reconciliation)
        case ExecType.REPLACED:
            return OrderReplaced(**common, qty=report.order_qty, limit_price=report.limit_price)
        case ExecType.REJECTED:
            return OrderRejected(**common, reason=report.reason or "rejected by the broker")
        case ExecType.EXPIRED:
            return OrderExpired(**common, reason=report.reason)
    raise ValueError(f"unhandled exec type {report.exec_type}")
