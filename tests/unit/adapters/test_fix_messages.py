"""The FIX 4.4 order messages both ends share (``adapters/broker/fix/messages.py``): what the
gateway writes the venue reads back unchanged, money stays exact and never in exponent notation,
and a field we cannot read is named by its tag. No session, no socket."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import quickfix as fix

from tradewind.adapters.broker.fix import messages as m
from tradewind.application.execution.broker import BrokerOrder, BrokerOrderState, ExecType, ExecutionReport
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

ACCOUNT = "0b5c9a4e-8a51-4c1e-9a3e-3f7f0a1d2c11"
NOW = datetime(2026, 12, 1, 14, 30, 15, 123000, tzinfo=UTC)


def wire(msg: fix.Message) -> fix.Message:
    """Through the bytes, as the other end gets it."""
    return fix.Message(msg.toString(), False)


@pytest.mark.parametrize(
    ("order_type", "tif", "limit", "stop"),
    [
        (OrderType.MARKET, TimeInForce.DAY, None, None),
        (OrderType.LIMIT, TimeInForce.GTC, Decimal("99.50"), None),
        (OrderType.STOP, TimeInForce.IOC, None, Decimal("101.00")),
        (OrderType.STOP_LIMIT, TimeInForce.FOK, Decimal("100.80"), Decimal("101.00")),
    ],
)
def test_a_new_order_single_reads_back_as_the_order_sent(
    order_type: OrderType, tif: TimeInForce, limit: Decimal | None, stop: Decimal | None
) -> None:
    order = BrokerOrder("ord-1", "AAPL", OrderSide.SELL, 25, order_type, tif, limit, stop, ACCOUNT)
    assert m.read_new_order_single(wire(m.new_order_single(order, NOW))) == order


def test_an_execution_report_reads_back_exactly_with_its_account() -> None:
    report = ExecutionReport(
        exec_id="e-1",
        exec_type=ExecType.FILL,
        client_order_id="ord-1",
        broker_order_id="P-000007",
        symbol="MSFT",
        side=OrderSide.BUY,
        order_qty=30,
        cum_qty=20,
        leaves_qty=10,
        avg_price=Decimal(1001) / Decimal(3),  # 333.6666…: 28 digits, kept whole
        last_qty=10,
        last_price=Decimal("1E+2"),  # an exponent in, a plain decimal on the wire
        limit_price=Decimal("334.00"),
        ts=NOW,
        account=ACCOUNT,
    )
    msg = wire(m.execution_report(report))
    assert msg.getField(m.LAST_PX) == "100" and msg.getField(m.ORD_STATUS) == "1"  # partially filled
    assert m.read_execution_report(msg) == report


def test_a_request_id_names_its_order() -> None:
    assert m.order_id_of("ord-1~ab12cd34-7") == "ord-1"
    assert m.order_id_of("ord-1") == "ord-1"


def test_a_status_answer_reads_back_as_the_state_and_an_unknown_order_as_none() -> None:
    state = BrokerOrderState(
        client_order_id="ord-2",
        broker_order_id="P-000002",
        symbol="KO",
        side=OrderSide.SELL,
        order_qty=12,
        cum_qty=0,
        leaves_qty=0,
        avg_price=None,
        status=ExecType.REPLACED,
        account=ACCOUNT,
        limit_price=Decimal("61.25"),
    )
    msg = wire(m.status_report(state, ord_status_req_id="st-1", last=True))
    assert (msg.getField(m.EXEC_TYPE), msg.getField(m.LAST_RPT_REQUESTED)) == ("I", "Y")
    assert m.read_status(msg) == state
    assert m.read_status(wire(m.unknown_order_answer("ord-3", ord_status_req_id="st-2", last=True))) is None


@pytest.mark.parametrize(
    ("tag", "value", "words"),
    [(m.SIDE, "7", "Side"), (m.ORDER_QTY, "2.5", "whole number"), (m.ORD_TYPE, "P", "OrdType")],
)
def test_a_field_the_venue_cannot_read_is_named_by_its_tag(tag: int, value: str, words: str) -> None:
    order = BrokerOrder("ord-1", "AAPL", OrderSide.BUY, 5, OrderType.MARKET, TimeInForce.DAY, account=ACCOUNT)
    msg = m.new_order_single(order, NOW)
    msg.setField(tag, value)
    with pytest.raises(m.MalformedMessage, match=words) as caught:
        m.read_new_order_single(wire(msg))
    assert caught.value.tag == tag


def test_a_missing_required_field_is_named() -> None:
    msg = m.message(m.NEW_ORDER_SINGLE)
    msg.setField(m.CL_ORD_ID, "ord-1")
    with pytest.raises(m.MalformedMessage) as caught:
        m.read_new_order_single(wire(msg))
    assert caught.value.tag == m.SIDE
