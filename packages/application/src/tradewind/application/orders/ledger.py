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

``apply_batch`` does the same for one poll's reports in one transaction (issue 15).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Sequence

from tradewind.application.orders.sequencing import number_events
from tradewind.application.orders.translate import to_order_event
from tradewind.application.ports import UnitOfWork, UnitOfWorkFactory
from tradewind.domain.errors import InvalidTransition, StaleReport
from tradewind.domain.orders.events import OrderFilled
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.reports import ReportKind, VenueReport
from tradewind.domain.orders.status import OrderSide

log = logging.getLogger(__name__)
_ENDINGS = frozenset({ReportKind.CANCELED, ReportKind.REJECTED, ReportKind.EXPIRED})


class OrderLedger:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow
        self.applied = self.duplicates = self.flagged = self.ignored = 0
        self.batches = self.fallbacks = 0

    async def __call__(self, report: VenueReport) -> None:
        await self._in_one_transaction([report])

    async def apply_batch(self, reports: Sequence[VenueReport]) -> None:
        """One poll's reports in one transaction (issue 15: one commit, and each account locked
        once, instead of one of each per report), with the same outcome as applying them one by
        one in order. If anything fails, the transaction is rolled back and the reports are
        applied one at a time, each in its own transaction, so one bad report costs the others
        nothing; the first that fails again raises (the batch comes back; what committed
        meanwhile is then a duplicate in the journal)."""
        if len(reports) <= 1:
            await self._in_one_transaction(reports)
            return
        try:
            await self._in_one_transaction(reports)
            self.batches += 1
        except Exception:
            self.fallbacks += 1
            log.exception("ledger batch failed; applying its reports one by one", extra={"reports": len(reports)})
            for report in reports:
                await self._in_one_transaction([report])

    async def _in_one_transaction(self, reports: Sequence[VenueReport]) -> None:
        outcomes: Counter[str] = Counter()
        async with self._uow() as uow:
            # Every account of the batch locked first, in one order: two transactions that lock
            # several accounts (a batch, a platform halt) then wait for each other at most once.
            known = {a for a in sorted({r.account_id for r in reports}) if await uow.accounts.lock(a) is not None}
            orders: dict[uuid.UUID, Order] = {}  # as this transaction left them
            recorded: set[uuid.UUID] = set()  # journaled in this transaction (a report twice in one poll)
            for report in reports:
                if report.report_id in recorded:
                    outcomes["duplicate"] += 1
                    continue
                outcomes[await self._apply(uow, report, known, orders)] += 1
                recorded.add(report.report_id)
            await uow.commit()
        self.applied += outcomes["applied"]
        self.duplicates += outcomes["duplicate"]
        self.flagged += outcomes["flagged"]
        self.ignored += outcomes["ignored"]

    async def _apply(
        self, uow: UnitOfWork, report: VenueReport, known: set[uuid.UUID], orders: dict[uuid.UUID, Order]
    ) -> str:
        if report.account_id not in known:
            return await self._flag(uow, report, f"no account {report.account_id}")
        if await uow.reports.seen(report.report_id):
            return "duplicate"
        order = orders.get(report.order_id)
        if order is None:
            order = await uow.orders.get(report.account_id, report.order_id)
        if order is None:
            return await self._flag(uow, report, f"no order {report.order_id} in the ledger (an external order?)")
        event = to_order_event(report, order)
        try:
            order.apply(event)
        except (InvalidTransition, StaleReport) as exc:
            orders.pop(order.id, None)  # read again if needed: the ledger's row is the truth
            late_ack = report.kind is ReportKind.NEW and (order.is_final or order.broker_order_id is not None)
            same_end = order.is_final and report.kind in _ENDINGS and order.status.value == report.kind.value
            if report.reconciliation or late_ack or same_end:
                # Nothing new: reconciliation (or the venue's own late acknowledgement of an
                # order reconciliation already settled, or its own word on an ending that
                # reconciliation told first, under another id) told what the ledger has.
                await uow.reports.record(report, outcome="ignored", account_seq=None, detail=str(exc))
                return "ignored"
            return await self._flag(uow, report, str(exc))
        order.events = [event]
        await number_events(uow, order)
        if isinstance(event, OrderFilled):
            sign = 1 if event.side is OrderSide.BUY else -1
            await uow.orders.book_fill(
                order.account_id, order.symbol, sign * event.fill_qty, -sign * event.fill_qty * event.fill_price
            )
        await uow.orders.save(order)
        await uow.reports.record(report, outcome="applied", account_seq=order.events[0].account_seq, detail=None)
        orders[order.id] = order
        return "applied"

    async def _flag(self, uow: UnitOfWork, report: VenueReport, detail: str) -> str:
        log.error(
            "venue report flagged, not applied",
            extra={"report_id": str(report.report_id), "order_id": str(report.order_id), "detail": detail},
        )
        await uow.reports.record(report, outcome="flagged", account_seq=None, detail=detail)
        return "flagged"
