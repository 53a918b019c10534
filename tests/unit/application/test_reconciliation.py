"""Reconciliation as a use case, against the paper broker's real thread and the in-memory OMS
ledger: an order left ``unknown`` by an ack timeout is resolved to what the venue did; an open
order the venue never saw ends ``rejected`` with the reason (a ``pending`` one, whose command
may still be on its way, and one changed within the grace, are left alone); a fill that comes by
the normal path and by reconciliation is applied once; a venue order the ledger does not have is
kept as an external order, told once; a reconnect of the broker starts a pass."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.orders import MemoryLedgerOpenOrders, MemoryUnitOfWork
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.execution.broker import BrokerOrder
from tradewind.application.execution.engine import ExecutionEngine
from tradewind.application.execution.gateway import BrokerGateway
from tradewind.application.execution.reconcile import Reconciler
from tradewind.application.orders.ledger import OrderLedger
from tradewind.application.orders.sequencing import number_events
from tradewind.application.topics import EXECUTION_REPORTS
from tradewind.domain.accounts import Account
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote
from tradewind.domain.orders.events import OrderSubmitted
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.reports import ReportKind, VenueReport, parse_venue_report, report_id_for
from tradewind.domain.orders.status import OrderSide, OrderStatus, OrderType, TimeInForce

Eventually = Callable[..., Awaitable[Any]]
ACCOUNT = uuid.uuid4()


@dataclass
class Desk:
    broker: PaperBroker
    gateway: BrokerGateway
    engine: ExecutionEngine
    bus: MemoryBus
    store: MemoryStore
    ledger: OrderLedger
    reconciler: Reconciler
    applied_up_to: int = 0

    def quote(self, bid: str, ask: str) -> None:
        last = (Decimal(bid) + Decimal(ask)) / 2
        self.broker.on_quote(Quote("AAPL", Decimal(bid), Decimal(ask), last, utcnow()))

    def reports(self) -> list[VenueReport]:
        return [parse_venue_report(p) for _, p in self.bus.records(EXECUTION_REPORTS)]

    async def apply(self) -> None:
        """The OMS ledger consumes what the gateway published since last time."""
        reports = self.reports()
        for report in reports[self.applied_up_to :]:
            await self.ledger(report)
        self.applied_up_to = len(reports)

    async def place(self, order_type: OrderType = OrderType.MARKET, limit: str | None = None) -> OrderSubmitted:
        """An order as the command side committed it (``pending`` in the ledger)."""
        now = utcnow()
        event = OrderSubmitted(
            correlation_id=uuid.uuid4(), account_id=ACCOUNT, order_id=uuid.uuid4(), symbol="AAPL",
            client_order_id=uuid.uuid4().hex[:8], side=OrderSide.BUY, qty=100, order_type=order_type,
            time_in_force=TimeInForce.GTC, limit_price=None if limit is None else Decimal(limit),
            created_at=now, occurred_at=now,
        )  # fmt: skip
        order = Order.from_submitted(event)
        order.events = [event]
        async with MemoryUnitOfWork(self.store) as uow:
            await uow.accounts.lock(ACCOUNT)
            await number_events(uow, order)
            await uow.orders.add(order)
            await uow.commit()
        return event

    def order(self, event: OrderSubmitted) -> Order:
        return self.store.orders[event.order_id]


@pytest.fixture
async def desk() -> AsyncIterator[Desk]:
    store = MemoryStore()
    store.accounts[ACCOUNT] = Account(ACCOUNT, "trader", Decimal("10000000"), utcnow())
    broker, bus = PaperBroker(latency=0.0), MemoryBus()
    gateway = BrokerGateway(broker)
    # the engine's own per-order reconciliation waits an hour: only the use case under test acts
    engine = ExecutionEngine(gateway, bus, ack_timeout=0.05, reconcile_after=3600)
    reconciler = Reconciler(
        gateway, MemoryLedgerOpenOrders(store), publish=engine.publish_reconciled, send=engine.send, grace=0.0
    )
    await engine.start()
    d = Desk(broker, gateway, engine, bus, store, OrderLedger(lambda: MemoryUnitOfWork(store)), reconciler)
    d.quote("100.00", "100.10")
    yield d
    await engine.stop()


async def test_an_order_left_unknown_by_an_ack_timeout_is_resolved_by_reconciliation(desk: Desk) -> None:
    desk.broker.hold_reports()  # the venue works the order; its reports do not reach us
    order = await desk.place()
    await desk.engine.handle(order)
    await desk.apply()
    assert desk.order(order).status is OrderStatus.UNKNOWN

    await desk.reconciler.run_once()
    await desk.apply()
    resolved = desk.order(order)
    assert resolved.status is OrderStatus.FILLED and resolved.filled_qty == 100
    found = [r for r in desk.reports() if r.kind is not ReportKind.UNKNOWN]
    assert found and all(r.reconciliation for r in found)
    assert desk.store.positions[(ACCOUNT, "AAPL")][0] == 100  # the fill booked once

    await desk.reconciler.run_once()  # nothing differs any more: nothing is told
    assert len(desk.reports()) == desk.applied_up_to
    desk.broker.release_reports()


async def test_an_open_order_the_venue_never_saw_ends_rejected_with_the_reason(desk: Desk) -> None:
    lost = await desk.place(OrderType.LIMIT, "90")
    ack = VenueReport(
        report_id=report_id_for(lost.order_id, "ack"), account_id=ACCOUNT, order_id=lost.order_id,
        kind=ReportKind.NEW, exec_id="ack", broker_order_id="B-lost", symbol="AAPL", order_qty=100, leaves_qty=100,
    )  # fmt: skip
    await desk.ledger(ack)  # accepted once, and then the venue lost it
    never_sent = await desk.place(OrderType.LIMIT, "90")  # pending: its command may be on its way

    await desk.reconciler.run_once()
    await desk.reconciler.run_once()  # told twice: applied once
    await desk.apply()
    rejected = desk.order(lost)
    assert rejected.status is OrderStatus.REJECTED
    assert rejected.reason is not None and "no record of the order" in rejected.reason
    assert desk.ledger.duplicates == 1 and desk.reconciler.stats.rejected == 2
    assert desk.order(never_sent).status is OrderStatus.PENDING


async def test_an_order_changed_within_the_grace_is_left_alone(desk: Desk) -> None:
    patient = Reconciler(
        desk.gateway, MemoryLedgerOpenOrders(desk.store), publish=desk.engine.publish_reconciled,
        send=desk.engine.send, grace=60.0, clock=lambda: utcnow() + timedelta(seconds=30),
    )  # fmt: skip
    order = await desk.place(OrderType.LIMIT, "90")
    await desk.ledger(
        VenueReport(
            report_id=report_id_for(order.order_id, "u"),
            account_id=ACCOUNT,
            order_id=order.order_id,
            kind=ReportKind.UNKNOWN,
            exec_id="u",
            symbol="AAPL",
        )
    )
    await patient.run_once()
    assert desk.reports() == [] and desk.order(order).status is OrderStatus.UNKNOWN


async def test_a_fill_told_by_both_paths_is_applied_once(desk: Desk, eventually: Eventually) -> None:
    order = await desk.place(OrderType.LIMIT, "99")
    await desk.engine.handle(order)  # acknowledged, resting
    desk.quote("98.90", "99.00")  # now it fills, reported by the normal path

    async def filled_at_venue() -> bool:
        return any(r.kind is ReportKind.FILL and r.leaves_qty == 0 for r in desk.reports())

    await eventually(filled_at_venue, timeout=5, what="the venue's fill report")
    await desk.reconciler.run_once()  # the ledger has not applied it yet: reconciliation tells it too
    fills = [r for r in desk.reports() if r.kind is ReportKind.FILL]
    assert any(r.reconciliation for r in fills) and any(not r.reconciliation for r in fills)
    assert len({r.report_id for r in fills}) == len(fills) // 2, "each fill under one id on both paths"

    await desk.apply()
    filled = desk.order(order)
    assert filled.status is OrderStatus.FILLED and filled.filled_qty == 100
    assert desk.ledger.duplicates >= len(fills) // 2


async def test_a_venue_order_the_ledger_does_not_have_is_kept_as_external_once(desk: Desk) -> None:
    stranger = BrokerOrder(
        client_order_id=str(uuid.uuid4()), symbol="AAPL", side=OrderSide.BUY, qty=5, order_type=OrderType.LIMIT,
        time_in_force=TimeInForce.GTC, limit_price=Decimal("50"), account=str(ACCOUNT),
    )  # fmt: skip
    await asyncio.to_thread(desk.broker.submit, stranger)  # placed at the venue by someone else
    await desk.apply()  # its acknowledgement by the normal path

    await desk.reconciler.run_once()
    await desk.reconciler.run_once()  # told once while it does not change
    await desk.apply()
    assert desk.reconciler.stats.external == 1
    async with MemoryUnitOfWork(desk.store) as uow:
        external = await uow.reports.external()
    assert {str(r["order_id"]) for r in external} == {stranger.client_order_id}
    assert all("no order" in str(r["detail"]) for r in external)


async def test_a_reconnect_of_the_broker_starts_a_pass(desk: Desk, eventually: Eventually) -> None:
    desk.reconciler.interval = 3600.0
    desk.gateway.on_connected(desk.reconciler.trigger)
    stop = asyncio.Event()
    running = asyncio.create_task(desk.reconciler.run(stop))
    try:

        async def passes(n: int) -> Callable[[], Awaitable[bool]]:
            async def done() -> bool:
                return desk.reconciler.stats.runs >= n

            return done

        await eventually(await passes(1), timeout=5, what="the pass on start")
        await asyncio.to_thread(desk.broker.stop)
        await asyncio.to_thread(desk.broker.start)  # the session is established again
        await eventually(await passes(2), timeout=5, what="a pass after the reconnect")
    finally:
        stop.set()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
