"""Trading states, per account and platform-wide (issue 13): ``active``; ``reducing`` (only
orders that reduce exposure; cancels always pass); ``halted`` (the kill switch: new orders and
amends refused, every open order canceled at the venue). The stricter of the account's and the
platform's state applies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide


class TradingState(StrEnum):
    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


_STRICTNESS = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}


def stricter(a: TradingState, b: TradingState) -> TradingState:
    return a if _STRICTNESS[a] >= _STRICTNESS[b] else b


def reduces_exposure(order: Order, positions: Mapping[str, int], open_orders: Sequence[Order]) -> bool:
    """The order only brings the position closer to flat, even if every open order on the same
    side fills first: a sell of at most what is held long (less open sells), a buy of at most
    what is short (less open buys)."""
    held = positions.get(order.symbol, 0)
    same_side = sum(o.leaves_qty for o in open_orders if o.symbol == order.symbol and o.side is order.side)
    if order.side is OrderSide.SELL:
        return held > 0 and order.qty <= held - same_side
    return held < 0 and order.qty <= -held - same_side
