"""The execution engine and the broker gateway against the paper broker's real thread: every
broker report becomes a venue report on ``execution.reports``, keyed by the account the venue
echoes, published on the loop thread; nothing is dropped (partials, late fills, fills after a
restart); a timed-out order is ``unknown`` then reconciled with the same report ids; a refused
cancel or amend is reported as such; a request reaches the broker at most once; and the engine
keeps no state per order."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.orders import MemoryUnitOfWork
from tradewind.adapters.aws.memory.read_model import MemoryOrderReadModel
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.execution.breaker import BreakerState, CircuitBreaker
from tradewind.application.execution.broker import BrokerOrder, BrokerUnavailableError, ExecType, ExecutionReport
from tradewind.application.execution.engine import ExecutionEngine
from tradewind.application.execution.gateway import BrokerGateway
from tradewind.application.orders.ledger import OrderLedger
from tradewind.application.orders.sequencing import number_events
from tradewind.application.topics import EXECUTION_REPORTS, ORDER_EVENTS
from tradewind.domain.accounts import Account
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote
from tradewind.domain.orders.events import (
    OrderAmendRequested,
    OrderCancelRequested,
    OrderSubmitted,
    parse_order_event,
)
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.reports import ReportKind, VenueReport, parse_venue_report, report_id_for
from tradewind.domain.orders.status import OrderSide, OrderStatus, OrderType, TimeInForce

Eventually = Callable[..., Awaitable[Any]]
ACCOUNT = uuid.uuid4()
ACK_TURNS = 20


class RecordingBus(MemoryBus):
    """The engine's publisher: remembers which thread published, and acknowledges some turns of
    the loop after it is called, as a real broker does (so a caller that does not wait for the
    ack would run ahead of it)."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[int] = set()

    async def publish(self, topic: str, key: str, payload: bytes, headers: dict[str, str] | None = None) -> None:
        self.threads.add(threading.get_ident())
        for _ in range(ACK_TURNS):
            await asyncio.sleep(0)  # simulated round trip to the broker, not synchronisation
        await super().publish(topic, key, payload, headers)

    def reports(self, kind: ReportKind | None = None, order: OrderSubmitted | None = None) -> list[VenueReport]:
        return [
            r
            for r in (parse_venue_report(payload) for _, payload in self.records(EXECUTION_REPORTS))
            if (kind is None or r.kind is kind) and (order is None or r.order_id == order.order_id)
        ]


class CountingPaperBroker(PaperBroker):
    """The paper broker, counting the submits that reach it (it dedupes them itself, so the
    count is the only way to see a second one)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.submits: list[str] = []

    def submit(self, order: BrokerOrder) -> None:
        self.submits.append(order.client_order_id)
        super().submit(order)


class Desk:
    def __init__(self, broker: CountingPaperBroker, engine: ExecutionEngine, bus: RecordingBus) -> None:
        self.broker, self.engine, self.bus = broker, engine, bus
        self.running = True

    async def stop(self) -> None:
        if self.running:  # a gateway stops once: a second drain would wait for a pump that is gone
            self.running = False
            await self.engine.stop()

    def quote(self, bid: str, ask: str, symbol: str = "AAPL") -> None:
        last = (Decimal(bid) + Decimal(ask)) / 2
        self.broker.on_quote(Quote(symbol, Decimal(bid), Decimal(ask), last, utcnow()))


StartDesk = Callable[..., Awaitable[Desk]]


@pytest.fixture
async def start_desk() -> AsyncIterator[StartDesk]:
    desks: list[Desk] = []

    async def start(
        *,
        broker: CountingPaperBroker | None = None,
        ack_timeout: float = 5.0,
        reconcile_after: float = 1.0,
        breaker: CircuitBreaker | None = None,
        **broker_kwargs: Any,
    ) -> Desk:
        broker = broker or CountingPaperBroker(latency=broker_kwargs.pop("latency", 0.002), **broker_kwargs)
        bus = RecordingBus()
        engine = ExecutionEngine(
            BrokerGateway(broker, breaker), bus, ack_timeout=ack_timeout, reconcile_after=reconcile_after
        )
        await engine.start()
        desks.append(Desk(broker, engine, bus))
        return desks[-1]

    yield start
    for desk in reversed(desks):
        await desk.stop()


def submitted(order_type: OrderType = OrderType.MARKET, qty: int = 100, limit: str | None = None) -> OrderSubmitted:
    now = utcnow()
    return OrderSubmitted(
        correlation_id=uuid.uuid4(),
        account_id=ACCOUNT,
        order_id=uuid.uuid4(),
        symbol="AAPL",
        client_order_id="c-1",
        side=OrderSide.BUY,
        qty=qty,
        order_type=order_type,
        time_in_force=TimeInForce.GTC,
        limit_price=None if limit is None else Decimal(limit),
        created_at=now,
        occurred_at=now,
    )


def cancel_requested(order: OrderSubmitted) -> OrderCancelRequested:
    return OrderCancelRequested(
        correlation_id=order.correlation_id, account_id=ACCOUNT, order_id=order.order_id, symbol="AAPL"
    )


def amend_requested(order: OrderSubmitted, qty: int) -> OrderAmendRequested:
    return OrderAmendRequested(
        correlation_id=order.correlation_id, account_id=ACCOUNT, order_id=order.order_id, symbol="AAPL", qty=qty
    )


def fills_of(desk: Desk, order: OrderSubmitted) -> list[VenueReport]:
    return desk.bus.reports(ReportKind.FILL, order)


async def ledger_of(*orders: OrderSubmitted) -> tuple[MemoryStore, OrderLedger]:
    """The OMS ledger of ACCOUNT, holding ``orders`` as the command side committed them."""
    store = MemoryStore()
    store.accounts[ACCOUNT] = Account(ACCOUNT, "trader", Decimal("1000000"), utcnow())
    for event in orders:
        order = Order.from_submitted(event)
        order.events = [event]
        async with MemoryUnitOfWork(store) as uow:
            await uow.accounts.lock(ACCOUNT)
            await number_events(uow, order)
            await uow.orders.add(order)
            await uow.commit()
    return store, OrderLedger(lambda: MemoryUnitOfWork(store))


async def broker_fills(desk: Desk, order: OrderSubmitted) -> list[ExecutionReport]:
    state = await asyncio.to_thread(desk.broker.order_state, str(order.order_id))
    assert state is not None
    return list(state.fills)


async def test_a_market_order_is_accepted_then_filled(start_desk: StartDesk, eventually: Eventually) -> None:
    desk = await start_desk()
    desk.quote("100.00", "100.02")
    order = submitted()
    await desk.engine.handle(order)

    [ack] = desk.bus.reports(ReportKind.NEW)  # handle returned: the ack is already published
    assert not ack.reconciliation and ack.broker_order_id
    # the venue echoes the account
    assert (ack.order_id, ack.account_id, ack.symbol) == (order.order_id, ACCOUNT, "AAPL")

    async def complete() -> list[VenueReport]:
        return [f for f in fills_of(desk, order) if f.leaves_qty == 0]

    [fill] = await eventually(complete, timeout=5, what="the fill")
    assert (fill.cum_qty, fill.last_qty, fill.order_qty, fill.side) == (100, 100, 100, OrderSide.BUY)
    assert fill.last_price == fill.avg_price == Decimal("100.02")  # a buy takes the ask
    assert type(fill.avg_price) is Decimal and fill.broker_order_id == ack.broker_order_id
    assert [f.report_id for f in fills_of(desk, order)] == [
        report_id_for(order.order_id, r.exec_id) for r in await broker_fills(desk, order)
    ]
    assert {key for key, _ in desk.bus.records(EXECUTION_REPORTS)} == {str(ACCOUNT)}  # keyed by account
    assert desk.bus.records(ORDER_EVENTS) == []  # the engine writes venue reports only: the ledger numbers events


async def test_handle_returns_only_after_the_ack_is_published(start_desk: StartDesk) -> None:
    desk = await start_desk()
    order = submitted(OrderType.LIMIT, limit="90")
    await desk.engine.handle(order)  # the consumer commits its offset when this returns
    assert [(r.kind, r.order_id) for r in desk.bus.reports()] == [(ReportKind.NEW, order.order_id)]


async def test_every_partial_fill_is_published(start_desk: StartDesk, eventually: Eventually) -> None:
    desk = await start_desk(slice_qty=30, slice_interval=0.001)
    desk.quote("100.00", "100.02")
    order = submitted()
    await desk.engine.handle(order)

    async def complete() -> bool:
        return any(f.leaves_qty == 0 for f in fills_of(desk, order))

    await eventually(complete, timeout=5, what="the last slice")
    fills = fills_of(desk, order)
    assert [(f.last_qty, f.cum_qty, f.leaves_qty) for f in fills] == [
        (30, 30, 70),
        (30, 60, 40),
        (30, 90, 10),
        (10, 100, 0),
    ]
    assert len({f.report_id for f in fills}) == 4


async def test_the_engine_keeps_no_state_per_order(start_desk: StartDesk, eventually: Eventually) -> None:
    """Nothing in the engine or its gateway grows with the orders it handled: after 30 orders
    (filled, resting, canceled), every container it holds is empty again."""
    desk = await start_desk()
    desk.quote("100.00", "100.02")
    orders = [submitted() if i % 3 else submitted(OrderType.LIMIT, limit="90") for i in range(30)]
    for order in orders:
        await desk.engine.handle(order)
    for order in orders[::6]:
        await desk.engine.handle(cancel_requested(order))

    async def all_filled() -> bool:
        return all(
            any(f.leaves_qty == 0 for f in fills_of(desk, o)) for o in orders if o.order_type is OrderType.MARKET
        )

    await eventually(all_filled, timeout=5, what="the market orders filled")
    gateway = desk.engine._gateway
    for holder in (desk.engine, gateway):
        held = {k: v for k, v in vars(holder).items() if isinstance(v, dict | set | list | tuple) and v}
        assert held == {}, f"{type(holder).__name__} holds {held}"
    assert not hasattr(gateway, "_seen") and not hasattr(gateway, "has_reported")


async def test_a_broker_that_goes_quiet_makes_the_order_unknown_then_reconciled(
    start_desk: StartDesk, eventually: Eventually
) -> None:
    # latency 0: the order fills inside the submit, so the broker's state already holds the fill
    # whenever reconciliation asks, and the test does not depend on which comes first
    desk = await start_desk(latency=0.0, ack_timeout=0.2, reconcile_after=0.05)
    await asyncio.to_thread(desk.broker.hold_reports)
    desk.quote("100.00", "100.02")
    order = submitted()
    await desk.engine.handle(order)

    [unknown] = desk.bus.reports()
    assert unknown.kind is ReportKind.UNKNOWN and unknown.order_id == order.order_id
    assert unknown.causation_id == order.event_id and unknown.account_id == ACCOUNT
    assert unknown.report_id == report_id_for(order.order_id, f"unknown-{order.event_id}")  # the same on a retry
    assert desk.engine._gateway._waiters == {}  # a timed-out wait leaves nothing behind

    async def reconciled() -> bool:
        return any(f.reconciliation for f in fills_of(desk, order))

    await eventually(reconciled, timeout=5, what="the reconciled fill")
    await asyncio.to_thread(desk.broker.release_reports)

    async def both_paths() -> bool:
        return {f.reconciliation for f in fills_of(desk, order)} == {True, False}

    await eventually(both_paths, timeout=5, what="the late fill and the reconciled one")
    late = [f for f in fills_of(desk, order) if not f.reconciliation]
    recon = [f for f in fills_of(desk, order) if f.reconciliation]
    assert [f.report_id for f in late] == [f.report_id for f in recon]  # one fact, one id
    assert any(r.kind is ReportKind.NEW and r.reconciliation for r in desk.bus.reports())

    # what the OMS ledger makes of it all, in the order published: one fill, the order filled
    store, ledger = await ledger_of(order)
    for report in desk.bus.reports():
        await ledger(report)
    row = store.orders[order.order_id]
    assert (row.status, row.filled_qty) == (OrderStatus.FILLED, 100)
    assert store.positions[(ACCOUNT, "AAPL")][0] == 100  # booked once
    assert ledger.duplicates == 1  # the late fill: the reconciled one had its id
    # the venue's original ack, arriving after reconciliation filled the order, tells nothing
    # new: recorded as ignored, not applied, and not a false alarm for operators
    kept = [(r["kind"], r["outcome"]) for r in store.reports.values() if r["kind"] == "new"]
    assert ("new", "ignored") in kept and ledger.flagged == 0
    read_model = MemoryOrderReadModel(MemoryStore())
    for row_ in store.outbox:
        if row_.topic == ORDER_EVENTS:
            await read_model.apply(parse_order_event(row_.payload))
    assert await read_model.get(ACCOUNT, order.order_id) == row
    assert len([e for e in await read_model.log_since(ACCOUNT, 0) if e.kind == "fill"]) == 1


async def test_an_order_the_broker_never_saw_is_reconciled_to_rejected_with_the_reason(start_desk: StartDesk) -> None:
    desk = await start_desk(reconcile_after=0.01)
    order = submitted(OrderType.LIMIT, limit="90")
    await desk.engine.reconcile(order)
    [report] = desk.bus.reports()
    assert report.kind is ReportKind.REJECTED and report.reconciliation
    assert report.reason is not None and "no record of the order" in report.reason
    await desk.engine.reconcile(order)
    first, again = desk.bus.reports()
    assert first.report_id == again.report_id  # the ledger applies it once


async def test_a_redelivered_submission_is_not_sent_twice_and_is_reconciled(start_desk: StartDesk) -> None:
    desk = await start_desk()
    desk.quote("100.00", "100.02")
    order = submitted(OrderType.LIMIT, limit="90")
    await desk.engine.handle(order)
    [ack] = desk.bus.reports()
    await desk.engine.handle(order)  # redelivered (a restart before the offset commit)
    await desk.engine.handle(order)
    assert desk.broker.submits == [str(order.order_id)]

    _, *again = desk.bus.reports()
    assert [r.kind for r in again] == [ReportKind.NEW, ReportKind.NEW]
    assert all(r.reconciliation for r in again)
    assert again[0].report_id == again[1].report_id  # deterministic: the ledger applies it once
    assert again[0].report_id == report_id_for(order.order_id, f"recon-new-{ack.broker_order_id}")

    store, ledger = await ledger_of(order)
    for report in desk.bus.reports():
        await ledger(report)
    assert store.orders[order.order_id].status is OrderStatus.ACCEPTED
    assert (ledger.duplicates, ledger.flagged) == (1, 0)


async def test_a_redelivered_submission_of_a_filled_order_tells_its_fills_again(
    start_desk: StartDesk, eventually: Eventually
) -> None:
    desk = await start_desk(slice_qty=50, slice_interval=0.001)
    desk.quote("100.00", "100.02")
    order = submitted()
    await desk.engine.handle(order)

    async def complete() -> bool:
        return any(f.leaves_qty == 0 for f in fills_of(desk, order))

    await eventually(complete, timeout=5, what="the fill")
    live = fills_of(desk, order)
    await desk.engine.handle(order)
    recon = [f for f in fills_of(desk, order) if f.reconciliation]
    assert [f.report_id for f in recon] == [f.report_id for f in live]  # the venue's own exec ids
    assert desk.broker.submits == [str(order.order_id)]


async def test_cancel_of_a_resting_limit_order(start_desk: StartDesk, eventually: Eventually) -> None:
    desk = await start_desk()
    desk.quote("100.00", "100.02")
    order = submitted(OrderType.LIMIT, limit="90")
    await desk.engine.handle(order)
    await desk.engine.handle(cancel_requested(order))

    async def canceled() -> list[VenueReport]:
        return desk.bus.reports(ReportKind.CANCELED, order)

    [report] = await eventually(canceled, timeout=5, what="the canceled report")
    assert report.account_id == ACCOUNT and not report.reconciliation
    state = await asyncio.to_thread(desk.broker.order_state, str(order.order_id))
    assert state is not None and state.status is ExecType.CANCELED and state.cum_qty == 0


async def test_a_cancel_the_broker_refuses_is_a_cancel_rejected_report(
    start_desk: StartDesk, eventually: Eventually
) -> None:
    desk = await start_desk()
    desk.quote("100.00", "100.02")
    order = submitted()
    await desk.engine.handle(order)

    async def complete() -> bool:
        return any(f.leaves_qty == 0 for f in fills_of(desk, order))

    await eventually(complete, timeout=5, what="the fill")
    cancel = cancel_requested(order)
    await desk.engine.handle(cancel)  # too late: the order filled
    [refused] = desk.bus.reports(ReportKind.CANCEL_REJECTED)
    assert refused.order_id == order.order_id and refused.causation_id == cancel.event_id
    assert refused.account_id == ACCOUNT and "refused" in (refused.reason or "")
    assert desk.bus.reports(ReportKind.CANCELED) == []


async def test_a_cancel_of_an_order_the_broker_never_saw_is_a_canceled_report(start_desk: StartDesk) -> None:
    desk = await start_desk()
    order = submitted(OrderType.LIMIT, limit="90")
    cancel = cancel_requested(order)
    await desk.engine.handle(cancel)
    [report] = desk.bus.reports()
    assert report.kind is ReportKind.CANCELED and report.reason == "canceled before reaching the broker"
    assert report.causation_id == cancel.event_id
    assert desk.broker.submits == []


async def test_an_amend_the_broker_refuses_is_a_replace_rejected_report(
    start_desk: StartDesk, eventually: Eventually
) -> None:
    desk = await start_desk()
    desk.quote("100.00", "100.02")
    order = submitted()
    await desk.engine.handle(order)

    async def complete() -> bool:
        return any(f.leaves_qty == 0 for f in fills_of(desk, order))

    await eventually(complete, timeout=5, what="the fill")
    amend = amend_requested(order, 150)  # too late: the order filled
    await desk.engine.handle(amend)
    [refused] = desk.bus.reports(ReportKind.REPLACE_REJECTED)
    assert refused.order_id == order.order_id and refused.causation_id == amend.event_id
    assert "refused" in (refused.reason or "")


async def test_an_amend_the_broker_accepts_is_a_replaced_report(start_desk: StartDesk, eventually: Eventually) -> None:
    desk = await start_desk()
    desk.quote("100.00", "100.02")
    order = submitted(OrderType.LIMIT, limit="90")
    await desk.engine.handle(order)
    await desk.engine.handle(amend_requested(order, 150))

    async def replaced() -> list[VenueReport]:
        return desk.bus.reports(ReportKind.REPLACED, order)

    [report] = await eventually(replaced, timeout=5, what="the replaced report")
    assert (report.order_qty, report.account_id, report.cum_qty) == (150, ACCOUNT, 0)
    assert desk.bus.reports(ReportKind.REPLACE_REJECTED) == []


async def test_reports_cross_from_the_broker_thread_and_are_published_on_the_loop(
    start_desk: StartDesk, eventually: Eventually
) -> None:
    desk = await start_desk(slice_qty=50, slice_interval=0.001)
    report_threads: set[int] = set()
    desk.broker.register_callback(lambda report: report_threads.add(threading.get_ident()))
    desk.quote("100.00", "100.02")
    order = submitted()
    await desk.engine.handle(order)

    async def complete() -> bool:
        return any(f.leaves_qty == 0 for f in fills_of(desk, order))

    await eventually(complete, timeout=5, what="the fill")
    loop_thread = threading.get_ident()
    assert report_threads and loop_thread not in report_threads
    assert desk.bus.threads == {loop_thread}


async def test_a_fill_after_a_restart_is_attributed_by_the_account_the_venue_echoes(
    start_desk: StartDesk, eventually: Eventually
) -> None:
    first = await start_desk()
    first.quote("100.00", "100.02")
    order = submitted(OrderType.LIMIT, limit="95")
    await first.engine.handle(order)
    await first.stop()

    # a new gateway process on the same venue, which never saw the submission and looks nothing up
    second = await start_desk(broker=first.broker)
    second.quote("94.98", "95.00")

    async def filled() -> list[VenueReport]:
        return fills_of(second, order)

    [fill] = await eventually(filled, timeout=5, what="the fill after the restart")
    assert (fill.account_id, fill.order_id, fill.cum_qty) == (ACCOUNT, order.order_id, 100)
    assert [key for key, _ in second.bus.records(EXECUTION_REPORTS)] == [str(ACCOUNT)]
    assert second.bus.records("dead_letter") == [] and second.engine.dead_letters == 0


class DownBroker(CountingPaperBroker):
    """A venue that cannot be reached: every call raises, status queries included."""

    def submit(self, order: Any) -> None:
        raise BrokerUnavailableError("connection refused")

    def cancel(self, client_order_id: str) -> None:
        raise BrokerUnavailableError("connection refused")

    def order_state(self, client_order_id: str) -> Any:
        raise BrokerUnavailableError("connection refused")


async def test_a_venue_that_is_down_answers_broker_unavailable_and_never_blocks_the_partition(
    start_desk: StartDesk,
) -> None:
    desk = await start_desk(broker=DownBroker(latency=0.0))
    order = submitted()
    await desk.engine.handle(order)  # returns: the command is answered, not redelivered forever
    await desk.engine.handle(cancel_requested(order))
    kinds = [r.kind for r in desk.bus.reports()]
    assert kinds == [ReportKind.BROKER_UNAVAILABLE, ReportKind.CANCEL_REJECTED]


class MeetingPaperBroker(CountingPaperBroker):
    """Each submit waits until ``parties`` submits are in at once: worked one at a time, the
    first would wait alone until the barrier's timeout breaks it (and the test fails)."""

    def __init__(self, parties: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.barrier = threading.Barrier(parties, timeout=10)

    def submit(self, order: BrokerOrder) -> None:
        self.barrier.wait()
        super().submit(order)


async def test_a_batch_keeps_each_orders_commands_in_order_and_works_orders_concurrently(
    start_desk: StartDesk, eventually: Eventually
) -> None:
    """``handle_batch`` (issue 15): submit then cancel of one order stay in that order (the cancel
    finds the order resting), and the orders of one poll are worked side by side: all five
    submits are at the venue at the same moment (a barrier of five in the broker's submit)."""
    orders = [submitted(OrderType.LIMIT, limit="90") for _ in range(5)]
    desk = await start_desk(broker=MeetingPaperBroker(len(orders), latency=0.002))
    desk.quote("100.00", "100.02")

    await desk.engine.handle_batch([*orders, *(cancel_requested(o) for o in orders)])

    async def all_canceled() -> bool:
        return len(desk.bus.reports(ReportKind.CANCELED)) == len(orders)

    await eventually(all_canceled, timeout=10, what="every order canceled")
    for order in orders:
        kinds = [r.kind for r in desk.bus.reports(order=order)]
        assert kinds == [ReportKind.NEW, ReportKind.CANCELED], kinds
    assert sorted(desk.broker.submits) == sorted(str(o.order_id) for o in orders)
    assert not desk.broker.barrier.broken  # met: the five were in flight together


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class AskingPaperBroker(CountingPaperBroker):
    """Counts every call that reaches the broker, questions included."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calls = 0

    def order_state(self, client_order_id: str) -> Any:
        self.calls += 1
        return super().order_state(client_order_id)


async def test_with_the_broker_down_orders_end_broker_unavailable_and_the_breaker_opens_then_half_open_recovers(
    start_desk: StartDesk, eventually: Eventually
) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout=10.0, clock=clock)
    desk = await start_desk(broker=AskingPaperBroker(latency=0.0), breaker=breaker)
    broker = desk.broker
    assert isinstance(broker, AskingPaperBroker)
    desk.quote("100.00", "100.10")
    broker.stop()  # the venue goes away

    down = [submitted() for _ in range(3)]
    for order in down:
        await desk.engine.handle(order)  # each answered at once: never queued, never redelivered
    assert [r.kind for r in desk.bus.reports()] == [ReportKind.BROKER_UNAVAILABLE] * 3
    assert breaker.state is BreakerState.OPEN
    calls = broker.calls

    refused = submitted()
    await desk.engine.handle(refused)
    [report] = desk.bus.reports(order=refused)
    assert report.kind is ReportKind.BROKER_UNAVAILABLE and report.reason is not None
    assert "circuit breaker open" in report.reason
    assert broker.calls == calls, "an open breaker does not call the broker"

    broker.start()  # the venue is back, but the breaker waits for its timeout
    clock.now += 10.0
    assert breaker.state is BreakerState.HALF_OPEN
    through = submitted()
    await desk.engine.handle(through)  # the trial call goes through and closes the breaker
    assert breaker.state is BreakerState.CLOSED

    async def filled() -> bool:
        return bool(fills_of(desk, through))

    await eventually(filled, timeout=5, what="the order after recovery to fill")
    kinds = [r.kind for r in desk.bus.reports(order=through)]
    assert kinds[0] is ReportKind.NEW and ReportKind.BROKER_UNAVAILABLE not in kinds


async def test_a_failure_in_half_open_reopens_the_breaker(start_desk: StartDesk) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=5.0, clock=clock)
    desk = await start_desk(broker=AskingPaperBroker(latency=0.0), breaker=breaker)
    desk.broker.stop()
    for _ in range(2):
        await desk.engine.handle(submitted())
    clock.now += 5.0
    await desk.engine.handle(submitted())  # the trial fails: open again at once
    assert breaker.state is BreakerState.OPEN and breaker.opened_total == 2
    refused = submitted()
    await desk.engine.handle(refused)
    [report] = desk.bus.reports(order=refused)
    assert report.reason is not None and "circuit breaker open" in report.reason
