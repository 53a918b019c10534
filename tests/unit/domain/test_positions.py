"""Average-cost accounting: adds, reductions, flips both ways, and 1,000 random fills against
a simple exact reference (fractions, average-price formulation)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradewind.domain.orders.status import OrderSide
from tradewind.domain.positions.position import Fill, Position

D = Decimal
T0 = datetime(2026, 1, 2, 15, 30, tzinfo=UTC)
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def fold(*fills: tuple[OrderSide, int, str]) -> Position:
    position = Position(uuid.uuid4(), "AAPL")
    for side, qty, price in fills:
        position = position.apply(Fill(side, qty, D(price), T0))
    return position


def balanced(p: Position) -> bool:
    """The books balance: the cash the fills moved is realized P&L less the open cost."""
    return p.cash_flow == p.realized_pl - p.cost_basis


def test_adding_averages_the_entry_price() -> None:
    p = fold((BUY, 10, "100"), (BUY, 10, "110"))
    assert (p.qty, p.cost_basis, p.avg_entry_price, p.realized_pl) == (20, D("2100"), D("105"), 0)
    assert p.cash_flow == D("-2100") and p.version == 2 and p.fills == 2 and balanced(p)


def test_a_reduction_realizes_against_the_average_and_keeps_it() -> None:
    p = fold((BUY, 10, "100"), (BUY, 10, "110"), (SELL, 5, "120"))
    assert (p.qty, p.avg_entry_price, p.realized_pl) == (15, D("105"), D("75"))
    assert balanced(p)


def test_closing_flat_leaves_no_cost() -> None:
    p = fold((BUY, 3, "10.0001"), (BUY, 7, "10.0003"), (SELL, 4, "10.5"), (SELL, 6, "9.99"))
    assert p.qty == 0 and p.cost_basis == 0 and p.avg_entry_price is None and p.side == "flat"
    assert p.realized_pl == p.cash_flow == D("10.5") * 4 + D("9.99") * 6 - D("10.0001") * 3 - D("10.0003") * 7


def test_flip_long_to_short_realizes_the_long_and_opens_at_the_fill_price() -> None:
    p = fold((BUY, 10, "100"), (SELL, 25, "120"))
    assert (p.qty, p.side, p.avg_entry_price, p.cost_basis, p.realized_pl) == (-15, "short", D("120"), D("-1800"), 200)
    assert balanced(p)


def test_flip_short_to_long_and_back() -> None:
    p = fold((SELL, 10, "50"), (BUY, 4, "45"))
    assert (p.qty, p.avg_entry_price, p.realized_pl) == (-6, D("50"), D("20"))
    p = p.apply(Fill(BUY, 10, D("40"), T0))
    assert (p.qty, p.avg_entry_price, p.realized_pl) == (4, D("40"), D("80"))
    p = p.apply(Fill(SELL, 9, D("41"), T0))
    assert (p.qty, p.avg_entry_price, p.realized_pl) == (-5, D("41"), D("84"))
    assert balanced(p) and p.bought_qty == 14 and p.sold_qty == 19


def test_unrealized_and_market_value_at_a_mark() -> None:
    long, short = fold((BUY, 10, "100")), fold((SELL, 10, "100"))
    assert (long.market_value(D("101.5")), long.unrealized_pl(D("101.5"))) == (D("1015"), D("15"))
    assert (short.market_value(D("101.5")), short.unrealized_pl(D("101.5"))) == (D("-1015"), D("-15"))


@pytest.mark.parametrize("bad", [Fill(BUY, 0, D("1"), T0), Fill(BUY, 1, D("0"), T0), Fill(SELL, 1, D("NaN"), T0)])
def test_a_fill_without_quantity_or_price_is_refused(bad: Fill) -> None:
    with pytest.raises(ValueError):
        Position(uuid.uuid4(), "AAPL").apply(bad)


def reference(fills: list[tuple[OrderSide, int, Decimal]]) -> tuple[int, Fraction, Fraction, Fraction]:
    """Exact average-price bookkeeping in fractions: (qty, cost, realized, cash)."""
    qty, cost, realized, cash = 0, Fraction(0), Fraction(0), Fraction(0)
    for side, n, price in fills:
        p = Fraction(price)
        d = n if side is BUY else -n
        cash -= d * p
        if qty == 0 or (qty > 0) == (d > 0):
            qty, cost = qty + d, cost + d * p
            continue
        avg = cost / qty
        closing = min(abs(d), abs(qty))
        realized += closing * (p - avg) if qty > 0 else closing * (avg - p)
        qty += closing if d > 0 else -closing
        cost = avg * qty
        rest = abs(d) - closing
        if rest:
            qty = rest if d > 0 else -rest
            cost = qty * p
    return qty, cost, realized, cash


def fills(min_size: int, max_size: int) -> st.SearchStrategy[list[tuple[OrderSide, int, Decimal]]]:
    return st.lists(
        st.tuples(
            st.sampled_from([BUY, SELL]),
            st.integers(min_value=1, max_value=500),
            st.decimals(min_value=D("0.0001"), max_value=D("5000"), places=4, allow_nan=False, allow_infinity=False),
        ),
        min_size=min_size,
        max_size=max_size,
    )


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.large_base_example, HealthCheck.too_slow])
@given(fills(1000, 1000))
def test_a_thousand_random_fills_match_the_reference(fills: list[tuple[OrderSide, int, Decimal]]) -> None:
    check_against_reference(fills)


@settings(max_examples=200, deadline=None)
@given(fills(1, 30))
def test_short_random_sequences_match_the_reference(fills: list[tuple[OrderSide, int, Decimal]]) -> None:
    check_against_reference(fills)  # small cases shrink to a readable counterexample


def check_against_reference(fills: list[tuple[OrderSide, int, Decimal]]) -> None:
    position = Position(uuid.uuid4(), "MSFT")
    reductions = 0
    for side, n, price in fills:
        before = position.qty
        position = position.apply(Fill(side, n, price, T0))
        reductions += before != 0 and (before > 0) != (side is BUY)
        assert balanced(position)
        assert position.qty != 0 or position.cost_basis == 0
    qty, cost, realized, cash = reference(fills)
    tolerance = Fraction(reductions, 10**10)  # at most half a unit of 1e-10 per reduction, twice over
    assert position.qty == qty
    assert Fraction(position.cash_flow) == cash  # cash is exact: no division ever touches it
    assert abs(Fraction(position.realized_pl) - realized) <= tolerance
    assert abs(Fraction(position.cost_basis) - cost) <= tolerance
    assert position.fills == len(fills) and position.bought_qty + position.sold_qty == sum(n for _, n, _ in fills)
