"""Worst-price sizing (issue 13): one function, the price that makes an order largest."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tradewind.domain.accounts import AccountKind
from tradewind.domain.market import Quote
from tradewind.domain.orders.commands import PlaceOrder
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce
from tradewind.domain.risk.buying_power import buying_power, sellable
from tradewind.domain.risk.sizing import worst_price

D = Decimal
QUOTE = Quote("AAPL", D("99"), D("101"), D("100"), datetime.now(UTC))
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def order(
    side: OrderSide, kind: OrderType, *, limit: str | None = None, stop: str | None = None, qty: int = 10
) -> Order:
    return Order.submit(
        PlaceOrder(
            uuid.uuid4(),
            "AAPL",
            side,
            qty,
            kind,
            TimeInForce.GTC,
            "c",
            limit_price=None if limit is None else D(limit),
            stop_price=None if stop is None else D(stop),
        )
    )


@pytest.mark.parametrize(
    ("side", "kind", "limit", "stop", "price"),
    [
        (BUY, OrderType.MARKET, None, None, "101"),  # pays the ask
        (SELL, OrderType.MARKET, None, None, "99"),  # hits the bid
        (BUY, OrderType.LIMIT, "95", None, "95"),  # at most its limit
        (BUY, OrderType.LIMIT, "120", None, "120"),  # marketable, but it may pay up to the limit
        (SELL, OrderType.LIMIT, "0.01", None, "99"),  # a sell limit below the bid trades at the bid
        (SELL, OrderType.LIMIT, "110", None, "110"),  # resting above: at its limit
        (BUY, OrderType.STOP, None, "105", "105"),  # max(stop, ask)
        (BUY, OrderType.STOP, None, "90", "101"),
        (SELL, OrderType.STOP, None, "95", "95"),  # min(stop, bid)
        (SELL, OrderType.STOP, None, "120", "99"),
        (BUY, OrderType.STOP_LIMIT, "104", "103", "104"),
        (SELL, OrderType.STOP_LIMIT, "0.01", "120", "99"),  # floor: the stop's price, the bid here
    ],
)
def test_worst_price(side: OrderSide, kind: OrderType, limit: str | None, stop: str | None, price: str) -> None:
    assert worst_price(order(side, kind, limit=limit, stop=stop), QUOTE) == D(price)


def test_buying_power_of_a_cash_account_reserves_open_buys_at_their_worst_price() -> None:
    quotes = {"AAPL": QUOTE}
    resting = order(BUY, OrderType.LIMIT, limit="100", qty=10)  # 1,000 reserved
    stop = order(BUY, OrderType.STOP, stop="90", qty=5)  # max(90, 101) = 101: 505 reserved
    power = buying_power(AccountKind.CASH, D("10000"), {}, [resting, stop], quotes)
    assert power == D("10000") - D("1000") - D("505")


def test_buying_power_of_a_margin_account_is_equity_times_the_multiplier_less_what_is_held() -> None:
    quotes = {"AAPL": QUOTE}
    power = buying_power(AccountKind.MARGIN, D("5000"), {"AAPL": 50}, [], quotes, margin_multiplier=D(2))
    equity = D("5000") + 50 * D("100")
    assert power == equity * 2 - 50 * D("100")


def test_a_cash_account_may_sell_what_it_holds_less_open_sells() -> None:
    open_sell = order(SELL, OrderType.LIMIT, limit="150", qty=4)
    assert sellable("AAPL", {"AAPL": 10}, [open_sell]) == 6
    assert sellable("AAPL", {}, []) == 0
