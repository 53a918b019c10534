"""Broker execution reports into venue reports for ``execution.reports``. Pure: the same broker
report always yields the same ``report_id``, so a report published twice (callback and
reconciliation, or a retry) is applied once by the ledger."""

from __future__ import annotations

import uuid
from typing import Any

from tradewind.application.execution.broker import BrokerOrderState, ExecType, ExecutionReport
from tradewind.domain.orders.reports import ReportKind, VenueReport, report_id_for
from tradewind.domain.orders.status import OrderSide

_KIND = {
    ExecType.NEW: ReportKind.NEW,
    ExecType.FILL: ReportKind.FILL,
    ExecType.CANCELED: ReportKind.CANCELED,
    ExecType.REPLACED: ReportKind.REPLACED,
    ExecType.REJECTED: ReportKind.REJECTED,
    ExecType.EXPIRED: ReportKind.EXPIRED,
}


def to_venue_report(report: ExecutionReport, *, reconciliation: bool = False) -> VenueReport:
    """Raises ``ValueError`` when the report names no account or no order of ours."""
    order_id = uuid.UUID(report.client_order_id)
    return VenueReport(
        report_id=report_id_for(order_id, report.exec_id),
        occurred_at=report.ts,
        account_id=uuid.UUID(report.account),
        order_id=order_id,
        kind=_KIND[report.exec_type],
        exec_id=report.exec_id,
        broker_order_id=report.broker_order_id,
        symbol=report.symbol,
        side=report.side,
        order_qty=report.order_qty,
        cum_qty=report.cum_qty,
        leaves_qty=report.leaves_qty,
        avg_price=report.avg_price,
        last_qty=report.last_qty,
        last_price=report.last_price,
        limit_price=report.limit_price,
        reason=report.reason,
        reconciliation=reconciliation,
    )


def reconciliation_reports(state: BrokerOrderState) -> list[ExecutionReport]:
    """What the venue knows of one order, as reports with deterministic exec ids: an
    acknowledgement, every fill (with the venue's own exec ids), and the final report if any."""

    def report(exec_id: str, exec_type: ExecType, **rest: Any) -> ExecutionReport:
        return ExecutionReport(
            exec_id=exec_id,
            exec_type=exec_type,
            client_order_id=state.client_order_id,
            broker_order_id=state.broker_order_id,
            symbol=state.symbol,
            side=state.side,
            order_qty=state.order_qty,
            account=state.account,
            **rest,
        )

    out = [
        report(
            f"recon-new-{state.broker_order_id}",
            ExecType.NEW,
            cum_qty=0,
            leaves_qty=state.order_qty,
            limit_price=state.limit_price,
        )
    ]
    out.extend(state.fills)
    if state.status in (ExecType.CANCELED, ExecType.REJECTED, ExecType.EXPIRED):
        out.append(
            report(
                f"recon-{state.status.value}-{state.broker_order_id}",
                state.status,
                cum_qty=state.cum_qty,
                leaves_qty=state.leaves_qty,
                avg_price=state.avg_price,
                reason="reconciled",
            )
        )
    return out


#: the exec id of the rejection of an order the venue does not know (one per order: applied once,
#: whichever reconciliation finds it, the engine's after a timeout or the periodic pass)
NOT_AT_VENUE = "recon-not-at-venue"


def not_at_venue(
    order_id: uuid.UUID,
    account_id: uuid.UUID,
    symbol: str,
    *,
    was: str,
    side: OrderSide | None = None,
    order_qty: int = 0,
    cum_qty: int = 0,
) -> VenueReport:
    """The venue has no record of an order the ledger holds open: it ends ``rejected``, saying so."""
    return VenueReport(
        report_id=report_id_for(order_id, NOT_AT_VENUE),
        account_id=account_id,
        order_id=order_id,
        kind=ReportKind.REJECTED,
        exec_id=NOT_AT_VENUE,
        symbol=symbol,
        side=side,
        order_qty=order_qty,
        cum_qty=cum_qty,
        reason=f"the venue has no record of the order (it was {was}); found by reconciliation",
        reconciliation=True,
    )
