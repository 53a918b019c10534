"""The OMS ledger's batch (``OrderLedger.apply_batch``: one transaction, a fixed number of
statements per poll) equals the same reports applied one at a time, on both twins of the unit of
work (PostgreSQL and memory): the orders' states, the positions and cash booked, the events in
the outbox (types, ``order_seq``, ``account_seq``, in that order) and the journal's outcomes.

The poll holds what a venue and reconciliation send: acknowledgements, partial and last fills
of two orders of two accounts interleaved, a report twice in the poll, a stale fill (flagged), a
cancel then reconciliation's word on the same ending (ignored), a late reconciliation fill
(ignored), a report for an order the ledger does not have (flagged), one for an account it does
not have (flagged). Delivered again, the whole poll is a duplicate."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from order_twins import TWINS, OrderTwins, memory_twins, open_account, place, postgres_twins, submitted

from tradewind.application.orders.ledger import OrderLedger
from tradewind.application.topics import ORDER_EVENTS
from tradewind.domain.orders.events import parse_order_event
from tradewind.domain.orders.reports import ReportKind, VenueReport, report_id_for
from tradewind.domain.orders.status import OrderSide

D = Decimal


@pytest.fixture(params=TWINS)
def twins(request: pytest.FixtureRequest) -> OrderTwins:
    if request.param == "memory":
        return memory_twins()
    return postgres_twins(request.getfixturevalue("pg_pool"))


def venue(account_id: uuid.UUID, order_id: uuid.UUID, side: OrderSide, qty: int):  # type: ignore[no-untyped-def]
    def report(kind: ReportKind, exec_id: str, *, cum: int = 0, last: int = 0, price: str | None = None, **kw: Any):
        return VenueReport(
            report_id=report_id_for(order_id, exec_id),
            account_id=account_id,
            order_id=order_id,
            kind=kind,
            exec_id=exec_id,
            broker_order_id=f"B-{order_id.hex[:6]}",
            symbol="AAPL",
            side=side,
            order_qty=qty,
            cum_qty=cum,
            leaves_qty=max(qty - cum, 0) if kind in (ReportKind.NEW, ReportKind.FILL) else 0,
            last_qty=last,
            last_price=None if price is None else D(price),
            avg_price=None if price is None else D(price),
            **kw,
        )

    return report


async def a_poll(twins: OrderTwins) -> tuple[uuid.UUID, list[uuid.UUID], list[VenueReport]]:
    account = await open_account(twins)
    other = await open_account(twins)
    orders = [
        await place(twins, submitted(account.id, qty=10, limit_price=None)),
        await place(twins, submitted(account.id, side=OrderSide.SELL, qty=4, limit_price=None)),
        await place(twins, submitted(account.id, qty=5, limit_price="99")),
        await place(twins, submitted(other.id, qty=3, limit_price=None)),
    ]
    one, two, three, theirs = (venue(o.account_id, o.id, o.side, o.qty) for o in orders)
    ack = one(ReportKind.NEW, "n1")
    unknown_order = venue(account.id, uuid.uuid4(), OrderSide.BUY, 1)(ReportKind.NEW, "x")
    unknown_account = venue(uuid.uuid4(), orders[0].id, OrderSide.BUY, 10)(ReportKind.NEW, "y")
    poll = [
        ack,
        two(ReportKind.NEW, "n2"),
        theirs(ReportKind.NEW, "n4"),
        one(ReportKind.FILL, "f1", cum=4, last=4, price="100"),
        ack,  # twice in one poll
        theirs(ReportKind.FILL, "f4", cum=3, last=3, price="50.5"),
        one(ReportKind.FILL, "f2", cum=10, last=6, price="101"),
        two(ReportKind.FILL, "f3", cum=4, last=4, price="99"),
        one(ReportKind.FILL, "f-stale", cum=10, last=6, price="101"),  # adds nothing: flagged
        three(ReportKind.NEW, "n3"),
        three(ReportKind.CANCELED, "c3"),
        three(ReportKind.CANCELED, "c3-rec", reconciliation=True),  # the same ending again: ignored
        one(ReportKind.FILL, "f2-rec", cum=10, last=6, price="101", reconciliation=True),  # ignored
        unknown_order,
        unknown_account,
    ]
    return account.id, [o.id for o in orders], poll


async def outcome(twins: OrderTwins, accounts: list[uuid.UUID], order_ids: list[uuid.UUID]) -> dict[str, Any]:
    async with twins.uow() as uow:
        states = []
        for order_id in order_ids:
            orders = await uow.orders.get_many([(a, order_id) for a in accounts])
            o = orders[order_id]
            states.append((o.status, o.qty, o.filled_qty, o.filled_avg_price, o.order_seq, o.is_final))
        exposures = [await uow.orders.exposure(a) for a in accounts]
    events = [
        parse_order_event(r.payload)
        for r in await twins.outbox.unsent(100_000)
        if r.topic == ORDER_EVENTS and r.key in {str(a) for a in accounts}
    ]
    index = {order_id: i for i, order_id in enumerate(order_ids)}
    return {
        "orders": states,
        "positions": [(e.positions, e.cash) for e in exposures],
        "events": [(index[e.order_id], e.type, e.order_seq, e.account_seq) for e in events],
    }


async def test_a_poll_applied_at_once_equals_its_reports_one_by_one(twins: OrderTwins) -> None:
    batch_account, batch_orders, poll = await a_poll(twins)
    single_account, single_orders, singles = await a_poll(twins)
    batched, one_by_one = OrderLedger(twins.uow), OrderLedger(twins.uow)

    await batched.apply_batch(poll)
    for report in singles:
        await one_by_one(report)

    counts = [(x.applied, x.duplicates, x.flagged, x.ignored) for x in (batched, one_by_one)]
    assert counts[0] == counts[1] == (9, 1, 3, 2)
    assert batched.batches == 1 and batched.fallbacks == 0  # it really was one transaction
    other = [poll[2].account_id]  # the second account of each poll
    mine = await outcome(twins, [batch_account, *other], batch_orders)
    theirs = await outcome(twins, [single_account, singles[2].account_id], single_orders)
    assert mine == theirs
    assert mine["positions"][0][0] == {"AAPL": 10 - 4}
    numbers = [account_seq for order, _, _, account_seq in mine["events"] if order != 3]  # the first account's
    assert numbers == list(range(1, 1 + 3 + 7))  # three submissions, seven reports applied: gap-free, in order
    async with twins.uow() as uow:
        flagged = {row["report_id"] for row in await uow.reports.flagged(limit=100_000)}
        assert {poll[8].report_id, poll[13].report_id, poll[14].report_id} <= flagged
        assert await uow.reports.seen_many([r.report_id for r in poll]) == {r.report_id for r in poll}

    await batched.apply_batch(poll)  # the poll delivered again
    # every report a duplicate, but the one of an account the ledger does not have: flagged again
    # (its journal entry stays the first), as one by one
    assert (batched.applied, batched.duplicates, batched.flagged) == (9, 1 + 14, 3 + 1)
    assert await outcome(twins, [batch_account, *other], batch_orders) == mine
