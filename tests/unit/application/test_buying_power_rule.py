"""The buying-power rule (issue 13) at, just below and just above its threshold, with the
worst-price cases: the seven 19,000 buys of a 100,000 account, the naked short, the sell limit
at 0.01 sized at the bid."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tradewind.application.risk.rules import BuyingPower, MaxOrderNotional, RiskContext
from tradewind.domain.accounts import AccountKind
from tradewind.domain.errors import RiskRejected
from tradewind.domain.market import Quote
from tradewind.domain.orders.commands import PlaceOrder
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

D = Decimal
QUOTES = {"AAPL": Quote("AAPL", D("99"), D("100"), D("99.5"), datetime.now(UTC))}


def order(side: OrderSide, qty: int, kind: OrderType = OrderType.MARKET, limit: str | None = None) -> Order:
    cmd = PlaceOrder(
        uuid.uuid4(), "AAPL", side, qty, kind, TimeInForce.DAY, "c", limit_price=None if limit is None else D(limit)
    )
    return Order.submit(cmd)


def ctx(
    cash: str, positions: dict[str, int] | None = None, open_orders: list[Order] | None = None, **kw: object
) -> RiskContext:
    return RiskContext(quotes=QUOTES, positions=positions or {}, open_orders=open_orders or [], cash=D(cash), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("qty", "ok"), [(99, True), (100, True), (101, False)])
def test_a_buy_at_below_and_above_the_buying_power(qty: int, ok: bool) -> None:
    rule, context = BuyingPower(), ctx("10000")  # the ask is 100: 100 shares is exactly the cash
    if ok:
        rule.check(order(OrderSide.BUY, qty), context)
    else:
        with pytest.raises(RiskRejected) as refused:
            rule.check(order(OrderSide.BUY, qty), context)
        assert refused.value.rule == "buying_power" and "10100.00" in refused.value.detail


def test_open_buys_take_buying_power_so_seven_19000_buys_do_not_all_pass() -> None:
    rule, accepted = BuyingPower(), []
    for _ in range(7):
        candidate = order(OrderSide.BUY, 190)  # 19,000 at the ask
        try:
            rule.check(candidate, ctx("100000", open_orders=accepted))
        except RiskRejected as exc:
            assert exc.rule == "buying_power"
            continue
        accepted.append(candidate)
    assert len(accepted) == 5  # 5 x 19,000 = 95,000 <= 100,000; a sixth would spend 114,000


@pytest.mark.parametrize(("held", "ok"), [(10, True), (9, False)])
def test_a_cash_account_sells_only_what_it_holds(held: int, ok: bool) -> None:
    context = ctx("0", positions={"AAPL": held} if held else {})
    if ok:
        BuyingPower().check(order(OrderSide.SELL, 10), context)
    else:
        with pytest.raises(RiskRejected) as refused:
            BuyingPower().check(order(OrderSide.SELL, 10), context)
        assert refused.value.rule == "short_sale"


def test_a_naked_short_is_refused_in_cash_and_allowed_on_margin() -> None:
    with pytest.raises(RiskRejected):
        BuyingPower().check(order(OrderSide.SELL, 10), ctx("100000"))
    BuyingPower().check(order(OrderSide.SELL, 10), ctx("100000", kind=AccountKind.MARGIN))


def test_open_sells_count_against_what_may_still_be_sold() -> None:
    open_sell = order(OrderSide.SELL, 6, OrderType.LIMIT, "120")
    with pytest.raises(RiskRejected):
        BuyingPower().check(order(OrderSide.SELL, 5), ctx("0", positions={"AAPL": 10}, open_orders=[open_sell]))


def test_a_sell_limit_far_below_the_bid_is_sized_at_the_bid() -> None:
    # 10,000 shares at a limit of 0.01 trade at the bid (99): 990,000, above a 250,000 notional limit.
    with pytest.raises(RiskRejected) as refused:
        MaxOrderNotional(D("250000")).check(
            order(OrderSide.SELL, 10_000, OrderType.LIMIT, "0.01"), ctx("0", positions={"AAPL": 10_000})
        )
    assert refused.value.rule == "max_order_notional" and "990000.00" in refused.value.detail
