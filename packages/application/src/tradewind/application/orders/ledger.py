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

``apply_batch`` does the same for one poll's reports in one transaction, in a fixed number of
statements whatever the poll's size (issue 15).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from tradewind.application.orders.translate import to_order_event
from tradewind.application.ports import JournalEntry, UnitOfWork, UnitOfWorkFactory
from tradewind.domain.errors import InvalidTransition, StaleReport
from tradewind.domain.orders.events import OrderEvent, OrderFilled
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
        """Read everything the reports need in three statements (the accounts locked, in id
        order: two transactions that lock several accounts wait for each other at most once;
        the journal; the orders), move the orders in memory report by report, then number the
        events per account and write orders, positions, outbox and journal in a fixed number
        of statements (issue 15: it was five or six round trips per report under the locks)."""
        outcomes: Counter[str] = Counter()
        async with self._uow() as uow:
            known = set(await uow.accounts.lock_many([r.account_id for r in reports]))
            seen = await uow.reports.seen_many([r.report_id for r in reports])
            wanted = list(dict.fromkeys((r.account_id, r.order_id) for r in reports if r.account_id in known))
            batch = _Batch(await uow.orders.get_many(wanted))
            for report in reports:
                if report.report_id in batch.recorded:  # twice in one poll
                    outcomes["duplicate"] += 1
                    continue
                outcomes[self._apply(report, known, seen, batch)] += 1
                batch.recorded.add(report.report_id)
            await batch.write(uow)
            await uow.commit()
        self.applied += outcomes["applied"]
        self.duplicates += outcomes["duplicate"]
        self.flagged += outcomes["flagged"]
        self.ignored += outcomes["ignored"]

    def _apply(self, report: VenueReport, known: set[uuid.UUID], seen: set[uuid.UUID], batch: _Batch) -> str:
        if report.account_id not in known:
            return batch.flag(report, f"no account {report.account_id}")
        if report.report_id in seen:
            return "duplicate"
        order = batch.orders.get(report.order_id)
        if order is None:
            return batch.flag(report, f"no order {report.order_id} in the ledger (an external order?)")
        event = to_order_event(report, order)
        try:
            order.apply(event)  # refuses before it changes anything: the order stays as it was
        except (InvalidTransition, StaleReport) as exc:
            late_ack = report.kind is ReportKind.NEW and (order.is_final or order.broker_order_id is not None)
            same_end = order.is_final and report.kind in _ENDINGS and order.status.value == report.kind.value
            if report.reconciliation or late_ack or same_end:
                # Nothing new: reconciliation (or the venue's own late acknowledgement of an
                # order reconciliation already settled, or its own word on an ending that
                # reconciliation told first, under another id) told what the ledger has.
                batch.entries.append(JournalEntry(report, "ignored", None, str(exc)))
                return "ignored"
            return batch.flag(report, str(exc))
        batch.applied.append((report, order, event))
        if isinstance(event, OrderFilled):
            sign = 1 if event.side is OrderSide.BUY else -1
            batch.moves.append(
                (order.account_id, order.symbol, sign * event.fill_qty, -sign * event.fill_qty * event.fill_price)
            )
        return "applied"


class _Batch:
    """What one transaction of the ledger read and will write."""

    def __init__(self, orders: dict[uuid.UUID, Order]) -> None:
        self.orders = orders  # as this transaction leaves them
        self.recorded: set[uuid.UUID] = set()  # journaled in this transaction
        self.applied: list[tuple[VenueReport, Order, OrderEvent]] = []  # in report order
        self.moves: list[tuple[uuid.UUID, str, int, Decimal]] = []
        self.entries: list[JournalEntry] = []  # ignored and flagged reports

    def flag(self, report: VenueReport, detail: str) -> str:
        log.error(
            "venue report flagged, not applied",
            extra={"report_id": str(report.report_id), "order_id": str(report.order_id), "detail": detail},
        )
        self.entries.append(JournalEntry(report, "flagged", None, detail))
        return "flagged"

    async def write(self, uow: UnitOfWork) -> None:
        """Number the applied events (``order_seq`` per order, ``account_seq`` per account, in
        report order: the numbers are reserved under the locks, so gap-free in commit order)
        and write everything."""
        counts = Counter(order.account_id for _, order, _ in self.applied)
        following = await uow.accounts.next_seqs(dict(counts))
        numbered: list[OrderEvent] = []
        touched: dict[uuid.UUID, Order] = {}
        for report, order, event in self.applied:
            order.order_seq += 1
            account_seq = following[order.account_id]
            following[order.account_id] += 1
            numbered.append(event.numbered(order.order_seq, account_seq))
            touched[order.id] = order
            self.entries.append(JournalEntry(report, "applied", account_seq, None))
        for order in touched.values():
            order.events = []  # written below, with every other order's, in account_seq order
        await uow.orders.book_fills(self.moves)
        await uow.orders.save_many(list(touched.values()), numbered)
        await uow.reports.record_many(self.entries)
