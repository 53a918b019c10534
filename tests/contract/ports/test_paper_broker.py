"""PaperBroker: the BrokerAdapter contract (whole fills and sliced fills), then what only the paper
venue models: slices, touch liquidity, stops, latency, DAY expiry and held reports.

Determinism without sleeps: the broker works its queue in order, so a query (``order_state``)
made after a quote or a submit is answered only once those have been worked, and their reports
delivered; "nothing happened" is checked that way, never by waiting a while."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from broker_adapter_contract import (
    BrokerAdapterContract,
    D,
    Feed,
    ReportLog,
    assert_running_totals,
    limit,
    market,
    new_id,
    wait_until,
)

from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.execution.broker import (
    BrokerError,
    BrokerOrder,
    BrokerUnavailableError,
    ExecType,
    ExecutionReport,
)
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

MakeBroker = Callable[..., PaperBroker]


def quote(symbol: str, bid: str, ask: str) -> Quote:
    b, a = D(bid), D(ask)
    return Quote(symbol=symbol, bid=b, ask=a, last=(b + a) / 2, ts=utcnow())


@pytest.fixture
def make_broker() -> Iterator[MakeBroker]:
    brokers: list[PaperBroker] = []

    def make(**options: Any) -> PaperBroker:
        broker = PaperBroker(**options)
        broker.start()
        brokers.append(broker)
        return broker

    yield make
    for broker in brokers:
        broker.stop()


def paper(make_broker: MakeBroker, **options: Any) -> tuple[PaperBroker, ReportLog]:
    broker, log = make_broker(**options), ReportLog()
    broker.register_callback(log)
    return broker, log


def filled_qty(broker: PaperBroker, order: BrokerOrder) -> int:
    """cum_qty once everything enqueued before this call has been worked."""
    state = broker.order_state(order.client_order_id)
    assert state is not None
    return state.cum_qty


def fills(reports: list[ExecutionReport]) -> list[ExecutionReport]:
    return [r for r in reports if r.exec_type == ExecType.FILL]


class TestPaperBrokerContract(BrokerAdapterContract):
    @pytest.fixture
    def broker(self, make_broker: MakeBroker) -> PaperBroker:
        return make_broker()

    @pytest.fixture
    def feed(self, broker: PaperBroker) -> Feed:
        return lambda symbol, bid, ask: broker.on_quote(Quote(symbol, bid, ask, bid, utcnow()))


class TestSlicedPaperBrokerContract(TestPaperBrokerContract):
    """The same contract when every order fills in many small reports."""

    @pytest.fixture
    def broker(self, make_broker: MakeBroker) -> PaperBroker:
        return make_broker(slice_qty=3)


def test_a_market_order_fills_in_slices(make_broker: MakeBroker) -> None:
    broker, log = paper(make_broker, slice_qty=30)
    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    order = market("AAPL", OrderSide.BUY, 100)
    broker.submit(order)
    got = fills(log.wait_final(order.client_order_id))

    assert [f.last_qty for f in got] == [30, 30, 30, 10]
    assert [f.cum_qty for f in got] == [30, 60, 90, 100]
    assert [f.leaves_qty for f in got] == [70, 40, 10, 0]
    assert_running_totals(got)


def test_slices_are_at_least_the_interval_apart(make_broker: MakeBroker) -> None:
    broker, log = paper(make_broker, slice_qty=50, slice_interval=0.05)
    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    order = market("AAPL", OrderSide.BUY, 100)
    started = time.monotonic()
    broker.submit(order)
    log.wait_final(order.client_order_id)

    second = [r for r in log.received(order.client_order_id) if r.report.exec_type == ExecType.FILL][1]
    assert second.at - started >= 0.05  # a lower bound only: shared machines may be slower


def test_liquidity_spreads_a_fill_over_quotes_at_their_prices(make_broker: MakeBroker) -> None:
    broker, log = paper(make_broker, liquidity=40)
    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    order = market("AAPL", OrderSide.BUY, 100)
    broker.submit(order)
    state = broker.order_state(order.client_order_id)
    assert state is not None and (state.cum_qty, state.leaves_qty) == (40, 60)  # touch exhausted

    broker.on_quote(quote("AAPL", "100.10", "100.20"))
    broker.on_quote(quote("AAPL", "100.20", "100.30"))
    got = fills(log.wait_final(order.client_order_id))

    assert [(f.last_qty, f.last_price) for f in got] == [
        (40, D("100.10")),
        (40, D("100.20")),
        (20, D("100.30")),
    ]
    assert got[-1].avg_price == D("100.18")
    assert_running_totals(got)


def test_liquidity_is_shared_first_come_first_served(make_broker: MakeBroker) -> None:
    broker, log = paper(make_broker, liquidity=40)
    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    first, second = market("AAPL", OrderSide.BUY, 30), market("AAPL", OrderSide.BUY, 30)
    broker.submit(first)
    broker.submit(second)
    state = broker.order_state(second.client_order_id)
    assert state is not None and state.cum_qty == 10
    assert [f.last_qty for f in fills(log.reports(first.client_order_id))] == [30]

    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    assert [f.last_qty for f in fills(log.wait_final(second.client_order_id))] == [10, 20]


def test_replace_below_the_filled_qty_raises_and_above_works_the_rest(make_broker: MakeBroker) -> None:
    broker, log = paper(make_broker, liquidity=40)
    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    order = limit("AAPL", OrderSide.BUY, 100, "100.50")
    broker.submit(order)
    assert filled_qty(broker, order) == 40

    with pytest.raises(BrokerError):
        broker.replace(order.client_order_id, 40, None)
    broker.replace(order.client_order_id, 60, None)
    replaced = log.of_type(order.client_order_id, ExecType.REPLACED)[-1]
    assert (replaced.order_qty, replaced.cum_qty, replaced.leaves_qty) == (60, 40, 20)

    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    got = log.wait_final(order.client_order_id)
    assert (got[-1].exec_type, got[-1].cum_qty, got[-1].last_qty) == (ExecType.FILL, 60, 20)


def test_ioc_fills_what_the_touch_has_and_cancels_the_rest(make_broker: MakeBroker) -> None:
    broker, log = paper(make_broker, liquidity=40)
    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    order = limit("AAPL", OrderSide.BUY, 100, "100.50", TimeInForce.IOC)
    broker.submit(order)
    got = log.wait_final(order.client_order_id)

    assert [r.exec_type for r in got] == [ExecType.NEW, ExecType.FILL, ExecType.CANCELED]
    assert (got[1].last_qty, got[1].last_price) == (40, D("100.10"))
    assert (got[-1].cum_qty, got[-1].leaves_qty, got[-1].reason) == (40, 0, "ioc remainder")
    assert got[-1].avg_price == D("100.10")


def test_fok_without_enough_liquidity_is_canceled_untouched(make_broker: MakeBroker) -> None:
    broker, log = paper(make_broker, liquidity=40)
    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    order = market("AAPL", OrderSide.BUY, 50, TimeInForce.FOK)
    broker.submit(order)
    got = log.wait_final(order.client_order_id)

    assert [r.exec_type for r in got] == [ExecType.NEW, ExecType.CANCELED]
    assert (got[-1].cum_qty, got[-1].reason) == (0, "fok not fillable")


def test_fok_with_enough_liquidity_fills_at_once_even_when_slicing(make_broker: MakeBroker) -> None:
    broker, log = paper(make_broker, liquidity=40, slice_qty=10)
    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    order = market("AAPL", OrderSide.SELL, 40, TimeInForce.FOK)
    broker.submit(order)
    got = log.wait_final(order.client_order_id)

    assert [(r.exec_type, r.last_qty) for r in got] == [(ExecType.NEW, 0), (ExecType.FILL, 40)]
    assert got[-1].last_price == D("100.00")


def stop_order(side: OrderSide, stop: str, limit_price: str | None = None) -> BrokerOrder:
    kind = OrderType.STOP if limit_price is None else OrderType.STOP_LIMIT
    return BrokerOrder(
        new_id(),
        "AAPL",
        side,
        10,
        kind,
        TimeInForce.GTC,
        limit_price=None if limit_price is None else D(limit_price),
        stop_price=D(stop),
    )


@pytest.mark.parametrize(
    ("side", "stop", "near", "through", "price"),
    [
        (OrderSide.BUY, "101.00", ("100.80", "100.99"), ("100.90", "101.00"), "101.00"),
        (OrderSide.SELL, "99.00", ("99.01", "99.20"), ("99.00", "99.10"), "99.00"),
    ],
)
def test_a_stop_triggers_at_the_stop_then_fills_as_a_market_order(
    make_broker: MakeBroker,
    side: OrderSide,
    stop: str,
    near: tuple[str, str],
    through: tuple[str, str],
    price: str,
) -> None:
    broker, log = paper(make_broker)
    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    order = stop_order(side, stop)
    broker.submit(order)
    broker.on_quote(quote("AAPL", *near))
    assert filled_qty(broker, order) == 0

    broker.on_quote(quote("AAPL", *through))
    got = log.wait_final(order.client_order_id)
    assert [(f.last_qty, f.last_price) for f in fills(got)] == [(10, D(price))]


@pytest.mark.parametrize(
    ("side", "stop", "limit_price", "trigger", "cross"),
    [
        # triggered at ask 101.10 but above the limit; fills later below the stop: it stays triggered
        (OrderSide.BUY, "101.00", "100.80", ("101.00", "101.10"), ("100.70", "100.80")),
        (OrderSide.SELL, "99.00", "99.20", ("98.90", "99.00"), ("99.20", "99.30")),
    ],
)
def test_a_stop_limit_triggers_then_rests_as_a_limit_order(
    make_broker: MakeBroker,
    side: OrderSide,
    stop: str,
    limit_price: str,
    trigger: tuple[str, str],
    cross: tuple[str, str],
) -> None:
    broker, log = paper(make_broker)
    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    order = stop_order(side, stop, limit_price)
    broker.submit(order)
    broker.on_quote(quote("AAPL", *trigger))
    assert filled_qty(broker, order) == 0

    broker.on_quote(quote("AAPL", *cross))
    got = log.wait_final(order.client_order_id)
    assert [(f.last_qty, f.last_price) for f in fills(got)] == [(10, D(limit_price))]


def test_a_fill_comes_no_earlier_than_the_latency(make_broker: MakeBroker) -> None:
    broker, log = paper(make_broker, latency=0.2)
    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    order = market("AAPL", OrderSide.BUY, 10)
    started = time.monotonic()
    broker.submit(order)
    log.wait_final(order.client_order_id)

    received = log.received(order.client_order_id)
    assert received[0].report.exec_type == ExecType.NEW
    fill = next(r for r in received if r.report.exec_type == ExecType.FILL)
    assert fill.at - started >= 0.2  # a lower bound only: never assert how fast a shared machine is


def test_a_market_order_waits_for_the_first_quote(make_broker: MakeBroker) -> None:
    broker, log = paper(make_broker)
    order = market("MSFT", OrderSide.BUY, 10)
    broker.submit(order)
    state = broker.order_state(order.client_order_id)
    assert state is not None and (state.status, state.cum_qty) == (ExecType.NEW, 0)

    broker.on_quote(quote("MSFT", "300.00", "300.20"))
    assert fills(log.wait_final(order.client_order_id))[-1].last_price == D("300.20")


def test_day_orders_expire_and_gtc_orders_stay(make_broker: MakeBroker) -> None:
    broker, log = paper(make_broker)
    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    day = limit("AAPL", OrderSide.BUY, 10, "95.00", TimeInForce.DAY)
    gtc = limit("AAPL", OrderSide.BUY, 10, "95.00", TimeInForce.GTC)
    broker.submit(day)
    broker.submit(gtc)

    assert broker.expire_day_orders() == 1
    got = log.reports(day.client_order_id)  # delivered before expire_day_orders returned
    assert (got[-1].exec_type, got[-1].leaves_qty) == (ExecType.EXPIRED, 0)
    assert [s.client_order_id for s in broker.open_orders()] == [gtc.client_order_id]


def test_held_reports_are_delivered_in_order_on_release(make_broker: MakeBroker) -> None:
    broker, log = paper(make_broker)
    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    broker.hold_reports()
    order = market("AAPL", OrderSide.BUY, 10)
    broker.submit(order)

    state = broker.order_state(order.client_order_id)
    assert state is not None and (state.status, state.cum_qty) == (ExecType.FILL, 10)
    assert log.reports(order.client_order_id) == []
    broker.release_reports()
    assert [r.exec_type for r in log.reports(order.client_order_id)] == [ExecType.NEW, ExecType.FILL]
    assert log.reports(order.client_order_id)[-1] == state.fills[-1]


def test_a_failing_callback_does_not_stop_the_others(make_broker: MakeBroker) -> None:
    def explode(report: ExecutionReport) -> None:
        raise RuntimeError("callback bug")

    broker = make_broker()
    broker.register_callback(explode)
    log = ReportLog()
    broker.register_callback(log)
    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    order = market("AAPL", OrderSide.BUY, 10)
    broker.submit(order)
    assert log.wait_final(order.client_order_id)[-1].cum_qty == 10


def test_a_callback_may_call_back_into_the_broker(make_broker: MakeBroker) -> None:
    broker = make_broker()
    seen: list[int] = []
    done = threading.Event()

    def on_report(report: ExecutionReport) -> None:
        if report.exec_type == ExecType.FILL:
            state = broker.order_state(report.client_order_id)  # inline on the broker thread
            seen.append(state.cum_qty if state else -1)
            done.set()

    broker.register_callback(on_report)
    broker.on_quote(quote("AAPL", "100.00", "100.10"))
    broker.submit(market("AAPL", OrderSide.BUY, 10))
    wait_until(done.is_set, "the callback's own query")
    assert seen == [10]


def test_a_stopped_broker_refuses_requests_and_drops_quotes() -> None:
    broker = PaperBroker()
    broker.on_quote(quote("AAPL", "100.00", "100.10"))  # dropped, no error
    with pytest.raises(BrokerUnavailableError):
        broker.submit(market("AAPL", OrderSide.BUY, 10))
    broker.start()
    broker.stop()
    with pytest.raises(BrokerUnavailableError):
        broker.open_orders()


def test_a_journaled_book_forgets_final_orders_and_recalls_them_when_named(tmp_path: Any) -> None:
    """The venue's memory is its open orders (issue 12: its RSS grew with every order it ever
    took): ``forget_final`` drops the final ones, the journal keeps them, and a redelivered submit,
    a cancel or a status request of one is answered as before the forgetting."""
    from tradewind.adapters.broker.venue_journal import VenueJournal

    journal = VenueJournal(tmp_path / "book.sqlite3")
    log = ReportLog()
    broker = PaperBroker(journal=journal, recall=journal.order)
    broker.register_callback(log)
    broker.start()
    try:
        broker.on_quote(quote("AAPL", "100.00", "100.10"))
        filled, resting = market("AAPL", OrderSide.BUY, 5), limit("AAPL", OrderSide.BUY, 3, "90.00")
        broker.submit(filled)
        broker.submit(resting)
        log.wait_final(filled.client_order_id)
        log.wait_for(resting.client_order_id, ExecType.NEW)
        before = broker.order_state(filled.client_order_id)
        assert before is not None and before.status == ExecType.FILL

        assert broker.forget_final() == 1  # the filled one; the resting one is open
        assert [s.client_order_id for s in broker.open_orders()] == [resting.client_order_id]
        assert broker.order_state(filled.client_order_id) == before  # recalled from the journal
        assert broker.forget_final() == 1  # the recall put it back in memory; gone again

        reports = len(log.reports(filled.client_order_id))
        broker.submit(filled)  # a redelivered submit of a forgotten order: no second order
        with pytest.raises(BrokerError, match="order is fill"):
            broker.cancel(filled.client_order_id)  # known and final, not "unknown order"
        assert broker.order_state(filled.client_order_id) == before  # the queue is worked in order
        assert len(log.reports(filled.client_order_id)) == reports
        assert broker.order_state("never-seen") is None
    finally:
        broker.stop()
        journal.close()
