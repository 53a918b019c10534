"""``Order.apply`` is what every projection runs for every event Kafka hands it, so it must be
safe against redelivery and reordering: a duplicate changes nothing, a stale event never moves
an order backwards, and any delivery order of the same events ends in the same state."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.domain.orders.commands import PlaceOrder
from tradewind.domain.orders.events import (
    OrderAccepted,
    OrderAmendRequested,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderSubmitted,
    OrderUnknown,
)
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderStatus, OrderType, TimeInForce

S = OrderStatus


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


def filled(order: Order, cum: int, avg: str, *, seconds: float = 2, last: str | None = None) -> OrderFilled:
    return OrderFilled(
        **envelope(order, seconds),
        fill_id=f"f-{cum}",
        side=order.side,
        fill_qty=cum,
        fill_price=Decimal(last or avg),
        cum_qty=cum,
        avg_price=Decimal(avg),
        leaves_qty=order.qty - cum,
        order_qty=order.qty,
        broker_order_id="P-000001",
    )


def snapshot(order: Order) -> tuple[object, ...]:
    return (
        order.status,
        order.qty,
        order.filled_qty,
        order.filled_avg_price,
        order.reason,
        order.broker_order_id,
        order.updated_at,
    )


def test_a_new_order_is_pending_and_records_its_submission() -> None:
    order = new_order()
    assert order.status is S.PENDING and order.filled_qty == 0 and order.leaves_qty == 100
    assert [type(e) for e in order.events] == [OrderSubmitted]
    assert order.apply(order.events[0]) is False  # the order was born from it: nothing to do


def test_accepted_then_partial_then_filled_in_order() -> None:
    order = new_order()
    assert order.apply(accepted(order))
    assert (order.status, order.broker_order_id) == (S.ACCEPTED, "P-000001")
    assert order.apply(filled(order, 60, "100.10"))
    assert (order.status, order.filled_qty, order.leaves_qty) == (S.PARTIALLY_FILLED, 60, 40)
    assert order.apply(filled(order, 100, "100.05", seconds=3))
    assert (order.status, order.filled_qty, order.filled_avg_price) == (S.FILLED, 100, Decimal("100.05"))
    assert order.leaves_qty == 0 and order.is_final
    assert order.updated_at == order.created_at + timedelta(seconds=3)


def test_a_duplicate_accept_changes_nothing() -> None:
    order = new_order()
    event = accepted(order)
    assert order.apply(event) is True
    before = snapshot(order)
    assert order.apply(event) is False
    assert snapshot(order) == before


def test_a_duplicate_fill_with_the_same_cum_qty_changes_nothing() -> None:
    order = new_order()
    fill = filled(order, 60, "100.10")
    assert order.apply(fill) is True
    before = snapshot(order)
    assert order.apply(fill) is False
    assert order.apply(filled(order, 60, "999")) is False  # same cum_qty under another fill id
    assert snapshot(order) == before and order.filled_qty == 60


def test_accepted_after_filled_does_not_reopen_the_order() -> None:
    order = new_order()
    order.apply(filled(order, 100, "100"))
    assert order.apply(accepted(order, seconds=5)) is False
    assert order.status is S.FILLED


def test_an_older_partial_after_the_complete_fill_is_ignored() -> None:
    order = new_order()
    order.apply(filled(order, 100, "100.05", seconds=3))
    assert order.apply(filled(order, 60, "100.10", seconds=2)) is False
    assert (order.status, order.filled_qty, order.filled_avg_price) == (S.FILLED, 100, Decimal("100.05"))


def test_accepted_after_partially_filled_is_ignored() -> None:
    order = new_order()
    order.apply(filled(order, 60, "100.10"))
    assert order.apply(accepted(order)) is False
    assert (order.status, order.filled_qty) == (S.PARTIALLY_FILLED, 60)


def test_a_fill_after_cancel_is_applied() -> None:
    order = new_order()
    order.apply(accepted(order))
    assert order.apply(OrderCanceled(**envelope(order, 2)))
    assert order.status is S.CANCELED
    assert order.apply(filled(order, 40, "100.20", seconds=3))
    assert (order.status, order.filled_qty) == (S.PARTIALLY_FILLED, 40)
    assert order.apply(filled(order, 100, "100.10", seconds=4))
    assert (order.status, order.filled_qty) == (S.FILLED, 100)


def test_a_cancel_after_the_complete_fill_is_ignored() -> None:
    order = new_order()
    order.apply(filled(order, 100, "100"))
    assert order.apply(OrderCanceled(**envelope(order, 5))) is False
    assert order.status is S.FILLED


def test_a_complete_fill_wins_over_any_final_status() -> None:
    """The broker is authoritative about a complete fill, even over a rejection we were told of."""
    order = new_order()
    order.apply(OrderRejected(**envelope(order), reason="venue closed"))
    assert order.apply(filled(order, 100, "100"))
    assert order.status is S.FILLED


def test_reconciliation_resolves_an_unknown_order() -> None:
    order = new_order()
    assert order.apply(OrderUnknown(**envelope(order), reason="no answer"))
    assert (order.status, order.reason) == (S.UNKNOWN, "no answer")
    assert order.apply(accepted(order, seconds=2))
    assert order.status is S.ACCEPTED


def test_reconciled_accept_of_an_order_with_fills_keeps_it_partially_filled() -> None:
    """A late ``unknown`` (it travels on another topic than the fill) then the reconciliation's
    ``accepted`` must not show a partly filled order as merely accepted."""
    order = new_order()
    order.apply(filled(order, 60, "100.10"))
    order.apply(OrderUnknown(**envelope(order, 3), reason="no answer"))
    order.apply(accepted(order, seconds=4))
    assert (order.status, order.filled_qty) == (S.PARTIALLY_FILLED, 60)


def test_a_replace_of_a_partly_filled_order_keeps_it_partially_filled() -> None:
    order = new_order()
    order.apply(accepted(order))
    order.apply(filled(order, 60, "100.10"))
    assert order.apply(OrderAmendRequested(**envelope(order, 3), qty=150))
    assert order.status is S.PENDING_REPLACE
    assert order.apply(OrderReplaced(**envelope(order, 4), qty=150, limit_price=Decimal("101")))
    assert (order.qty, order.limit_price, order.status) == (150, Decimal("101"), S.PARTIALLY_FILLED)


def test_a_replace_of_an_unfilled_order_makes_it_accepted_again() -> None:
    order = new_order()
    order.apply(accepted(order))
    order.apply(OrderAmendRequested(**envelope(order, 2), qty=80))
    assert order.apply(OrderReplaced(**envelope(order, 2), qty=80))
    assert (order.qty, order.limit_price, order.status) == (80, Decimal("100"), S.ACCEPTED)


def test_a_replace_of_a_final_order_is_ignored() -> None:
    order = new_order()
    order.apply(OrderExpired(**envelope(order)))
    assert order.apply(OrderReplaced(**envelope(order, 2), qty=80)) is False
    assert (order.qty, order.status) == (100, S.EXPIRED)


# -- any delivery order converges ----------------------------------------------------------------


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[int], list[Decimal], list[int]]:
    """Fill sizes, fill prices, and a delivery order: every event index at least once, some twice."""
    sizes = draw(st.lists(st.integers(1, 500), min_size=1, max_size=6))
    prices = draw(
        st.lists(
            st.decimals(min_value=Decimal("1"), max_value=Decimal("500"), places=2),
            min_size=len(sizes),
            max_size=len(sizes),
        )
    )
    n_events = 1 + len(sizes)  # accepted, then the fills
    duplicates = draw(st.lists(st.integers(0, n_events - 1), max_size=n_events))
    order = draw(st.permutations(list(range(n_events)) + duplicates))
    return sizes, prices, order


def fill_sequence(order: Order, sizes: list[int], prices: list[Decimal]) -> list[OrderEvent]:
    events: list[OrderEvent] = [accepted(order)]
    cum, notional = 0, Decimal(0)
    for i, (size, price) in enumerate(zip(sizes, prices, strict=True)):
        cum += size
        notional += size * price
        events.append(
            OrderFilled(
                **envelope(order, 2 + i),
                fill_id=f"f-{i}",
                side=order.side,
                fill_qty=size,
                fill_price=price,
                cum_qty=cum,
                avg_price=notional / cum,
                leaves_qty=order.qty - cum,
                order_qty=order.qty,
                broker_order_id="P-000001",
            )
        )
    return events


@settings(max_examples=200, deadline=None, database=None)
@given(deliveries())
def test_any_order_of_delivery_with_duplicates_ends_like_the_in_order_one(
    drawn: tuple[list[int], list[Decimal], list[int]],
) -> None:
    sizes, prices, delivery = drawn
    template = new_order(qty=sum(sizes))
    events = fill_sequence(template, sizes, prices)

    in_order = Order.from_submitted(template.events[0])
    for event in events:
        in_order.apply(event)
    shuffled = Order.from_submitted(template.events[0])
    shuffled.apply(template.events[0])  # the submission itself may be redelivered too
    for index in delivery:
        shuffled.apply(events[index])

    assert in_order.status is S.FILLED and in_order.filled_qty == sum(sizes)
    assert in_order.filled_avg_price == events[-1].avg_price  # type: ignore[attr-defined]
    assert type(in_order.filled_avg_price) is Decimal
    assert snapshot(shuffled) == snapshot(in_order)
