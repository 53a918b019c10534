"""Per-account limits (issue 13): each rule at, just below and just above its threshold, sized
at the worst price; limits come from the context (platform defaults merged with the account's
overrides)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tradewind.application.risk.rules import (
    FatFinger,
    MaxGrossExposure,
    MaxOpenOrders,
    MaxOrderNotional,
    MaxPositionNotional,
    RiskContext,
    RiskRule,
)
from tradewind.domain.errors import RiskRejected
from tradewind.domain.market import Quote
from tradewind.domain.orders.commands import PlaceOrder
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce
from tradewind.domain.risk.limits import InvalidLimits, RiskLimits, parse_limits

D = Decimal
QUOTES = {
    "AAPL": Quote("AAPL", D("99"), D("100"), D("100"), datetime.now(UTC)),
    "MSFT": Quote("MSFT", D("199"), D("200"), D("200"), datetime.now(UTC)),
}


def order(
    side: OrderSide, qty: int, kind: OrderType = OrderType.MARKET, limit: str | None = None, symbol: str = "AAPL"
) -> Order:
    return Order.submit(
        PlaceOrder(
            uuid.uuid4(), symbol, side, qty, kind, TimeInForce.DAY, "c", limit_price=None if limit is None else D(limit)
        )
    )


def ctx(
    limits: RiskLimits, positions: dict[str, int] | None = None, open_orders: list[Order] | None = None
) -> RiskContext:
    return RiskContext(QUOTES, positions or {}, open_orders or [], D("10000000"), limits=limits)


def verdict(rule: RiskRule, o: Order, c: RiskContext) -> str | None:
    try:
        rule.check(o, c)
    except RiskRejected as exc:
        return exc.rule
    return None


@pytest.mark.parametrize(("qty", "refused"), [(99, False), (100, False), (101, True)])
def test_max_order_notional_from_the_accounts_limits(qty: int, refused: bool) -> None:
    c = ctx(RiskLimits(max_order_notional=D("10000")))  # 100 at the ask of 100
    assert verdict(MaxOrderNotional(D("999999999")), order(OrderSide.BUY, qty), c) == (
        "max_order_notional" if refused else None
    )


@pytest.mark.parametrize(("qty", "refused"), [(49, False), (50, False), (51, True)])
def test_max_position_notional_counts_the_position_and_open_orders(qty: int, refused: bool) -> None:
    open_buy = order(OrderSide.BUY, 25)
    c = ctx(RiskLimits(max_position_notional=D("10000")), positions={"AAPL": 25}, open_orders=[open_buy])
    assert verdict(MaxPositionNotional(), order(OrderSide.BUY, qty), c) == (
        "max_position_notional" if refused else None
    )


def test_an_order_that_shrinks_the_position_passes_the_position_limit() -> None:
    c = ctx(RiskLimits(max_position_notional=D("1")), positions={"AAPL": 1000})
    assert verdict(MaxPositionNotional(), order(OrderSide.SELL, 500), c) is None


@pytest.mark.parametrize(("qty", "refused"), [(49, False), (50, False), (51, True)])
def test_max_gross_exposure_adds_longs_shorts_and_open_orders(qty: int, refused: bool) -> None:
    # held: 20 AAPL long (2,000) + 10 MSFT short (2,000); open: a buy of 10 MSFT at 200 (2,000)
    c = ctx(
        RiskLimits(max_gross_exposure=D("11000")),
        positions={"AAPL": 20, "MSFT": -10},
        open_orders=[order(OrderSide.BUY, 10, symbol="MSFT")],
    )
    assert verdict(MaxGrossExposure(), order(OrderSide.BUY, qty), c) == ("max_gross_exposure" if refused else None)


@pytest.mark.parametrize(("open_count", "refused"), [(8, False), (9, False), (10, True)])
def test_max_open_orders(open_count: int, refused: bool) -> None:
    c = ctx(RiskLimits(max_open_orders=10), open_orders=[order(OrderSide.BUY, 1) for _ in range(open_count)])
    assert verdict(MaxOpenOrders(), order(OrderSide.BUY, 1), c) == ("max_open_orders" if refused else None)


@pytest.mark.parametrize(
    ("side", "limit", "refused"),
    [
        (OrderSide.BUY, "109.99", False),
        (OrderSide.BUY, "110", False),  # exactly 10 % through the last price of 100
        (OrderSide.BUY, "110.01", True),
        (OrderSide.SELL, "90", False),
        (OrderSide.SELL, "89.99", True),
        (OrderSide.SELL, "0.01", True),  # the sell limit at 0.01
        (OrderSide.BUY, "1.00", False),  # far below the market: resting, not through it
    ],
)
def test_fat_finger_band(side: OrderSide, limit: str, refused: bool) -> None:
    c = ctx(RiskLimits(fat_finger_pct=D("10")))
    assert verdict(FatFinger(), order(side, 1, OrderType.LIMIT, limit), c) == ("fat_finger" if refused else None)


def test_no_limit_means_no_check() -> None:
    c = ctx(RiskLimits())
    for rule in (MaxPositionNotional(), MaxGrossExposure(), MaxOpenOrders(), FatFinger()):
        assert verdict(rule, order(OrderSide.BUY, 10**6, OrderType.LIMIT, "1000"), c) is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"max_order_notinal": "1"}, "max_order_notinal"),
        ({"max_order_notional": "-1"}, "max_order_notional"),
        ({"max_order_notional": 1.5}, "max_order_notional"),  # floats are inexact: refused
        ({"max_concentration": "1.5"}, "max_concentration"),
        ({"max_open_orders": "2.5"}, "max_open_orders"),
        ({"fat_finger_pct": "ten"}, "fat_finger_pct"),
        ({"daily_loss_limit": "-500"}, "daily_loss_limit"),
        ({}, "body"),
    ],
)
def test_bad_limits_name_the_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidLimits) as refused:
        parse_limits(body)
    assert refused.value.field == field


def test_good_limits_parse_to_their_kinds_and_null_clears() -> None:
    assert parse_limits(
        {"max_open_orders": 5, "max_order_notional": "1000.50", "fat_finger_pct": None, "daily_loss_limit": "2500"}
    ) == {
        "max_open_orders": 5,
        "max_order_notional": D("1000.50"),
        "fat_finger_pct": None,
        "daily_loss_limit": D("2500"),
    }
