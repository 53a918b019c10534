"""The OMS ledger's batches (issue 15): one poll's reports in one transaction give exactly what
applying them one by one gives (orders, journal, numbered events, positions and cash), a report
twice in one poll is applied once, and a report that fails inside a batch costs the others
nothing (the batch falls back to one transaction per report); one that keeps failing raises,
leaving what came before it applied and what came after it for the redelivery."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from tradewind.adapters.aws.memory.orders import MemoryUnitOfWork
from tradewind.application.orders.ledger import OrderLedger
from tradewind.domain.orders.reports import ReportKind, VenueReport
from tradewind.domain.orders.status import OrderStatus

from .test_order_ledger import Oms

K = ReportKind
S = OrderStatus


class StorageFailed(Exception):
    pass


class FailingJournalUow(MemoryUnitOfWork):
    """The memory unit of work whose journal write fails for one report, ``times`` times (a
    database error in the middle of a batch)."""

    def __init__(self, store: Any, poison: uuid.UUID, failures: list[int]) -> None:
        super().__init__(store)
        record = self.reports.record

        async def failing(report: VenueReport, **kw: Any) -> None:
            if report.report_id == poison and failures[0] > 0:
                failures[0] -= 1
                raise StorageFailed(str(report.report_id))
            await record(report, **kw)

        self.reports.record = failing  # type: ignore[method-assign]


def snapshot(oms: Oms) -> dict[str, Any]:
    store = oms.store
    return {
        "orders": {i: (o.status, o.filled_qty, o.filled_avg_price, o.order_seq) for i, o in store.orders.items()},
        "outcomes": {i: r["outcome"] for i, r in store.reports.items()},
        "events": [(type(e).__name__, e.order_id, e.order_seq, e.account_seq) for e in oms.events()],
        "positions": dict(store.positions),
        "seqs": dict(store.account_seqs),
    }


async def a_poll(oms: Oms) -> list[VenueReport]:
    """Acks, partial and full fills of two orders interleaved, a redelivered ack, an impossible
    report (a fill beyond the order) and a report for an order the ledger does not have."""
    first, second = await oms.place(qty=10), await oms.place(qty=5)
    ack1, ack2 = oms.venue(first, K.NEW, leaves_qty=10), oms.venue(second, K.NEW, leaves_qty=5)
    stranger = copy.copy(await oms.place(qty=1))
    stranger.id = uuid.uuid4()
    return [
        ack1,
        ack2,
        oms.fill_report(first, 4, 4, "100"),
        ack1,
        oms.fill_report(second, 5, 5, "101"),
        oms.fill_report(first, 10, 6, "100.5"),
        oms.fill_report(second, 9, 4, "101"),  # beyond the order: flagged
        oms.venue(stranger, K.NEW, leaves_qty=1),
    ]


async def test_a_batch_equals_its_reports_one_by_one() -> None:
    batched = await Oms().open_account()
    reports = await a_poll(batched)
    one_by_one = copy.deepcopy(batched)
    one_by_one.ledger = OrderLedger(one_by_one.uow)

    await batched.ledger.apply_batch(reports)
    for report in reports:
        await one_by_one.ledger(report)

    assert snapshot(batched) == snapshot(one_by_one)
    assert [batched.store.orders[r.order_id].status for r in reports[:2]] == [S.FILLED, S.FILLED]
    ledger = batched.ledger
    assert (ledger.applied, ledger.duplicates, ledger.flagged, ledger.batches) == (5, 1, 2, 1)
    assert [e.account_seq for e in batched.events()] == list(range(1, len(batched.events()) + 1))


async def test_a_report_failing_once_inside_a_batch_costs_the_others_nothing() -> None:
    oms = await Oms().open_account()
    reports = await a_poll(oms)
    expected = copy.deepcopy(oms)
    expected.ledger = OrderLedger(expected.uow)
    for report in reports:
        await expected.ledger(report)

    failures = [1]
    oms.ledger = OrderLedger(lambda: FailingJournalUow(oms.store, reports[2].report_id, failures))
    await oms.ledger.apply_batch(reports)  # the batch fails, then each report in its own transaction

    assert oms.ledger.fallbacks == 1 and failures == [0]
    assert snapshot(oms) == snapshot(expected)


async def test_a_report_that_keeps_failing_raises_and_the_redelivery_completes_the_batch() -> None:
    oms = await Oms().open_account()
    reports = await a_poll(oms)
    expected = copy.deepcopy(oms)
    expected.ledger = OrderLedger(expected.uow)
    for report in reports:
        await expected.ledger(report)

    poison = reports[2].report_id
    failures = [2]  # the batch, then its one-by-one attempt
    oms.ledger = OrderLedger(lambda: FailingJournalUow(oms.store, poison, failures))
    raised = None
    try:
        await oms.ledger.apply_batch(reports)
    except StorageFailed as exc:
        raised = exc
    assert raised is not None  # the batch is not acknowledged: it comes again
    assert set(oms.store.reports) == {reports[0].report_id, reports[1].report_id}  # before it, committed

    await oms.ledger.apply_batch(reports)  # the redelivery: the first two are duplicates now
    assert snapshot(oms) == snapshot(expected)
