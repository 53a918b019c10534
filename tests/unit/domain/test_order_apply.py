"""``Order.apply`` is the one way an order changes, in the OMS ledger and in every projection.

It follows the transition table and nothing else: a move that is not in the table raises
``InvalidTransition``, a fill that adds nothing raises ``StaleReport``, and a refused event
leaves the order exactly as it was. The ledger applies each event once and in order and numbers
it, so whoever applies the ledger's events in order arrives at the ledger's order."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.domain.errors import InvalidTransition, OrderNotAmendable, OrderNotCancelable, StaleReport
from tradewind.domain.orders.commands import AmendOrder, CancelOrder, PlaceOrder
from tradewind.domain.orders.events import (
    OrderAccepted,
    OrderAmendRequested,
    OrderBrokerUnavailable,
    OrderCanceled,
    OrderCancelRejected,
    OrderCancelRequested,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderReplaceRejected,
    OrderSubmitted,
    OrderUnknown,
)
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import TRANSITIONS, OrderSide, OrderStatus, OrderType, TimeInForce, Trigger

S = OrderStatus
T = Trigger


def new_order(qty: int = 100) -> Order:
    return Order.submit(
        PlaceOrder(
            account_id=uuid.uuid4(),
            symbol="AAPL",
            side=OrderSide.BUY,
            qty=qty,
            order_type=OrderType.LIMIT,
            time_in_force=TimeInForce.GTC,
            client_order_id="c-1",
            limit_price=Decimal("100"),
        )
    )


def envelope(order: Order, seconds: float = 1) -> dict[str, Any]:
    return {
        "correlation_id": order.correlation_id,
        "account_id": order.account_id,
        "order_id": order.id,
        "symbol": order.symbol,
        "occurred_at": order.created_at + timedelta(seconds=seconds),
    }


def accepted(order: Order, seconds: float = 1) -> OrderAccepted:
    return OrderAccepted(**envelope(order, seconds), broker_order_id="P-000001")


def filled(
    order: Order, cum: int, avg: str, *, seconds: float = 2, last_qty: int | None = None, order_qty: int | None = None
) -> OrderFilled:
    return OrderFilled(
        **envelope(order, seconds),
        fill_id=f"f-{cum}",
        side=order.side,
        fill_qty=last_qty if last_qty is not None else cum,
        fill_price=Decimal(avg),
        cum_qty=cum,
        avg_price=Decimal(avg),
        leaves_qty=max((order_qty or order.qty) - cum, 0),
        order_qty=order_qty or order.qty,
        broker_order_id="P-000001",
    )


def snapshot(order: Order) -> tuple[object, ...]:
    return (
        order.status,
        order.qty,
        order.limit_price,
        order.filled_qty,
        order.filled_avg_price,
        order.reason,
        order.broker_order_id,
        order.pending_qty,
        order.pending_limit_price,
        order.order_seq,
        order.updated_at,
    )


def test_a_new_order_is_pending_and_records_its_submission() -> None:
    order = new_order()
    assert order.status is S.PENDING and order.filled_qty == 0 and order.leaves_qty == 100
    assert order.placed_qty == 100 and order.order_seq == 0
    assert [type(e) for e in order.events] == [OrderSubmitted]
    before = snapshot(order)
    with pytest.raises(InvalidTransition):  # the order was born from it: it cannot happen twice
        order.apply(order.events[0])
    assert snapshot(order) == before


def test_accepted_then_partial_then_filled_in_order() -> None:
    order = new_order()
    assert order.apply(accepted(order)) is None
    assert (order.status, order.broker_order_id) == (S.ACCEPTED, "P-000001")
    order.apply(filled(order, 60, "100.10"))
    assert (order.status, order.filled_qty, order.leaves_qty) == (S.PARTIALLY_FILLED, 60, 40)
    order.apply(filled(order, 100, "100.05", seconds=3, last_qty=40))
    assert (order.status, order.filled_qty, order.filled_avg_price) == (S.FILLED, 100, Decimal("100.05"))
    assert order.leaves_qty == 0 and order.is_final
    assert order.updated_at == order.created_at + timedelta(seconds=3)


def test_a_reconciliation_ack_of_a_working_order_keeps_it_working() -> None:
    order = new_order()
    order.apply(accepted(order))
    order.apply(accepted(order, seconds=5))
    assert order.status is S.ACCEPTED
    order.apply(filled(order, 60, "100.10"))
    order.apply(accepted(order, seconds=6))  # an ack never makes a partly filled order "accepted"
    assert (order.status, order.filled_qty) == (S.PARTIALLY_FILLED, 60)


def test_a_duplicate_fill_raises_stale_report_and_changes_nothing() -> None:
    order = new_order()
    order.apply(accepted(order))
    fill = filled(order, 60, "100.10")
    order.apply(fill)
    before = snapshot(order)
    with pytest.raises(StaleReport):
        order.apply(fill)
    with pytest.raises(StaleReport):  # the same cum_qty under another fill id
        order.apply(filled(order, 60, "999"))
    with pytest.raises(StaleReport):  # less than is already filled
        order.apply(filled(order, 30, "999"))
    assert snapshot(order) == before and order.filled_qty == 60


def test_an_ack_after_the_complete_fill_is_an_invalid_transition() -> None:
    order = new_order()
    order.apply(filled(order, 100, "100"))
    assert order.status is S.FILLED  # the fill overtook the acknowledgement
    before = snapshot(order)
    with pytest.raises(InvalidTransition) as caught:
        order.apply(accepted(order, seconds=5))
    assert (caught.value.current, caught.value.trigger) == (S.FILLED, T.ACK)
    assert snapshot(order) == before


def test_an_older_partial_after_the_complete_fill_is_an_invalid_transition() -> None:
    order = new_order()
    order.apply(filled(order, 100, "100.05", seconds=3))
    with pytest.raises(InvalidTransition):
        order.apply(filled(order, 60, "100.10", seconds=2))
    assert (order.status, order.filled_qty, order.filled_avg_price) == (S.FILLED, 100, Decimal("100.05"))


def test_a_fill_after_cancel_is_counted_and_keeps_the_order_canceled_unless_complete() -> None:
    order = new_order()
    order.apply(accepted(order))
    order.apply(OrderCanceled(**envelope(order, 2)))
    assert order.status is S.CANCELED and order.leaves_qty == 0
    order.apply(filled(order, 40, "100.20", seconds=3))
    assert (order.status, order.filled_qty, order.filled_avg_price) == (S.CANCELED, 40, Decimal("100.20"))
    assert order.leaves_qty == 0  # still reserves nothing
    order.apply(filled(order, 100, "100.10", seconds=4, last_qty=60))
    assert (order.status, order.filled_qty) == (S.FILLED, 100)


def test_a_cancel_after_the_complete_fill_is_an_invalid_transition() -> None:
    order = new_order()
    order.apply(filled(order, 100, "100"))
    with pytest.raises(InvalidTransition):
        order.apply(OrderCanceled(**envelope(order, 5)))
    assert order.status is S.FILLED


def test_a_fill_of_a_rejected_order_is_an_invalid_transition() -> None:
    """Only the documented edges leave a final status: a rejected order does not fill."""
    order = new_order()
    order.apply(OrderRejected(**envelope(order), reason="venue closed"))
    with pytest.raises(InvalidTransition):
        order.apply(filled(order, 100, "100"))
    assert (order.status, order.filled_qty, order.reason) == (S.REJECTED, 0, "venue closed")


def test_reconciliation_resolves_an_unknown_order() -> None:
    order = new_order()
    order.apply(OrderUnknown(**envelope(order), reason="no answer"))
    assert (order.status, order.reason) == (S.UNKNOWN, "no answer")
    order.apply(accepted(order, seconds=2))
    assert order.status is S.ACCEPTED


def test_reconciled_accept_of_an_order_with_fills_keeps_it_partially_filled() -> None:
    order = new_order()
    order.apply(accepted(order))
    order.apply(filled(order, 60, "100.10"))
    order.apply(OrderUnknown(**envelope(order, 3), reason="no answer"))
    order.apply(accepted(order, seconds=4))
    assert (order.status, order.filled_qty) == (S.PARTIALLY_FILLED, 60)


def test_a_broker_unavailable_order_the_venue_had_after_all_comes_back() -> None:
    order = new_order()
    order.apply(OrderBrokerUnavailable(**envelope(order), reason="broker down"))
    assert order.is_final
    order.apply(filled(order, 30, "100", seconds=2))
    assert (order.status, order.filled_qty, order.leaves_qty) == (S.PARTIALLY_FILLED, 30, 70)


# -- requests ------------------------------------------------------------------------------------


def test_request_cancel_applies_its_event_and_makes_the_order_pending_cancel() -> None:
    order = new_order()
    order.apply(accepted(order))
    event = order.request_cancel(CancelOrder(account_id=order.account_id, order_id=order.id))
    assert isinstance(event, OrderCancelRequested) and order.events[-1] is event
    assert order.status is S.PENDING_CANCEL and order.leaves_qty == 100  # still working until the venue says
    with pytest.raises(OrderNotCancelable, match="already has a cancel in flight"):
        order.request_cancel(CancelOrder(account_id=order.account_id, order_id=order.id))
    assert order.events[-1] is event


def test_a_final_order_is_not_cancelable() -> None:
    order = new_order()
    order.apply(filled(order, 100, "100"))
    with pytest.raises(OrderNotCancelable, match="filled"):
        order.request_cancel(CancelOrder(account_id=order.account_id, order_id=order.id))
    assert order.status is S.FILLED and len(order.events) == 1


def test_a_cancel_the_venue_refuses_puts_the_order_back_to_work() -> None:
    order = new_order()
    order.apply(accepted(order))
    order.apply(filled(order, 30, "100"))
    order.request_cancel(CancelOrder(account_id=order.account_id, order_id=order.id))
    order.apply(filled(order, 50, "100", seconds=3, last_qty=20))  # a fill while the cancel is in flight
    assert (order.status, order.filled_qty) == (S.PENDING_CANCEL, 50)
    order.apply(OrderCancelRejected(**envelope(order, 4), reason="too late to cancel"))
    assert order.status is S.PARTIALLY_FILLED
    assert order.reason is None  # a refusal of a request is not the order's reason


def test_request_amend_records_the_pending_size_and_price() -> None:
    order = new_order()
    order.apply(accepted(order))
    event = order.request_amend(
        AmendOrder(account_id=order.account_id, order_id=order.id, qty=150, limit_price=Decimal("99"))
    )
    assert isinstance(event, OrderAmendRequested) and order.events[-1] is event
    assert (order.status, order.pending_qty, order.pending_limit_price) == (S.PENDING_REPLACE, 150, Decimal("99"))
    assert (order.qty, order.limit_price) == (100, Decimal("100"))  # not until the venue confirms
    largest = order.at_largest()
    assert (largest.qty, largest.limit_price) == (150, Decimal("100"))  # larger size, higher limit
    assert largest is not order and order.qty == 100
    with pytest.raises(OrderNotAmendable, match="already has an amend in flight"):
        order.request_amend(AmendOrder(account_id=order.account_id, order_id=order.id, qty=120))


def test_at_largest_of_an_amend_down_keeps_the_old_size_until_the_venue_answers() -> None:
    order = new_order()
    order.apply(accepted(order))
    order.request_amend(AmendOrder(account_id=order.account_id, order_id=order.id, qty=40, limit_price=Decimal("101")))
    largest = order.at_largest()
    assert (largest.qty, largest.limit_price) == (100, Decimal("101"))
    assert new_order().at_largest().qty == 100


def test_an_unacknowledged_order_cannot_be_amended() -> None:
    order = new_order()
    with pytest.raises(OrderNotAmendable, match="not yet acknowledged"):
        order.request_amend(AmendOrder(account_id=order.account_id, order_id=order.id, qty=150))
    assert (order.status, order.pending_qty, len(order.events)) == (S.PENDING, None, 1)


def test_an_amend_to_the_filled_qty_or_below_is_refused() -> None:
    order = new_order()
    order.apply(accepted(order))
    order.apply(filled(order, 60, "100"))
    with pytest.raises(OrderNotAmendable) as caught:
        order.request_amend(AmendOrder(account_id=order.account_id, order_id=order.id, qty=60))
    assert caught.value.field == "qty"
    assert order.status is S.PARTIALLY_FILLED and order.pending_qty is None


def test_a_replace_of_a_partly_filled_order_sets_qty_and_keeps_it_partially_filled() -> None:
    order = new_order()
    order.apply(accepted(order))
    order.apply(filled(order, 60, "100.10"))
    order.apply(OrderAmendRequested(**envelope(order, 3), qty=150))
    assert (order.status, order.pending_qty) == (S.PENDING_REPLACE, 150)
    order.apply(OrderReplaced(**envelope(order, 4), qty=150, limit_price=Decimal("101")))
    assert (order.qty, order.limit_price, order.status) == (150, Decimal("101"), S.PARTIALLY_FILLED)
    assert (order.pending_qty, order.pending_limit_price, order.placed_qty) == (None, None, 100)


def test_a_replace_of_an_unfilled_order_makes_it_accepted_again() -> None:
    order = new_order()
    order.apply(accepted(order))
    order.apply(OrderAmendRequested(**envelope(order, 2), qty=80))
    order.apply(OrderReplaced(**envelope(order, 2), qty=80))
    assert (order.qty, order.limit_price, order.status) == (80, Decimal("100"), S.ACCEPTED)


def test_a_replace_down_to_what_filled_meanwhile_completes_the_order() -> None:
    # Amend 100 -> 60 accepted while nothing had filled; 60 fill before the venue confirms the
    # replace. Nothing is left to work: the order is filled, not partially_filled with 0 leaves
    # (found by the order-core property test; it stayed open and reserved buying power).
    order = new_order()
    order.apply(accepted(order))
    order.apply(OrderAmendRequested(**envelope(order, 2), qty=60))
    order.apply(filled(order, 60, "100", seconds=3))
    assert order.status is S.PENDING_REPLACE
    order.apply(OrderReplaced(**envelope(order, 4), qty=60))
    assert (order.status, order.qty, order.leaves_qty, order.pending_qty) == (S.FILLED, 60, 0, None)


def test_a_refused_amend_leaves_the_order_as_it_was() -> None:
    order = new_order()
    order.apply(accepted(order))
    order.apply(OrderAmendRequested(**envelope(order, 2), qty=150, limit_price=Decimal("101")))
    order.apply(OrderReplaceRejected(**envelope(order, 3), reason="venue refused"))
    assert (order.status, order.qty, order.limit_price) == (S.ACCEPTED, 100, Decimal("100"))
    assert (order.pending_qty, order.pending_limit_price, order.reason) == (None, None, None)


def test_a_fill_with_the_pre_amend_quantity_does_not_put_the_qty_back_up() -> None:
    order = new_order()
    order.apply(accepted(order))
    order.apply(OrderAmendRequested(**envelope(order, 2), qty=80))
    order.apply(OrderReplaced(**envelope(order, 3), qty=80))
    order.apply(filled(order, 80, "100", seconds=4, order_qty=100))  # the venue's report still says 100
    assert (order.status, order.qty, order.filled_qty, order.leaves_qty) == (S.FILLED, 80, 80, 0)


def test_a_replace_of_a_final_order_is_an_invalid_transition() -> None:
    order = new_order()
    order.apply(OrderExpired(**envelope(order)))
    with pytest.raises(InvalidTransition):
        order.apply(OrderReplaced(**envelope(order, 2), qty=80))
    assert (order.qty, order.status) == (100, S.EXPIRED)


def test_the_order_follows_the_numbers_of_its_events() -> None:
    order = new_order()
    order.apply(accepted(order).numbered(2, 17))
    assert order.order_seq == 2
    order.apply(OrderUnknown(**envelope(order, 2), reason="no answer"))  # unnumbered: keeps the last
    assert order.order_seq == 2


# -- the ledger's events, applied in order, give the ledger's order --------------------------------

ALL_TRIGGERS = sorted(Trigger)


def event_for(order: Order, trigger: Trigger, at: int, draw: st.DrawFn) -> OrderEvent | None:
    """An event that means ``trigger`` for ``order`` as it is now (None when no such event fits)."""
    env = envelope(order, at)
    if trigger in (T.FILL_PARTIAL, T.FILL_COMPLETE):
        if trigger is T.FILL_COMPLETE:
            cum = order.qty
        elif order.filled_qty + 1 < order.qty:
            cum = draw(st.integers(order.filled_qty + 1, order.qty - 1))
        else:
            return None
        last = cum - order.filled_qty
        price = draw(st.decimals(min_value=Decimal("1"), max_value=Decimal("500"), places=2))
        notional = (order.filled_avg_price or Decimal(0)) * order.filled_qty + price * last
        return OrderFilled(
            **env,
            fill_id=f"f-{at}",
            side=order.side,
            fill_qty=last,
            fill_price=price,
            cum_qty=cum,
            avg_price=notional / cum,
            leaves_qty=order.qty - cum,
            order_qty=order.qty,
            broker_order_id="P-1",
        )
    if trigger is T.AMEND_REQUESTED or trigger is T.REPLACED:
        qty = draw(st.integers(order.filled_qty + 1, order.filled_qty + 300))
        price = draw(st.none() | st.decimals(min_value=Decimal("1"), max_value=Decimal("500"), places=2))
        if trigger is T.REPLACED:
            return OrderReplaced(**env, qty=order.pending_qty or qty, limit_price=order.pending_limit_price or price)
        return OrderAmendRequested(**env, qty=qty, limit_price=price)
    simple: dict[Trigger, OrderEvent] = {
        T.ACK: OrderAccepted(**env, broker_order_id="P-1"),
        T.CANCEL_REQUESTED: OrderCancelRequested(**env),
        T.CANCELED: OrderCanceled(**env, reason="user"),
        T.CANCEL_REJECTED: OrderCancelRejected(**env, reason="too late"),
        T.REPLACE_REJECTED: OrderReplaceRejected(**env, reason="refused"),
        T.REJECTED: OrderRejected(**env, reason="venue closed"),
        T.EXPIRED: OrderExpired(**env, reason="day order"),
        T.UNKNOWN: OrderUnknown(**env, reason="no answer"),
        T.BROKER_UNAVAILABLE: OrderBrokerUnavailable(**env, reason="down"),
    }
    return simple[trigger]


@st.composite
def ledger_histories(draw: st.DrawFn) -> tuple[Order, list[OrderEvent], int]:
    """An order as the ledger evolves it: each step a trigger that is legal now (mostly) or any
    trigger at all (an impossible report, which the ledger refuses and does not number)."""
    ledger = new_order(qty=draw(st.integers(1, 500)))
    submitted = ledger.events[0].numbered(1, 1)
    ledger.order_seq = 1
    history: list[OrderEvent] = [submitted]
    refused = 0
    for at in range(1, draw(st.integers(1, 25))):
        legal = sorted({t for (s, t) in TRANSITIONS if s is ledger.status})
        mostly_legal = legal and draw(st.integers(0, 4)) > 0
        trigger = draw(st.sampled_from(legal if mostly_legal else ALL_TRIGGERS))
        event = event_for(ledger, trigger, at, draw)
        if event is None:
            continue
        event = event.numbered(ledger.order_seq + 1, len(history) + 1)
        before = snapshot(ledger)
        try:
            ledger.apply(event)
        except (InvalidTransition, StaleReport):
            assert snapshot(ledger) == before  # refused: the ledger is as it was
            refused += 1
            continue
        history.append(event)
    return ledger, history, refused


@settings(max_examples=300, deadline=None, database=None)
@given(ledger_histories())
def test_applying_the_ledgers_events_in_order_gives_the_ledgers_order(
    drawn: tuple[Order, list[OrderEvent], int],
) -> None:
    ledger, history, _ = drawn
    submitted = history[0]
    assert isinstance(submitted, OrderSubmitted)
    replayed = Order.from_submitted(submitted)
    for event in history[1:]:
        replayed.apply(event)  # never raises: the ledger applied each of these in this order
    assert replayed == ledger
    assert snapshot(replayed) == snapshot(ledger)
    assert [e.order_seq for e in history] == list(range(1, len(history) + 1))
    assert replayed.order_seq == len(history)
    assert replayed.status is not S.FILLED or replayed.filled_qty >= replayed.qty
