"""The OMS ledger's consumer of ``execution.reports``: the venue's facts into the ledger.

For each report, under the account lock, in one transaction:

1. a report already in the journal (same ``report_id``) is a redelivery: nothing happens;
2. the report becomes an order event (``translate``) and moves the order through the domain's
   transition table (``Order.apply``). A move that is not in the table, a fill that adds nothing
   and a report for an order the ledger does not have are **kept and flagged** in the journal
   (for operators), never applied silently and never dropped. A reconciliation report that tells
   nothing new is recorded as ignored;
3. the event is numbered (``order_seq``, ``account_seq``), a fill moves the ledger's position
   and cash, and the event goes to the outbox for ``order.events``.

So the ledger is the one writer of an order's state after the command side (invariant 10), and
risk reads positions and cash that are exactly the fills applied here.
"""

from __future__ import annotations

import logging

from tradewind.application.orders.sequencing import number_events
from tradewind.application.orders.translate import to_order_event
from tradewind.application.ports import UnitOfWork, UnitOfWorkFactory
from tradewind.domain.errors import InvalidTransition, StaleReport
from tradewind.domain.orders.events import OrderFilled
from tradewind.domain.orders.reports import ReportKind, VenueReport
from tradewind.domain.orders.status import OrderSide

log = logging.getLogger(__name__)
_ENDINGS = frozenset({ReportKind.CANCELED, ReportKind.REJECTED, ReportKind.EXPIRED})


class OrderLedger:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow
        self.applied = self.duplicates = self.flagged = self.ignored = 0

    async def __call__(self, report: VenueReport) -> None:
        async with self._uow() as uow:
            if await uow.accounts.lock(report.account_id) is None:
                await self._flag(uow, report, f"no account {report.account_id}")
                await uow.commit()
                return
            if await uow.reports.seen(report.report_id):
                self.duplicates += 1
                return
            order = await uow.orders.get(report.account_id, report.order_id)
            if order is None:
                await self._flag(uow, report, f"no order {report.order_id} in the ledger (an external order?)")
                await uow.commit()
                return
            event = to_order_event(report, order)
            try:
                order.apply(event)
            except (InvalidTransition, StaleReport) as exc:
                late_ack = report.kind is ReportKind.NEW and (order.is_final or order.broker_order_id is not None)
                same_end = order.is_final and report.kind in _ENDINGS and order.status.value == report.kind.value
                if report.reconciliation or late_ack or same_end:
                    # Nothing new: reconciliation (or the venue's own late acknowledgement of an
                    # order reconciliation already settled, or its own word on an ending that
                    # reconciliation told first, under another id) told what the ledger has.
                    self.ignored += 1
                    await uow.reports.record(report, outcome="ignored", account_seq=None, detail=str(exc))
                else:
                    await self._flag(uow, report, str(exc))
                await uow.commit()
                return
            order.events = [event]
            await number_events(uow, order)
            if isinstance(event, OrderFilled):
                sign = 1 if event.side is OrderSide.BUY else -1
                await uow.orders.book_fill(
                    order.account_id, order.symbol, sign * event.fill_qty, -sign * event.fill_qty * event.fill_price
                )
            await uow.orders.save(order)
            await uow.reports.record(report, outcome="applied", account_seq=order.events[0].account_seq, detail=None)
            await uow.commit()
            self.applied += 1

    async def _flag(self, uow: UnitOfWork, report: VenueReport, detail: str) -> None:
        self.flagged += 1
        log.error(
            "venue report flagged, not applied",
            extra={"report_id": str(report.report_id), "order_id": str(report.order_id), "detail": detail},
        )
        await uow.reports.record(report, outcome="flagged", account_seq=None, detail=detail)
