"""Worst-price sizing: the one price every risk rule, and the account's reservation for open
orders, sizes an order at (invariant 4).

It is the price that makes the order largest: what a buy could cost at most, what a sell could
be worth at most (a sell's notional is what a notional limit bounds, and what it takes from a
position's value).

* market: the touch (a buy pays the ask, a sell hits the bid);
* limit: a buy at most its limit; a sell at its limit or, when the limit is below the bid (a
  marketable sell), at the bid it trades at now — a sell limit at 0.01 is sized at the bid;
* stop: a buy at ``max(stop, ask)`` (it triggers at the stop, or at once above it); a sell at
  ``min(stop, bid)``;
* stop limit: a buy at most its limit; a sell as a limit whose floor is the stop price's.
"""

from __future__ import annotations

from decimal import Decimal

from tradewind.domain.market import Quote
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderType


def worst_price(order: Order, quote: Quote) -> Decimal:
    buy = order.side is OrderSide.BUY
    touch = quote.ask if buy else quote.bid
    match order.order_type:
        case OrderType.MARKET:
            return touch
        case OrderType.LIMIT:
            assert order.limit_price is not None
            return order.limit_price if buy else max(order.limit_price, touch)
        case OrderType.STOP:
            assert order.stop_price is not None
            return max(order.stop_price, touch) if buy else min(order.stop_price, touch)
        case OrderType.STOP_LIMIT:
            assert order.limit_price is not None and order.stop_price is not None
            return order.limit_price if buy else max(order.limit_price, min(order.stop_price, touch))
    raise ValueError(f"unknown order type {order.order_type}")


def worst_notional(order: Order, quote: Quote, qty: int | None = None) -> Decimal:
    return Decimal(order.leaves_qty if qty is None else qty) * worst_price(order, quote)
