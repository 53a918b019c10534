"""The execution engine and the broker gateway against the paper broker's real thread: every
report becomes an event on the loop thread, nothing is dropped (partials, late fills, fills
after a restart), a timed-out order is reconciled with the same event ids, and a request is
sent to the broker at most once."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.orders import MemoryOrderLookup
from tradewind.adapters.aws.memory.read_model import MemoryOrderReadModel
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.execution.broker import BrokerOrder, ExecType, ExecutionReport
from tradewind.application.execution.engine import ExecutionEngine
from tradewind.application.execution.gateway import BrokerGateway
from tradewind.application.execution.reports import event_id_for
from tradewind.application.topics import ORDER_TOPICS
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote
from tradewind.domain.orders.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRequested,
    OrderEvent,
    OrderFilled,
    OrderSubmitted,
    OrderUnknown,
    parse_order_event,
)
from tradewind.domain.orders.order import Order
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

    def events(self, topic: str) -> list[OrderEvent]:
        return [parse_order_event(payload) for _, payload in self.records(topic)]

    def all_events(self) -> list[OrderEvent]:
        return [event for topic in ORDER_TOPICS for event in self.events(topic)]


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
    store = MemoryStore()

    async def start(
        *,
        broker: CountingPaperBroker | None = None,
        ack_timeout: float = 5.0,
        reconcile_after: float = 1.0,
        **broker_kwargs: Any,
    ) -> Desk:
        broker = broker or CountingPaperBroker(latency=broker_kwargs.pop("latency", 0.002), **broker_kwargs)
        bus = RecordingBus()
        engine = ExecutionEngine(
            BrokerGateway(broker),
            bus,
            MemoryOrderLookup(store),
            ack_timeout=ack_timeout,
            reconcile_after=reconcile_after,
        )
        await engine.start()
        desks.append(Desk(broker, engine, bus))
        return desks[-1]

    start.store = store  # type: ignore[attr-defined]
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


def fills_of(desk: Desk, order: OrderSubmitted) -> list[OrderFilled]:
    return [e for e in desk.bus.events("order.filled") if isinstance(e, OrderFilled) and e.order_id == order.order_id]


async def broker_fills(desk: Desk, order: OrderSubmitted) -> list[ExecutionReport]:
    state = await asyncio.to_thread(desk.broker.order_state, str(order.order_id))
    assert state is not None
    return list(state.fills)


async def test_a_market_order_is_accepted_then_filled(start_desk: StartDesk, eventually: Eventually) -> None:
    desk = await start_desk()
    desk.quote("100.00", "100.02")
    order = submitted()
    await desk.engine.handle(order)

    [ack] = desk.bus.events("order.accepted")  # handle returned: the ack is already published
    assert isinstance(ack, OrderAccepted) and not ack.reconciliation
    assert (ack.order_id, ack.correlation_id, ack.account_id) == (order.order_id, order.correlation_id, ACCOUNT)

    async def complete() -> list[OrderFilled]:
        return [f for f in fills_of(desk, order) if f.leaves_qty == 0]

    [fill] = await eventually(complete, timeout=5, what="the fill")
    assert (fill.cum_qty, fill.fill_qty, fill.order_qty) == (100, 100, 100)
    assert fill.fill_price == fill.avg_price == Decimal("100.02")  # a buy takes the ask
    assert type(fill.avg_price) is Decimal and fill.broker_order_id == ack.broker_order_id
    assert [f.event_id for f in fills_of(desk, order)] == [event_id_for(r) for r in await broker_fills(desk, order)]
    assert {key for topic in ORDER_TOPICS for key, _ in desk.bus.records(topic)} == {str(ACCOUNT)}


async def test_handle_returns_only_after_the_ack_is_published(start_desk: StartDesk) -> None:
    desk = await start_desk()
    order = submitted(OrderType.LIMIT, limit="90")
    await desk.engine.handle(order)  # the consumer commits its offset when this returns
    assert [(type(e), e.order_id) for e in desk.bus.events("order.accepted")] == [(OrderAccepted, order.order_id)]


async def test_every_partial_fill_is_published(start_desk: StartDesk, eventually: Eventually) -> None:
    desk = await start_desk(slice_qty=30, slice_interval=0.001)
    desk.quote("100.00", "100.02")
    order = submitted()
    await desk.engine.handle(order)

    async def complete() -> bool:
        return any(f.leaves_qty == 0 for f in fills_of(desk, order))

    await eventually(complete, timeout=5, what="the last slice")
    fills = fills_of(desk, order)
    assert [(f.fill_qty, f.cum_qty, f.leaves_qty) for f in fills] == [
        (30, 30, 70),
        (30, 60, 40),
        (30, 90, 10),
        (10, 100, 0),
    ]
    assert len({f.event_id for f in fills}) == 4


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

    [unknown] = desk.bus.events("order.accepted")
    assert isinstance(unknown, OrderUnknown) and unknown.order_id == order.order_id
    assert unknown.causation_id == order.event_id

    await asyncio.to_thread(desk.broker.release_reports)

    async def both_paths() -> bool:
        flags = {f.reconciliation for f in fills_of(desk, order)}
        return flags == {True, False}

    await eventually(both_paths, timeout=5, what="the late fill and the reconciled one")
    late = [f for f in fills_of(desk, order) if not f.reconciliation]
    reconciled = [f for f in fills_of(desk, order) if f.reconciliation]
    assert [f.event_id for f in late] == [f.event_id for f in reconciled]  # deduped downstream
    assert any(isinstance(e, OrderAccepted) and e.reconciliation for e in desk.bus.events("order.accepted"))

    # what the read model makes of it all: one fill, the order filled
    read_model = MemoryOrderReadModel(MemoryStore())
    await read_model.apply(order)
    for event in desk.bus.all_events():
        await read_model.apply(event)
    view = await read_model.get(ACCOUNT, order.order_id)
    assert view is not None and (view.status, view.filled_qty) == (OrderStatus.FILLED, 100)
    assert len([e for e in await read_model.log_since(ACCOUNT, 0) if e.kind == "fill"]) == 1


async def test_a_redelivered_submission_is_not_sent_twice(start_desk: StartDesk) -> None:
    desk = await start_desk()
    desk.quote("100.00", "100.02")
    order = submitted(OrderType.LIMIT, limit="90")
    await desk.engine.handle(order)
    await desk.engine.handle(order)
    assert desk.broker.submits == [str(order.order_id)]
    assert [type(e) for e in desk.bus.events("order.accepted")] == [OrderAccepted]


async def test_cancel_of_a_resting_limit_order(start_desk: StartDesk, eventually: Eventually) -> None:
    desk = await start_desk()
    desk.quote("100.00", "100.02")
    order = submitted(OrderType.LIMIT, limit="90")
    await desk.engine.handle(order)
    await desk.engine.handle(cancel_requested(order))

    async def canceled() -> list[OrderEvent]:
        return [e for e in desk.bus.events("order.canceled") if isinstance(e, OrderCanceled)]

    [event] = await eventually(canceled, timeout=5, what="order.canceled")
    assert event.order_id == order.order_id and not event.reconciliation
    state = await asyncio.to_thread(desk.broker.order_state, str(order.order_id))
    assert state is not None and state.status is ExecType.CANCELED and state.cum_qty == 0


async def test_a_cancel_that_overtakes_its_submission_cancels_it_before_the_broker(start_desk: StartDesk) -> None:
    desk = await start_desk()
    order = submitted(OrderType.LIMIT, limit="90")
    await desk.engine.handle(cancel_requested(order))
    [event] = desk.bus.events("order.canceled")
    assert isinstance(event, OrderCanceled) and event.reason == "canceled before reaching the broker"

    await desk.engine.handle(order)  # the submission arrives late
    assert desk.broker.submits == []
    assert await asyncio.to_thread(desk.broker.order_state, str(order.order_id)) is None
    assert desk.bus.events("order.accepted") == []


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


async def test_a_fill_after_a_restart_is_attributed_through_the_order_lookup(
    start_desk: StartDesk, eventually: Eventually
) -> None:
    first = await start_desk()
    first.quote("100.00", "100.02")
    order = submitted(OrderType.LIMIT, limit="95")
    start_desk.store.orders[order.order_id] = Order.from_submitted(order)  # type: ignore[attr-defined]
    await first.engine.handle(order)
    await first.stop()

    # a new gateway process on the same venue, which never saw the submission
    second = await start_desk(broker=first.broker)
    second.quote("94.98", "95.00")

    async def filled() -> list[OrderFilled]:
        return fills_of(second, order)

    [fill] = await eventually(filled, timeout=5, what="the fill after the restart")
    assert (fill.account_id, fill.correlation_id, fill.cum_qty) == (ACCOUNT, order.correlation_id, 100)
    assert second.bus.records("dead_letter") == []
