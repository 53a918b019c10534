"""The contract every ``BrokerAdapter`` passes: paper now, replay and live (FIX) later.

A concrete test module subclasses ``BrokerAdapterContract`` (as ``Test...``) and provides two
fixtures:

- ``broker``: a started adapter, stopped at teardown;
- ``feed(symbol, bid, ask)``: makes the adapter see that quote (``Decimal`` prices); an order
  submitted after ``feed`` returns is worked against it.

What the suite relies on: a marketable order fills completely, in any number of fills, at the
touch (ask for a buy, bid for a sell); a limit order that does not cross rests; every report and
every order state carries the ``account`` the order was submitted with (as FIX echoes tag 1), so
the gateway needs no memory of its own to say whose order a report is about. Reports are
collected by a thread-safe ``ReportLog`` and awaited with ``wait_until`` (a 5 s deadline,
polled every 10 ms): never a fixed sleep, never an upper bound on how fast the adapter is.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest

from tradewind.application.execution.broker import (
    BrokerAdapter,
    BrokerError,
    BrokerOrder,
    ExecType,
    ExecutionReport,
)
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

D = Decimal
Feed = Callable[[str, Decimal, Decimal], None]
DEADLINE = 5.0
_FINAL = frozenset({ExecType.CANCELED, ExecType.REJECTED, ExecType.EXPIRED})
_pause = threading.Event()  # never set: .wait(t) is an interruptible pause for polling


def wait_until(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    """Poll ``condition`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        _pause.wait(0.01)


def is_final(report: ExecutionReport) -> bool:
    return report.exec_type in _FINAL or (report.exec_type == ExecType.FILL and report.leaves_qty == 0)


@dataclass(frozen=True, slots=True)
class Received:
    report: ExecutionReport
    thread_id: int
    at: float  # time.monotonic() when the callback ran


class ReportLog:
    """A report callback that records every report, the thread it came on and when. Thread-safe:
    the adapter appends on its thread, the test reads on its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []

    def __call__(self, report: ExecutionReport) -> None:
        item = Received(report, threading.get_ident(), time.monotonic())
        with self._lock:
            self._received.append(item)

    def received(self, client_order_id: str | None = None) -> list[Received]:
        with self._lock:
            items = list(self._received)
        return [r for r in items if client_order_id in (None, r.report.client_order_id)]

    def reports(self, client_order_id: str) -> list[ExecutionReport]:
        return [r.report for r in self.received(client_order_id)]

    def of_type(self, client_order_id: str, exec_type: ExecType) -> list[ExecutionReport]:
        return [r for r in self.reports(client_order_id) if r.exec_type == exec_type]

    def wait_for(self, client_order_id: str, exec_type: ExecType) -> list[ExecutionReport]:
        """Wait for a report of ``exec_type``; returns the order's reports up to now."""
        wait_until(lambda: bool(self.of_type(client_order_id, exec_type)), f"{exec_type} for {client_order_id}")
        return self.reports(client_order_id)

    def wait_final(self, client_order_id: str) -> list[ExecutionReport]:
        """Wait for the report that ends the order (filled, canceled, rejected or expired)."""
        wait_until(
            lambda: any(is_final(r) for r in self.reports(client_order_id)),
            f"a final report for {client_order_id}",
        )
        return self.reports(client_order_id)


#: the account the suite's orders belong to (an id of ours, opaque to the venue)
ACCOUNT = "0b5c9a4e-8a51-4c1e-9a3e-3f7f0a1d2c11"


def new_id() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"


def market(
    symbol: str, side: OrderSide, qty: int, tif: TimeInForce = TimeInForce.DAY, *, account: str = ACCOUNT
) -> BrokerOrder:
    return BrokerOrder(new_id(), symbol, side, qty, OrderType.MARKET, tif, account=account)


def limit(
    symbol: str,
    side: OrderSide,
    qty: int,
    price: str,
    tif: TimeInForce = TimeInForce.GTC,
    *,
    account: str = ACCOUNT,
) -> BrokerOrder:
    return BrokerOrder(new_id(), symbol, side, qty, OrderType.LIMIT, tif, limit_price=D(price), account=account)


def assert_running_totals(reports: list[ExecutionReport]) -> None:
    """cum_qty is the sum of last_qty, avg_price the volume-weighted average, on every fill."""
    cum, notional = 0, D(0)
    for fill in (r for r in reports if r.exec_type == ExecType.FILL):
        assert fill.last_qty > 0 and fill.last_price is not None
        cum += fill.last_qty
        notional += fill.last_price * fill.last_qty
        assert fill.cum_qty == cum
        assert fill.leaves_qty == fill.order_qty - cum
        assert fill.avg_price is not None
        assert abs(fill.avg_price - notional / cum) < D("0.0001")


class BrokerAdapterContract:
    """The suite; see the module docstring for the fixtures a subclass provides."""

    @pytest.fixture
    def reports(self, broker: BrokerAdapter) -> ReportLog:
        log = ReportLog()
        broker.register_callback(log)
        return log

    @pytest.mark.parametrize(("side", "touch"), [(OrderSide.BUY, "100.10"), (OrderSide.SELL, "100.00")])
    def test_market_order_is_acknowledged_then_filled_at_the_touch(
        self, broker: BrokerAdapter, feed: Feed, reports: ReportLog, side: OrderSide, touch: str
    ) -> None:
        feed("AAPL", D("100.00"), D("100.10"))
        order = market("AAPL", side, 10)
        broker.submit(order)
        got = reports.wait_final(order.client_order_id)

        ack, fills = got[0], [r for r in got if r.exec_type == ExecType.FILL]
        assert ack.exec_type == ExecType.NEW
        assert ack.broker_order_id and (ack.cum_qty, ack.leaves_qty, ack.order_qty) == (0, 10, 10)
        assert fills and all(f.last_price == D(touch) for f in fills)
        assert (got[-1].exec_type, got[-1].cum_qty, got[-1].leaves_qty) == (ExecType.FILL, 10, 0)
        assert got[-1].avg_price == D(touch)
        assert {r.broker_order_id for r in got} == {ack.broker_order_id}
        assert {(r.symbol, r.side, r.account) for r in got} == {("AAPL", side, ACCOUNT)}

    def test_every_report_and_state_carries_the_account_the_order_was_submitted_with(
        self, broker: BrokerAdapter, feed: Feed, reports: ReportLog
    ) -> None:
        mine, theirs = ACCOUNT, "5d41402a-bc4b-4a76-b971-9d911017c592"
        feed("AAPL", D("100.00"), D("100.10"))
        filled = market("AAPL", OrderSide.BUY, 5, account=mine)
        amended = limit("AAPL", OrderSide.BUY, 10, "99.00", account=theirs)
        canceled = limit("AAPL", OrderSide.SELL, 3, "110.00", account=mine)
        rejected = market("ZZZZ", OrderSide.BUY, 1, account=theirs)
        for order in (filled, amended, canceled, rejected):
            broker.submit(order)
        reports.wait_final(filled.client_order_id)
        reports.wait_final(rejected.client_order_id)
        reports.wait_for(amended.client_order_id, ExecType.NEW)
        reports.wait_for(canceled.client_order_id, ExecType.NEW)
        broker.replace(amended.client_order_id, 12, D("99.10"))
        reports.wait_for(amended.client_order_id, ExecType.REPLACED)
        broker.cancel(canceled.client_order_id)
        reports.wait_final(canceled.client_order_id)

        for order in (filled, amended, canceled, rejected):
            got = reports.reports(order.client_order_id)
            assert got and {r.account for r in got} == {order.account}, order
            state = broker.order_state(order.client_order_id)
            assert state is not None and state.account == order.account, order
            assert all(f.account == order.account for f in state.fills), order
        assert {r.exec_type for r in reports.reports(filled.client_order_id)} >= {ExecType.NEW, ExecType.FILL}
        assert {r.exec_type for r in reports.reports(rejected.client_order_id)} == {ExecType.REJECTED}
        resting = {s.client_order_id: s.account for s in broker.open_orders()}
        assert resting[amended.client_order_id] == theirs

    def test_reports_arrive_on_a_thread_other_than_the_callers(
        self, broker: BrokerAdapter, feed: Feed, reports: ReportLog
    ) -> None:
        feed("AAPL", D("100.00"), D("100.10"))
        order = market("AAPL", OrderSide.BUY, 5)
        broker.submit(order)
        reports.wait_final(order.client_order_id)

        threads = {r.thread_id for r in reports.received(order.client_order_id)}
        assert threading.get_ident() not in threads

    def test_unknown_symbol_is_rejected_with_a_reason(
        self, broker: BrokerAdapter, feed: Feed, reports: ReportLog
    ) -> None:
        order = market("ZZZZ", OrderSide.BUY, 5)
        broker.submit(order)
        got = reports.wait_final(order.client_order_id)

        assert got[-1].exec_type == ExecType.REJECTED
        assert got[-1].reason
        assert got[-1].cum_qty == 0 and not reports.of_type(order.client_order_id, ExecType.FILL)

    def test_submit_twice_makes_one_resting_order(self, broker: BrokerAdapter, feed: Feed, reports: ReportLog) -> None:
        feed("AAPL", D("100.00"), D("100.10"))
        order, marker = limit("AAPL", OrderSide.BUY, 10, "95.00"), limit("AAPL", OrderSide.BUY, 1, "94.00")
        broker.submit(order)
        broker.submit(order)
        broker.submit(marker)
        reports.wait_for(marker.client_order_id, ExecType.NEW)
        reports.wait_for(order.client_order_id, ExecType.NEW)

        assert len(reports.of_type(order.client_order_id, ExecType.NEW)) == 1
        ids = [s.client_order_id for s in broker.open_orders()]
        assert ids.count(order.client_order_id) == 1

    def test_a_filled_order_submitted_again_does_not_fill_again(
        self, broker: BrokerAdapter, feed: Feed, reports: ReportLog
    ) -> None:
        feed("AAPL", D("100.00"), D("100.10"))
        order, marker = market("AAPL", OrderSide.BUY, 10), market("AAPL", OrderSide.BUY, 1)
        broker.submit(order)
        reports.wait_final(order.client_order_id)
        broker.submit(order)
        broker.submit(marker)
        reports.wait_final(marker.client_order_id)

        assert sum(f.last_qty for f in reports.of_type(order.client_order_id, ExecType.FILL)) == 10
        state = broker.order_state(order.client_order_id)
        assert state is not None and state.cum_qty == 10

    @pytest.mark.parametrize(
        ("side", "price", "crossing"),
        [(OrderSide.BUY, "99.50", ("99.40", "99.50")), (OrderSide.SELL, "100.60", ("100.60", "100.70"))],
    )
    def test_limit_rests_then_fills_when_the_market_crosses(
        self,
        broker: BrokerAdapter,
        feed: Feed,
        reports: ReportLog,
        side: OrderSide,
        price: str,
        crossing: tuple[str, str],
    ) -> None:
        feed("AAPL", D("100.00"), D("100.10"))
        order = limit("AAPL", side, 10, price)
        broker.submit(order)
        reports.wait_for(order.client_order_id, ExecType.NEW)

        state = broker.order_state(order.client_order_id)
        assert state is not None and state.cum_qty == 0 and state.leaves_qty == 10
        assert order.client_order_id in {s.client_order_id for s in broker.open_orders()}
        assert not reports.of_type(order.client_order_id, ExecType.FILL)

        feed("AAPL", D(crossing[0]), D(crossing[1]))
        got = reports.wait_final(order.client_order_id)
        assert got[-1].exec_type == ExecType.FILL and got[-1].cum_qty == 10
        assert all(f.last_price == D(price) for f in got if f.exec_type == ExecType.FILL)

    def test_cancel_of_a_resting_order(self, broker: BrokerAdapter, feed: Feed, reports: ReportLog) -> None:
        feed("AAPL", D("100.00"), D("100.10"))
        order = limit("AAPL", OrderSide.BUY, 10, "99.00")
        broker.submit(order)
        reports.wait_for(order.client_order_id, ExecType.NEW)
        broker.cancel(order.client_order_id)
        got = reports.wait_final(order.client_order_id)

        assert (got[-1].exec_type, got[-1].cum_qty, got[-1].leaves_qty) == (ExecType.CANCELED, 0, 0)
        assert order.client_order_id not in {s.client_order_id for s in broker.open_orders()}
        feed("AAPL", D("98.90"), D("99.00"))  # would have crossed
        state = broker.order_state(order.client_order_id)
        assert state is not None and state.status == ExecType.CANCELED and state.cum_qty == 0

    def test_cancel_of_an_unknown_order_raises(self, broker: BrokerAdapter) -> None:
        with pytest.raises(BrokerError):
            broker.cancel(new_id())

    def test_cancel_of_a_filled_order_raises(self, broker: BrokerAdapter, feed: Feed, reports: ReportLog) -> None:
        feed("AAPL", D("100.00"), D("100.10"))
        order = market("AAPL", OrderSide.BUY, 5)
        broker.submit(order)
        reports.wait_final(order.client_order_id)
        with pytest.raises(BrokerError):
            broker.cancel(order.client_order_id)

    def test_replace_changes_qty_and_limit_then_fills_at_the_new_limit(
        self, broker: BrokerAdapter, feed: Feed, reports: ReportLog
    ) -> None:
        feed("AAPL", D("100.00"), D("100.10"))
        order = limit("AAPL", OrderSide.BUY, 10, "99.00")
        broker.submit(order)
        reports.wait_for(order.client_order_id, ExecType.NEW)
        broker.replace(order.client_order_id, 20, D("99.20"))
        replaced = reports.wait_for(order.client_order_id, ExecType.REPLACED)[-1]

        assert (replaced.order_qty, replaced.limit_price, replaced.leaves_qty) == (20, D("99.20"), 20)
        state = broker.order_state(order.client_order_id)
        assert state is not None and (state.order_qty, state.leaves_qty) == (20, 20)

        feed("AAPL", D("99.10"), D("99.20"))
        got = reports.wait_final(order.client_order_id)
        assert got[-1].exec_type == ExecType.FILL and got[-1].cum_qty == 20
        assert all(f.last_price == D("99.20") for f in got if f.exec_type == ExecType.FILL)

    def test_replace_of_an_unknown_order_raises(self, broker: BrokerAdapter) -> None:
        with pytest.raises(BrokerError):
            broker.replace(new_id(), 10, D("1.00"))

    @pytest.mark.parametrize("tif", [TimeInForce.IOC, TimeInForce.FOK])
    def test_ioc_and_fok_that_cannot_fill_are_canceled(
        self, broker: BrokerAdapter, feed: Feed, reports: ReportLog, tif: TimeInForce
    ) -> None:
        feed("AAPL", D("100.00"), D("100.10"))
        order = limit("AAPL", OrderSide.BUY, 10, "99.00", tif)
        broker.submit(order)
        got = reports.wait_final(order.client_order_id)

        assert (got[-1].exec_type, got[-1].cum_qty, got[-1].leaves_qty) == (ExecType.CANCELED, 0, 0)
        assert got[-1].reason
        assert order.client_order_id not in {s.client_order_id for s in broker.open_orders()}

    def test_order_state_and_open_orders_agree_with_the_reports(
        self, broker: BrokerAdapter, feed: Feed, reports: ReportLog
    ) -> None:
        feed("MSFT", D("300.00"), D("300.20"))
        filled = market("MSFT", OrderSide.BUY, 7)
        resting = limit("MSFT", OrderSide.BUY, 4, "290.00")
        canceled = limit("MSFT", OrderSide.SELL, 3, "310.00")
        rejected = market("ZZZZ", OrderSide.SELL, 2)
        for order in (filled, resting, canceled, rejected):
            broker.submit(order)
        reports.wait_final(filled.client_order_id)
        reports.wait_for(resting.client_order_id, ExecType.NEW)
        reports.wait_for(canceled.client_order_id, ExecType.NEW)
        broker.cancel(canceled.client_order_id)
        reports.wait_final(canceled.client_order_id)
        reports.wait_final(rejected.client_order_id)

        for order in (filled, resting, canceled, rejected):
            got = reports.reports(order.client_order_id)
            state, last = broker.order_state(order.client_order_id), got[-1]
            assert state is not None
            assert (state.broker_order_id, state.status) == (last.broker_order_id, last.exec_type)
            assert (state.order_qty, state.cum_qty, state.leaves_qty) == (
                last.order_qty,
                last.cum_qty,
                last.leaves_qty,
            )
            assert state.avg_price == last.avg_price
            assert state.account == last.account == order.account
            fill_ids = [r.exec_id for r in got if r.exec_type == ExecType.FILL]
            assert [f.exec_id for f in state.fills] == fill_ids
        open_ids = {s.client_order_id for s in broker.open_orders()}  # a live account may hold others
        assert resting.client_order_id in open_ids
        assert open_ids.isdisjoint({o.client_order_id for o in (filled, canceled, rejected)})
        assert broker.order_state(new_id()) is None

    def test_cum_qty_is_the_sum_of_fills_and_avg_price_the_vwap(
        self, broker: BrokerAdapter, feed: Feed, reports: ReportLog
    ) -> None:
        feed("AAPL", D("100.00"), D("100.10"))
        resting = limit("AAPL", OrderSide.BUY, 30, "99.95")
        broker.submit(resting)
        reports.wait_for(resting.client_order_id, ExecType.NEW)
        feed("AAPL", D("99.90"), D("99.95"))
        taking = market("AAPL", OrderSide.SELL, 25)
        broker.submit(taking)

        for order in (resting, taking):
            got = reports.wait_final(order.client_order_id)
            assert_running_totals(got)
            state = broker.order_state(order.client_order_id)
            assert state is not None and state.cum_qty == order.qty
            notional = sum((f.last_price * f.last_qty for f in state.fills if f.last_price), D(0))
            assert state.avg_price is not None
            assert abs(state.avg_price - notional / state.cum_qty) < D("0.0001")
