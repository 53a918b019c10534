"""The OMS ledger's consumer of ``execution.reports`` on the in-memory unit of work: each venue
report applied once (by ``report_id``), an impossible one kept and flagged (never applied, never
dropped), every event numbered gap-free per account, and fills moving the ledger's positions and
cash that risk reads. Last, the issue's property: whatever the venue says, in whatever
interleaving with commands and redeliveries, the read model and the positions view built from
``order.events`` equal the ledger, and so does a sequential replay of the ledger's events."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradewind.adapters.aws.memory.orders import MemoryUnitOfWork
from tradewind.adapters.aws.memory.positions import MemoryPositionStore
from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.memory.read_model import MemoryOrderReadModel
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.application.accounts.users import CreateUser
from tradewind.application.orders.amend_order import AmendOrderHandler
from tradewind.application.orders.cancel_order import CancelOrderHandler
from tradewind.application.orders.ledger import OrderLedger
from tradewind.application.orders.place_order import PlaceOrderHandler
from tradewind.application.risk.check import RiskCheck
from tradewind.application.topics import ORDER_COMMANDS, ORDER_EVENTS
from tradewind.domain.clock import utcnow
from tradewind.domain.errors import DomainError
from tradewind.domain.market import Quote
from tradewind.domain.orders.commands import AmendOrder, CancelOrder, parse_place_order
from tradewind.domain.orders.events import (
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderFilled,
    OrderSubmitted,
    parse_order_event,
)
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.reports import ReportKind, VenueReport, report_id_for
from tradewind.domain.orders.status import OrderStatus

S = OrderStatus
K = ReportKind
CASH = Decimal("100000")


class Oms:
    """One account on the memory ledger: the command side and the ledger consumer."""

    def __init__(self) -> None:
        self.store = MemoryStore()
        self.prices = MemoryPriceCache()
        self.ledger = OrderLedger(self.uow)
        self.account_id = uuid.uuid4()

    def uow(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store)

    async def open_account(self) -> Oms:
        created = await CreateUser(self.uow)(f"trader-{uuid.uuid4().hex[:6]}", CASH)
        self.account_id = created.account.id
        for symbol in ("AAPL", "MSFT"):
            await self.prices.put(Quote(symbol, Decimal("99.99"), Decimal("100.01"), Decimal("100"), utcnow()))
        return self

    async def place(self, qty: int = 100, **body: Any) -> Order:
        cmd = parse_place_order(
            self.account_id,
            {"symbol": "AAPL", "side": "buy", "type": "limit", "limit_price": "100", "qty": qty, **body},
        )
        placed = await PlaceOrderHandler(self.uow, RiskCheck(self.prices, []))(cmd)
        return placed.order

    async def cancel(self, order: Order) -> Order:
        return await CancelOrderHandler(self.uow)(CancelOrder(self.account_id, order.id))

    async def amend(self, order: Order, qty: int) -> Order:
        return await AmendOrderHandler(self.uow, RiskCheck(self.prices, []))(AmendOrder(self.account_id, order.id, qty))

    def venue(self, order: Order, kind: ReportKind, exec_id: str | None = None, **fields: Any) -> VenueReport:
        exec_id = exec_id or f"{kind.value}-{uuid.uuid4().hex[:8]}"
        return VenueReport(
            report_id=report_id_for(order.id, exec_id),
            account_id=order.account_id,
            order_id=order.id,
            kind=kind,
            exec_id=exec_id,
            broker_order_id="P-1",
            symbol=order.symbol,
            side=order.side,
            **{"order_qty": order.qty, **fields},
        )

    def fill_report(self, order: Order, cum: int, last: int, price: str, **fields: Any) -> VenueReport:
        return self.venue(
            order,
            K.FILL,
            **{
                "cum_qty": cum,
                "last_qty": last,
                "last_price": Decimal(price),
                "avg_price": Decimal(price),
                "leaves_qty": max(order.qty - cum, 0),
                **fields,
            },
        )

    async def tell(self, report: VenueReport) -> str:
        """Feed the report to the ledger; the journal's outcome for it."""
        await self.ledger(report)
        return str(self.store.reports[report.report_id]["outcome"])

    def row(self, order: Order) -> Order:
        return self.store.orders[order.id]

    def events(self) -> list[OrderEvent]:
        return [parse_order_event(r.payload) for r in self.store.outbox if r.topic == ORDER_EVENTS]

    async def exposure(self) -> Any:
        async with self.uow() as uow:
            return await uow.orders.exposure(self.account_id)


@pytest.fixture
async def oms() -> Oms:
    return await Oms().open_account()


async def test_a_report_is_applied_once_by_its_report_id(oms: Oms) -> None:
    order = await oms.place()
    ack = oms.venue(order, K.NEW, leaves_qty=100)
    assert await oms.tell(ack) == "applied"
    assert (oms.row(order).status, oms.row(order).broker_order_id) == (S.ACCEPTED, "P-1")
    _, accepted = oms.events()
    assert isinstance(accepted, OrderAccepted) and accepted.event_id == ack.report_id  # event and cause match
    assert (accepted.order_seq, accepted.account_seq) == (2, 2)
    assert oms.store.reports[ack.report_id]["account_seq"] == 2
    outbox, seqs = len(oms.store.outbox), dict(oms.store.account_seqs)

    assert await oms.tell(ack) == "applied"  # redelivered: the journal knows it
    assert (len(oms.store.outbox), oms.store.account_seqs) == (outbox, seqs)
    assert (oms.ledger.applied, oms.ledger.duplicates, oms.ledger.flagged) == (1, 1, 0)


async def test_a_redelivered_fill_moves_the_position_once(oms: Oms) -> None:
    order = await oms.place()
    fill = oms.fill_report(order, 60, 60, "100")
    await oms.tell(fill)
    await oms.tell(fill)
    await oms.tell(fill)
    assert (await oms.exposure()).positions == {"AAPL": 60}
    assert (oms.row(order).status, oms.row(order).filled_qty) == (S.PARTIALLY_FILLED, 60)
    assert [type(e) for e in oms.events()] == [OrderSubmitted, OrderFilled]
    assert oms.ledger.duplicates == 2


async def test_a_report_for_an_order_the_ledger_does_not_have_is_flagged(oms: Oms) -> None:
    ghost = replace(await oms.place(), id=uuid.uuid4())
    outbox = len(oms.store.outbox)
    report = oms.venue(ghost, K.NEW)
    assert await oms.tell(report) == "flagged"
    entry = oms.store.reports[report.report_id]
    assert entry["order_id"] == ghost.id and str(ghost.id) in str(entry["detail"]) and entry["account_seq"] is None
    assert len(oms.store.outbox) == outbox and ghost.id not in oms.store.orders
    async with oms.uow() as uow:
        assert [r["report_id"] for r in await uow.reports.flagged()] == [report.report_id]
    await oms.tell(report)  # redelivered: kept once, not flagged twice
    assert (oms.ledger.flagged, oms.ledger.duplicates) == (1, 1)


async def test_a_report_for_an_unknown_account_is_flagged(oms: Oms) -> None:
    order = await oms.place()
    stranger = oms.venue(order, K.NEW).model_copy(update={"account_id": uuid.uuid4(), "report_id": uuid.uuid4()})
    assert await oms.tell(stranger) == "flagged"
    assert "no account" in str(oms.store.reports[stranger.report_id]["detail"])
    assert oms.row(order).status is S.PENDING


async def test_an_impossible_move_is_flagged_and_not_applied(oms: Oms) -> None:
    order = await oms.place()
    await oms.tell(oms.fill_report(order, 100, 100, "100"))
    assert oms.row(order).status is S.FILLED
    before, outbox, seq = oms.row(order), len(oms.store.outbox), oms.store.account_seqs[oms.account_id]

    canceled = oms.venue(order, K.CANCELED, reason="user")
    assert await oms.tell(canceled) == "flagged"
    entry = oms.store.reports[canceled.report_id]
    assert "filled" in str(entry["detail"]) and entry["kind"] == "canceled"
    assert oms.row(order) == before and oms.row(order).status is S.FILLED
    assert len(oms.store.outbox) == outbox and oms.store.account_seqs[oms.account_id] == seq  # no number spent

    later = await oms.place(qty=5)  # the next event takes the next number: no gap
    assert later.events[0].account_seq == seq + 1


async def test_the_same_fill_under_another_exec_id_is_flagged_and_not_counted(oms: Oms) -> None:
    order = await oms.place()
    await oms.tell(oms.fill_report(order, 60, 60, "100"))
    again = oms.fill_report(order, 60, 60, "100")
    assert await oms.tell(again) == "flagged"
    assert "60" in str(oms.store.reports[again.report_id]["detail"])
    assert oms.row(order).filled_qty == 60 and (await oms.exposure()).positions == {"AAPL": 60}


async def test_a_reconciliation_report_that_tells_nothing_new_is_recorded_ignored(oms: Oms) -> None:
    order = await oms.place()
    await oms.tell(oms.venue(order, K.NEW))
    await oms.tell(oms.fill_report(order, 60, 60, "100"))
    outbox = len(oms.store.outbox)

    same_fill = oms.fill_report(order, 60, 60, "100", reconciliation=True)
    assert await oms.tell(same_fill) == "ignored"
    assert oms.store.reports[same_fill.report_id]["detail"]
    assert len(oms.store.outbox) == outbox and oms.row(order).filled_qty == 60

    more = oms.fill_report(order, 100, 40, "101", reconciliation=True)  # this one is news
    assert await oms.tell(more) == "applied"
    assert oms.row(order).status is S.FILLED
    late_ack = oms.venue(order, K.NEW, reconciliation=True)
    assert await oms.tell(late_ack) == "ignored"  # an ack of a filled order: nothing to do
    assert (oms.ledger.ignored, oms.ledger.flagged) == (2, 0)
    last = oms.events()[-1]
    assert isinstance(last, OrderFilled) and last.reconciliation and last.cum_qty == 100


async def test_the_venues_word_on_an_ending_reconciliation_told_first_is_ignored_not_flagged(oms: Oms) -> None:
    order = await oms.place()
    await oms.tell(oms.venue(order, K.NEW))
    await oms.cancel(order)
    assert await oms.tell(oms.venue(order, K.CANCELED, exec_id="recon-canceled-b", reconciliation=True)) == "applied"
    assert await oms.tell(oms.venue(order, K.CANCELED, exec_id="venue-cxl-1")) == "ignored"  # same end, its own id
    assert oms.row(order).status is S.CANCELED and oms.ledger.flagged == 0
    assert await oms.tell(oms.venue(order, K.EXPIRED, exec_id="venue-exp-1")) == "flagged"  # a different end


async def test_fills_move_the_ledgers_positions_and_cash(oms: Oms) -> None:
    buy = await oms.place(qty=100)
    await oms.tell(oms.venue(buy, K.NEW))
    await oms.tell(oms.fill_report(buy, 60, 60, "100"))
    exposure = await oms.exposure()
    assert exposure.positions == {"AAPL": 60} and exposure.cash == CASH - 6000
    assert [(o.id, o.leaves_qty) for o in exposure.open_orders] == [(buy.id, 40)]

    await oms.tell(oms.fill_report(buy, 100, 40, "101", avg_price=Decimal("100.4")))
    sell = await oms.place(qty=30, side="sell")
    await oms.tell(oms.fill_report(sell, 30, 30, "102"))
    exposure = await oms.exposure()
    assert exposure.positions == {"AAPL": 70}
    assert exposure.cash == CASH - 6000 - 4040 + 3060 and type(exposure.cash) is Decimal
    assert exposure.open_orders == []  # both orders filled: nothing reserved


async def test_a_fill_after_the_cancel_is_counted_and_the_order_stays_canceled(oms: Oms) -> None:
    order = await oms.place()
    await oms.tell(oms.venue(order, K.NEW))
    assert (await oms.cancel(order)).status is S.PENDING_CANCEL
    await oms.tell(oms.venue(order, K.CANCELED, reason="user"))
    assert oms.row(order).status is S.CANCELED and oms.store.open_orders[oms.account_id] == set()

    assert await oms.tell(oms.fill_report(order, 40, 40, "100")) == "applied"  # it raced the cancel
    row = oms.row(order)
    assert (row.status, row.filled_qty, row.leaves_qty) == (S.CANCELED, 40, 0)
    fill = oms.events()[-1]
    assert isinstance(fill, OrderFilled) and fill.after_cancel
    exposure = await oms.exposure()
    assert exposure.positions == {"AAPL": 40} and exposure.open_orders == []


async def test_a_fill_that_skips_a_report_is_marked_as_a_gap(oms: Oms) -> None:
    order = await oms.place()
    await oms.tell(oms.fill_report(order, 30, 30, "100"))
    assert not oms.events()[-1].gap  # type: ignore[attr-defined]
    await oms.tell(oms.fill_report(order, 100, 40, "100"))  # 30 + 40 != 100: a report went missing
    fill = oms.events()[-1]
    assert isinstance(fill, OrderFilled) and fill.gap and fill.cum_qty == 100
    assert oms.row(order).status is S.FILLED
    # what is booked follows the venue's running total (70 more), not the last report's 40
    assert fill.fill_qty == 70
    exposure = await oms.exposure()
    assert exposure.positions == {"AAPL": 100}


async def test_the_venues_answers_to_cancel_and_amend_settle_the_pending_request(oms: Oms) -> None:
    order = await oms.place(qty=100)
    await oms.tell(oms.venue(order, K.NEW))
    await oms.cancel(order)
    assert await oms.tell(oms.venue(order, K.CANCEL_REJECTED, reason="too late")) == "applied"
    assert oms.row(order).status is S.ACCEPTED

    amended = await oms.amend(order, 150)
    assert (amended.status, amended.pending_qty) == (S.PENDING_REPLACE, 150)
    assert await oms.tell(oms.venue(order, K.REPLACED, order_qty=150, limit_price=Decimal("100"))) == "applied"
    row = oms.row(order)
    assert (row.status, row.qty, row.pending_qty) == (S.ACCEPTED, 150, None)

    await oms.amend(order, 120)
    assert await oms.tell(oms.venue(order, K.REPLACE_REJECTED, reason="no")) == "applied"
    row = oms.row(order)
    assert (row.status, row.qty, row.pending_qty) == (S.ACCEPTED, 150, None)
    assert [e.type for e in oms.events()][-2:] == ["order.amend_requested", "order.replace_rejected"]


async def test_account_seq_is_gap_free_across_commands_and_reports_and_order_seq_per_order(oms: Oms) -> None:
    a = await oms.place(qty=100)
    b = await oms.place(qty=10, symbol="MSFT")
    await oms.tell(oms.venue(a, K.NEW))
    await oms.tell(oms.venue(b, K.REJECTED, reason="halted"))
    await oms.tell(oms.venue(b, K.NEW))  # impossible: flagged, no number
    fill = oms.fill_report(a, 50, 50, "100")
    await oms.tell(fill)
    await oms.tell(fill)  # duplicate: no number
    await oms.cancel(a)
    await oms.tell(oms.venue(a, K.CANCELED))

    events = oms.events()
    assert [e.account_seq for e in events] == list(range(1, len(events) + 1)) == list(range(1, 8))
    assert [e.order_seq for e in events if e.order_id == a.id] == [1, 2, 3, 4, 5]
    assert [e.order_seq for e in events if e.order_id == b.id] == [1, 2]
    assert oms.row(a).order_seq == 5 and oms.row(b).order_seq == 2
    commands = [json.loads(r.payload) for r in oms.store.outbox if r.topic == ORDER_COMMANDS]
    assert [(c["type"], c["account_seq"]) for c in commands] == [
        ("order.submitted", 1),
        ("order.submitted", 2),
        ("order.cancel_requested", 6),
    ]
    assert {r.key for r in oms.store.outbox} == {str(oms.account_id)}


# -- the property: the ledger, the read model and the positions view agree --------------------------

KINDS = sorted(ReportKind)


@st.composite
def scripts(draw: st.DrawFn) -> list[tuple[str, int, Any]]:
    """Steps for two orders of one account: venue reports of any kind (legal or not), commands,
    and redeliveries of earlier reports."""
    steps: list[tuple[str, int, Any]] = []
    for _ in range(draw(st.integers(1, 30))):
        which = draw(st.integers(0, 1))
        step = draw(st.sampled_from(["report"] * 6 + ["redeliver", "cancel", "amend"]))
        if step == "report":
            steps.append(("report", which, (draw(st.sampled_from(KINDS)), draw(st.integers(1, 120)))))
        elif step == "redeliver":
            steps.append(("redeliver", which, draw(st.integers(0, 1000))))
        elif step == "amend":
            steps.append(("amend", which, draw(st.integers(1, 150))))
        else:
            steps.append(("cancel", which, None))
    return steps


async def run_script(steps: list[tuple[str, int, Any]]) -> None:
    oms = await Oms().open_account()
    orders = [await oms.place(qty=100), await oms.place(qty=50, symbol="MSFT", side="sell")]
    sent: list[VenueReport] = []
    for n, (step, which, arg) in enumerate(steps):
        order = oms.row(orders[which])
        if step == "report":
            kind, size = arg
            fields: dict[str, Any] = {"reason": "venue says so"}
            if kind is K.FILL:
                last = min(size, max(order.qty - order.filled_qty, 1))
                cum = order.filled_qty + last
                fields = {
                    "cum_qty": cum,
                    "last_qty": last,
                    "last_price": Decimal("100") + n,
                    "avg_price": Decimal("100"),
                }
            elif kind is K.REPLACED:
                fields = {"order_qty": order.pending_qty or size}
            report = oms.venue(order, kind, f"E-{n}", **fields)
            sent.append(report)
            await oms.ledger(report)
        elif step == "redeliver" and sent:
            await oms.ledger(sent[arg % len(sent)])
        elif step == "cancel":
            try:
                await oms.cancel(order)
            except DomainError:
                pass
        elif step == "amend":
            try:
                await oms.amend(order, arg)
            except DomainError:
                pass

    events = oms.events()
    assert [e.account_seq for e in events] == list(range(1, len(events) + 1))  # gap-free, in order
    assert len(oms.store.reports) == len({r.report_id for r in sent})  # every report journaled once
    applied = [r for r in oms.store.reports.values() if r["outcome"] == "applied"]
    assert len(applied) == sum(1 for e in events if not isinstance(e, OrderSubmitted)) - sum(
        1 for e in events if e.type in ("order.cancel_requested", "order.amend_requested")
    )

    # the read model, fed order.events with every event delivered twice, equals the ledger
    read_model, positions = MemoryOrderReadModel(MemoryStore()), MemoryPositionStore()
    for event in events:
        for _ in range(2):
            await read_model.apply(event)
            if isinstance(event, OrderFilled):
                await positions.apply_fill(event)
    assert (read_model.gaps, read_model.misfits) == (0, 0)
    for order in orders:
        assert await read_model.get(oms.account_id, order.id) == oms.row(order)

    # a sequential replay of the ledger's events equals the ledger
    for order in orders:
        mine = [e for e in events if e.order_id == order.id]
        assert isinstance(mine[0], OrderSubmitted)
        replayed = Order.from_submitted(mine[0])
        for event in mine[1:]:
            replayed.apply(event)
        assert replayed == oms.row(order)

    # the positions view and the ledger's positions are the fills the ledger applied
    ledger_positions = (await oms.exposure()).positions
    for order in orders:
        position = await positions.get(oms.account_id, order.symbol)
        assert (position.qty if position else 0) == ledger_positions.get(order.symbol, 0)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts())
async def test_any_script_of_reports_commands_and_redeliveries_gives_one_truth(
    steps: list[tuple[str, int, Any]],
) -> None:
    await run_script(steps)


async def test_the_property_holds_for_the_issues_races(oms: Oms) -> None:
    """The races of issue 11 written out: a fill before a cancel reported after it, a fill with
    the pre-amend quantity, a redelivered ack after the fill."""
    order = await oms.place(qty=100)
    await oms.tell(oms.venue(order, K.NEW))
    await oms.amend(order, 80)
    await oms.tell(oms.venue(order, K.REPLACED, order_qty=80))
    await oms.tell(oms.fill_report(order, 30, 30, "100", order_qty=100))  # still says 100
    await oms.cancel(order)
    await oms.tell(oms.venue(order, K.CANCELED))
    await oms.tell(oms.fill_report(order, 50, 20, "100", order_qty=100))  # the fill raced the cancel
    row = oms.row(order)
    assert (row.status, row.qty, row.filled_qty, row.leaves_qty) == (S.CANCELED, 80, 50, 0)
    read_model = MemoryOrderReadModel(MemoryStore())
    for event in oms.events():
        await read_model.apply(event)
    assert await read_model.get(oms.account_id, order.id) == row
    assert isinstance(oms.events()[-2], OrderCanceled)
