"""A venue report into the order event it means, for the order as the ledger has it. Pure. The
event id is the report id, so an event and its cause can be matched forever."""

from __future__ import annotations

from decimal import Decimal

from tradewind.domain.orders.events import (
    OrderAccepted,
    OrderBrokerUnavailable,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderReplaceRejected,
    OrderUnknown,
)
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.reports import ReportKind, VenueReport
from tradewind.domain.orders.status import OrderStatus

_PRICE = Decimal("1e-8")


def to_order_event(report: VenueReport, order: Order) -> OrderEvent:
    common = {
        "event_id": report.report_id,
        "occurred_at": report.occurred_at,
        "correlation_id": order.correlation_id,
        "causation_id": report.causation_id,
        "account_id": order.account_id,
        "order_id": order.id,
        "symbol": order.symbol,
    }
    reason = report.reason
    match report.kind:
        case ReportKind.NEW:
            return OrderAccepted(
                **common, broker_order_id=report.broker_order_id or "", reconciliation=report.reconciliation
            )
        case ReportKind.FILL:
            if report.last_price is None or report.avg_price is None:
                raise ValueError(f"fill report {report.exec_id} has no price")
            fill_qty, fill_price = report.last_qty, report.last_price
            gap = report.cum_qty - order.filled_qty != report.last_qty
            if gap and report.cum_qty > order.filled_qty:
                # A report went missing: book what the venue's running totals say was filled
                # since the last fill we have, so positions and cash follow the venue.
                fill_qty = report.cum_qty - order.filled_qty
                before = order.filled_qty * (order.filled_avg_price or Decimal(0))
                fill_price = ((report.cum_qty * report.avg_price - before) / fill_qty).quantize(_PRICE)
            return OrderFilled(
                **common,
                fill_id=report.exec_id,
                side=order.side,
                fill_qty=fill_qty,
                fill_price=fill_price,
                cum_qty=report.cum_qty,
                avg_price=report.avg_price,
                leaves_qty=report.leaves_qty,
                order_qty=report.order_qty,
                broker_order_id=report.broker_order_id or "",
                reconciliation=report.reconciliation,
                after_cancel=order.status is OrderStatus.CANCELED,
                gap=gap,
            )
        case ReportKind.CANCELED:
            return OrderCanceled(**common, reason=reason, reconciliation=report.reconciliation)
        case ReportKind.REPLACED:
            return OrderReplaced(**common, qty=report.order_qty, limit_price=report.limit_price)
        case ReportKind.REJECTED:
            return OrderRejected(**common, reason=reason or "rejected by the broker")
        case ReportKind.EXPIRED:
            return OrderExpired(**common, reason=reason)
        case ReportKind.CANCEL_REJECTED:
            return OrderCancelRejected(**common, reason=reason)
        case ReportKind.REPLACE_REJECTED:
            return OrderReplaceRejected(**common, reason=reason)
        case ReportKind.UNKNOWN:
            return OrderUnknown(**common, reason=reason or "no answer from the broker")
        case ReportKind.BROKER_UNAVAILABLE:
            return OrderBrokerUnavailable(**common, reason=reason or "broker unavailable")
    raise ValueError(f"unhandled report kind {report.kind}")
