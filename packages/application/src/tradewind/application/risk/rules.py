"""The article's two pre-trade rules, behind the ``RiskRule`` protocol.

A rule sees the order and a ``RiskContext`` (marks, positions, open orders, cash) and raises
``RiskRejected(rule=...)`` to refuse. Exposure is what the account would hold if every open
order, this one included, filled: open orders count as much as positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from tradewind.domain.errors import RiskRejected
from tradewind.domain.market import Quote
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderType


@dataclass(frozen=True, slots=True)
class RiskContext:
    quotes: dict[str, Quote]
    positions: dict[str, int]
    open_orders: list[Order]
    cash: Decimal

    def mark(self, symbol: str) -> Decimal:
        return self.quotes[symbol].last

    def order_price(self, order: Order) -> Decimal:
        """The price the order could trade at, the worse for us of the limit and the touch."""
        quote = self.quotes[order.symbol]
        touch = quote.ask if order.side is OrderSide.BUY else quote.bid
        if order.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT) and order.limit_price is not None:
            return order.limit_price
        if order.order_type is OrderType.STOP and order.stop_price is not None:
            return max(order.stop_price, touch) if order.side is OrderSide.BUY else min(order.stop_price, touch)
        return touch

    def portfolio_value(self) -> Decimal:
        return self.cash + sum(
            (Decimal(qty) * self.mark(symbol) for symbol, qty in self.positions.items() if qty),
            Decimal(0),
        )


class RiskRule(Protocol):
    name: str

    def check(self, order: Order, ctx: RiskContext) -> None:
        """Raise ``RiskRejected`` to refuse the order."""


@dataclass(frozen=True, slots=True)
class MaxOrderNotional:
    limit: Decimal
    name: str = "max_order_notional"

    def check(self, order: Order, ctx: RiskContext) -> None:
        notional = Decimal(order.qty) * ctx.order_price(order)
        if notional > self.limit:
            raise RiskRejected(self.name, f"order notional {notional:.2f} exceeds the limit of {self.limit:.2f}")


@dataclass(frozen=True, slots=True)
class MaxConcentration:
    """The largest share of portfolio value one name may take, counting open orders as filled."""

    fraction: Decimal = Decimal("0.20")
    name: str = "max_concentration"

    def check(self, order: Order, ctx: RiskContext) -> None:
        symbol = order.symbol
        qty = ctx.positions.get(symbol, 0)
        buys = sum(o.leaves_qty for o in ctx.open_orders if o.symbol == symbol and o.side is OrderSide.BUY)
        sells = sum(o.leaves_qty for o in ctx.open_orders if o.symbol == symbol and o.side is OrderSide.SELL)
        signed = order.qty if order.side is OrderSide.BUY else -order.qty
        # The worst case is every open order on the side that grows the position filling.
        worst = max(abs(qty + buys + max(signed, 0)), abs(qty - sells + min(signed, 0)))
        before = max(abs(qty + buys), abs(qty - sells))
        if worst <= before:
            return  # the order reduces (or does not grow) the exposure: always allowed
        value = ctx.portfolio_value()
        if value <= 0:
            raise RiskRejected(self.name, "portfolio value is not positive; only reducing orders are allowed")
        exposure = Decimal(worst) * max(ctx.order_price(order), ctx.mark(symbol))
        cap = value * self.fraction
        if exposure > cap:
            raise RiskRejected(
                self.name,
                f"{symbol} exposure would be {exposure:.2f}, above {self.fraction:.0%} of portfolio "
                f"value {value:.2f} ({cap:.2f})",
            )
