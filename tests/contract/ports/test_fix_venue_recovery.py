"""What only the FIX venue does, with real processes: its book survives a kill -9, fills made
while the gateway's adapter was away reach it when it comes back (QuickFIX's resend from the
persisted store), a connection dropped mid-order reconnects and resends the gap, and DAY orders
expire when the replayed session closes while GTC orders stay.

Every wait is on a condition with a deadline (``wait_until``), never a fixed sleep."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from broker_adapter_contract import D, ReportLog, is_final, limit, market
from fix_venue import VenueProcess, fix_broker, wait_until
from tcp_cut import TcpCut

from tradewind.adapters.aws.settings import Settings
from tradewind.adapters.broker.fix.adapter import FixBroker
from tradewind.application.execution.broker import ConnectionEvents, ExecType, ExecutionReport
from tradewind.domain.orders.status import OrderSide, TimeInForce


@pytest.fixture
def venue(services: Settings, tmp_path: Path) -> Iterator[VenueProcess]:
    process = VenueProcess(tmp_path, services.redis_port)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def brokers() -> Iterator[list[FixBroker]]:
    started: list[FixBroker] = []
    yield started
    for broker in started:
        broker.stop()


def connect(venue: VenueProcess, store: Path, brokers: list[FixBroker]) -> tuple[FixBroker, ReportLog]:
    log = ReportLog()
    broker = fix_broker(venue, store, log)  # the log hears the resend that follows the logon
    brokers.append(broker)
    return broker, log


RECOVERY = 30.0  # seconds: a reconnect, a logon and a resend on a machine shared with others


def final_after_recovery(log: ReportLog, client_order_id: str) -> list[ExecutionReport]:
    """The order's reports once its final one arrived after a reconnect (a longer deadline than
    the contract's: QuickFIX reconnects every second, then asks for the gap)."""
    wait_until(
        lambda: any(is_final(r) for r in log.reports(client_order_id)),
        f"a final report for {client_order_id}",
        timeout=RECOVERY,
    )
    return log.reports(client_order_id)


def fill_qty(log: ReportLog, client_order_id: str) -> int:
    return sum(r.last_qty for r in log.of_type(client_order_id, ExecType.FILL))


def test_resting_orders_survive_a_kill_9_of_the_venue_and_fill_after_it(
    venue: VenueProcess, tmp_path: Path, brokers: list[FixBroker]
) -> None:
    broker, log = connect(venue, tmp_path / "gateway-fix", brokers)
    venue.feed("AAPL", D("100.00"), D("100.10"))
    gtc = limit("AAPL", OrderSide.BUY, 10, "99.50", TimeInForce.GTC)
    day = limit("AAPL", OrderSide.SELL, 5, "101.00", TimeInForce.DAY)
    filled = market("AAPL", OrderSide.BUY, 3)
    for order in (gtc, day, filled):
        broker.submit(order)
    log.wait_for(gtc.client_order_id, ExecType.NEW)
    log.wait_for(day.client_order_id, ExecType.NEW)
    log.wait_final(filled.client_order_id)
    before = broker.order_state(filled.client_order_id)

    venue.kill9()
    wait_until(lambda: not broker.logged_on, "the adapter to notice the venue is gone")
    venue.start()
    wait_until(lambda: broker.logged_on, "the adapter to log on again")

    resting = {s.client_order_id: s for s in broker.open_orders()}
    assert set(resting) == {gtc.client_order_id, day.client_order_id}
    assert (resting[gtc.client_order_id].leaves_qty, resting[gtc.client_order_id].account) == (10, gtc.account)
    after = broker.order_state(filled.client_order_id)
    assert after is not None and before is not None
    assert (after.cum_qty, after.avg_price, [f.exec_id for f in after.fills]) == (
        before.cum_qty,
        before.avg_price,
        [f.exec_id for f in before.fills],
    )
    assert after.broker_order_id == before.broker_order_id

    venue.feed("AAPL", D("99.40"), D("99.50"))  # the restarted venue works the restored book
    got = final_after_recovery(log, gtc.client_order_id)
    assert (got[-1].exec_type, got[-1].cum_qty, got[-1].last_price) == (ExecType.FILL, 10, D("99.50"))
    again = market("AAPL", OrderSide.BUY, 1)  # broker order ids continue, never reused
    broker.submit(again)
    new_id = log.wait_final(again.client_order_id)[-1].broker_order_id
    assert new_id not in {after.broker_order_id, resting[gtc.client_order_id].broker_order_id}


def test_every_logon_is_told_to_the_gateway_so_it_reconciles_at_once(
    venue: VenueProcess, tmp_path: Path, brokers: list[FixBroker]
) -> None:
    """``ConnectionEvents``: the first logon and each reconnect call the connection callbacks (the
    BrokerGateway reconciles on them, not only every ``reconcile_interval_s``)."""
    logons: list[int] = []
    broker = FixBroker(venue.endpoint, tmp_path / "gateway-fix")
    assert isinstance(broker, ConnectionEvents)
    broker.register_connection_callback(lambda: logons.append(broker.logons))
    brokers.append(broker)
    broker.start()
    wait_until(lambda: logons == [1], "the first logon told")
    venue.kill9()
    wait_until(lambda: not broker.logged_on, "the adapter to notice the venue is gone")
    venue.start()
    wait_until(lambda: logons == [1, 2], "the reconnect told", timeout=RECOVERY)


def test_fills_made_while_the_adapter_was_away_reach_it_when_it_comes_back(
    venue: VenueProcess, tmp_path: Path, brokers: list[FixBroker]
) -> None:
    store = tmp_path / "gateway-fix"
    broker, _ = connect(venue, store, brokers)
    venue.feed("MSFT", D("300.00"), D("300.20"))
    order = limit("MSFT", OrderSide.BUY, 7, "299.90")
    broker.submit(order)
    wait_until(lambda: broker.order_state(order.client_order_id) is not None, "the venue to have the order")
    broker.stop()  # the gateway goes away (its FIX store stays)
    wait_until(lambda: not venue.gateway_logged_on(), "the venue to see the gateway go")

    venue.feed("MSFT", D("299.80"), D("299.90"))  # the order fills at the venue meanwhile
    again, log = connect(venue, store, brokers)  # the gateway's restart, same FIX store
    got = final_after_recovery(log, order.client_order_id)  # resent by QuickFIX: nobody asked for them
    assert (got[-1].exec_type, got[-1].cum_qty, got[-1].last_price) == (ExecType.FILL, 7, D("299.90"))
    assert {r.account for r in got} == {order.account}
    assert again.resent >= 1  # by QuickFIX's resend of the gap, not by a status request
    state = again.order_state(order.client_order_id)
    assert state is not None and [f.exec_id for f in state.fills] == [
        r.exec_id for r in got if r.exec_type == ExecType.FILL
    ]


def test_a_connection_dropped_mid_order_reconnects_and_the_gap_is_resent(
    venue: VenueProcess, tmp_path: Path, brokers: list[FixBroker]
) -> None:
    relay = TcpCut(venue.port)
    try:
        proxied = replace(venue, port=relay.port)  # the adapter dials the relay
        broker, log = connect(proxied, tmp_path / "gateway-fix", brokers)
        venue.feed("AMD", D("150.00"), D("150.10"))
        order = limit("AMD", OrderSide.SELL, 9, "150.50")
        broker.submit(order)
        log.wait_for(order.client_order_id, ExecType.NEW)

        relay.cut()
        wait_until(lambda: not broker.logged_on, "the adapter to see the connection drop")
        wait_until(lambda: not venue.gateway_logged_on(), "the venue to see the connection drop")
        venue.feed("AMD", D("150.50"), D("150.60"))  # fills while the wire is down
        partial = market("AMD", OrderSide.BUY, 2)
        relay.mend()
        wait_until(lambda: broker.logged_on, "QuickFIX to reconnect and log on")
        broker.submit(partial)

        got = final_after_recovery(log, order.client_order_id)
        assert (got[-1].exec_type, got[-1].cum_qty, got[-1].last_price) == (ExecType.FILL, 9, D("150.50"))
        assert len(log.of_type(order.client_order_id, ExecType.NEW)) == 1  # resent once, not doubled
        assert fill_qty(log, order.client_order_id) == 9
        log.wait_final(partial.client_order_id)
        assert relay.connections >= 2 and broker.logons >= 2
        assert broker.resent >= 1  # the fill crossed the gap by resend (PossDupFlag=Y)
    finally:
        relay.close()


def test_day_orders_expire_at_the_replayed_sessions_close_and_gtc_orders_stay(
    venue: VenueProcess, tmp_path: Path, brokers: list[FixBroker]
) -> None:
    broker, log = connect(venue, tmp_path / "gateway-fix", brokers)
    venue.announce_session("2022-01-03")
    venue.feed("AAPL", D("100.00"), D("100.10"))
    day = limit("AAPL", OrderSide.BUY, 10, "90.00", TimeInForce.DAY)
    gtc = limit("AAPL", OrderSide.BUY, 10, "90.00", TimeInForce.GTC)
    for order in (day, gtc):
        broker.submit(order)
        log.wait_for(order.client_order_id, ExecType.NEW)
    venue.announce_session("2022-01-03")  # the same session again: nothing expires
    assert {s.client_order_id for s in broker.open_orders()} == {day.client_order_id, gtc.client_order_id}

    venue.announce_session("2022-01-04")  # the replay moved to the next day: the session closed
    got = log.wait_final(day.client_order_id)
    assert (got[-1].exec_type, got[-1].leaves_qty, got[-1].reason) == (ExecType.EXPIRED, 0, "day order expired")
    assert [s.client_order_id for s in broker.open_orders()] == [gtc.client_order_id]

    # the session day is part of the book: a close while the venue was down is seen after it
    later = limit("AAPL", OrderSide.BUY, 1, "90.00", TimeInForce.DAY)
    broker.submit(later)
    log.wait_for(later.client_order_id, ExecType.NEW)
    venue.kill9()
    venue.start()
    wait_until(lambda: broker.logged_on, "the adapter to log on again")
    assert venue.session_day() == "2022-01-04"
    venue.announce_session("2022-01-05")
    assert final_after_recovery(log, later.client_order_id)[-1].exec_type == ExecType.EXPIRED
    assert [s.client_order_id for s in broker.open_orders()] == [gtc.client_order_id]


def test_a_store_that_is_not_the_venues_session_is_logged_with_the_venues_reason(
    venue: VenueProcess, tmp_path: Path, brokers: list[FixBroker], caplog: pytest.LogCaptureFixture
) -> None:
    """A gateway started with another FIX store (another working directory, a deleted store)
    sends sequence numbers the venue has passed: the venue logs it out at every logon, forever.
    The gateway must say so, with the venue's reason and the store it used, not only "logged out"."""
    broker, _ = connect(venue, tmp_path / "gateway-fix", brokers)  # the session's numbers move on
    broker.stop()
    caplog.set_level(logging.ERROR, logger="tradewind.adapters.broker.fix.adapter")
    stranger = FixBroker(venue.endpoint, tmp_path / "another-store", logon_timeout=0.1)
    brokers.append(stranger)
    stranger.start()

    def told() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.getMessage() == "the venue logged the FIX session out"]

    wait_until(lambda: bool(told()), "the venue logout", timeout=8)
    record = told()[0]
    assert "MsgSeqNum too low" in record.reason  # type: ignore[attr-defined]
    assert record.store == str((tmp_path / "another-store").resolve())  # type: ignore[attr-defined]
    assert not stranger.logged_on
