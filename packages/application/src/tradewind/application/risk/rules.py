"""Pre-trade rules behind the ``RiskRule`` protocol: the article's two (max order notional, max
single-name concentration) and buying power (cash and margin accounts).

A rule sees the order and a ``RiskContext`` (marks, positions, open orders, cash, the kind of
account) and raises ``RiskRejected(rule=...)`` to refuse. Every rule sizes an order at its worst
price (``domain.risk.sizing.worst_price``). Exposure is what the account would hold if every open
order, this one included, filled: open orders count as much as positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, TypeVar

from tradewind.domain.accounts import AccountKind
from tradewind.domain.errors import RiskRejected
from tradewind.domain.market import Quote
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide
from tradewind.domain.risk.buying_power import buying_power, sellable
from tradewind.domain.risk.limits import RiskLimits
from tradewind.domain.risk.sizing import worst_price

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RiskContext:
    quotes: dict[str, Quote]
    positions: dict[str, int]
    open_orders: list[Order]
    cash: Decimal
    kind: AccountKind = AccountKind.CASH
    margin_multiplier: Decimal = Decimal(1)
    #: the account's limits (platform defaults merged with its overrides); ``None``: the rules' own
    limits: RiskLimits | None = None

    def limit_for(self, name: str, default: T) -> T:
        value = getattr(self.limits, name, None) if self.limits is not None else None
        return default if value is None else value

    def mark(self, symbol: str) -> Decimal:
        return self.quotes[symbol].last

    def order_price(self, order: Order) -> Decimal:
        """The worst price the order could trade at (one answer for every rule)."""
        return worst_price(order, self.quotes[order.symbol])

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
        limit = ctx.limit_for("max_order_notional", self.limit)
        notional = Decimal(order.qty) * ctx.order_price(order)
        if notional > limit:
            raise RiskRejected(self.name, f"order notional {notional:.2f} exceeds the limit of {limit:.2f}")


@dataclass(frozen=True, slots=True)
class MaxConcentration:
    """The largest share of portfolio value one name may take, counting open orders as filled."""

    fraction: Decimal = Decimal("0.20")
    name: str = "max_concentration"

    def check(self, order: Order, ctx: RiskContext) -> None:
        fraction = ctx.limit_for("max_concentration", self.fraction)
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
        cap = value * fraction
        if exposure > cap:
            raise RiskRejected(
                self.name,
                f"{symbol} exposure would be {exposure:.2f}, above {fraction:.0%} of portfolio "
                f"value {value:.2f} ({cap:.2f})",
            )


@dataclass(frozen=True, slots=True)
class BuyingPower:
    """A buy may spend only buying power (cash minus what open buys could cost, at their worst
    prices; equity times the multiplier on a margin account). A cash account may not sell more
    than it holds minus what its open sells already offer: no short sales."""

    name: str = "buying_power"

    def check(self, order: Order, ctx: RiskContext) -> None:
        if order.side is OrderSide.BUY:
            cost = Decimal(order.qty) * ctx.order_price(order)
            power = buying_power(
                ctx.kind, ctx.cash, ctx.positions, ctx.open_orders, ctx.quotes, margin_multiplier=ctx.margin_multiplier
            )
            if cost > power:
                raise RiskRejected(
                    self.name,
                    f"insufficient buying power: the order could cost {cost:.2f}, buying power is {power:.2f}",
                )
        elif ctx.kind is AccountKind.CASH:
            available = sellable(order.symbol, ctx.positions, ctx.open_orders)
            if order.qty > available:
                raise RiskRejected(
                    "short_sale",
                    f"a cash account cannot sell short: {order.qty} {order.symbol} asked, "
                    f"{max(available, 0)} available (held {ctx.positions.get(order.symbol, 0)}, the rest in open sells)",
                )


def _worst_position(order: Order, ctx: RiskContext) -> int:
    """The largest position in the order's symbol if it and every open order on its side filled."""
    held = ctx.positions.get(order.symbol, 0)
    same = sum(o.leaves_qty for o in ctx.open_orders if o.symbol == order.symbol and o.side is order.side)
    return abs(held + same + order.qty) if order.side is OrderSide.BUY else abs(held - same - order.qty)


@dataclass(frozen=True, slots=True)
class MaxPositionNotional:
    """One symbol's position, open orders on the same side and this order included, at the worse
    of the order's worst price and the mark. An order that does not grow the position passes."""

    name: str = "max_position_notional"

    def check(self, order: Order, ctx: RiskContext) -> None:
        limit = ctx.limit_for("max_position_notional", None)
        if limit is None:
            return
        held = abs(ctx.positions.get(order.symbol, 0))
        worst = _worst_position(order, ctx)
        if worst <= held:
            return
        notional = Decimal(worst) * max(ctx.order_price(order), ctx.mark(order.symbol))
        if notional > limit:
            raise RiskRejected(
                self.name, f"{order.symbol} position could reach {notional:.2f}, above the limit of {limit:.2f}"
            )


@dataclass(frozen=True, slots=True)
class MaxGrossExposure:
    """Every position (long and short added up) and every open order at its worst price, with
    this order: at most the limit."""

    name: str = "max_gross_exposure"

    def check(self, order: Order, ctx: RiskContext) -> None:
        limit = ctx.limit_for("max_gross_exposure", None)
        if limit is None:
            return
        held = sum((abs(Decimal(q)) * ctx.mark(s) for s, q in ctx.positions.items() if q), Decimal(0))
        working = sum((Decimal(o.leaves_qty) * ctx.order_price(o) for o in ctx.open_orders), Decimal(0))
        gross = held + working + Decimal(order.qty) * ctx.order_price(order)
        if gross > limit:
            raise RiskRejected(self.name, f"gross exposure would be {gross:.2f}, above the limit of {limit:.2f}")


@dataclass(frozen=True, slots=True)
class MaxOpenOrders:
    name: str = "max_open_orders"

    def check(self, order: Order, ctx: RiskContext) -> None:
        limit = ctx.limit_for("max_open_orders", None)
        if limit is not None and len(ctx.open_orders) + 1 > limit:
            raise RiskRejected(self.name, f"{len(ctx.open_orders)} orders are open; the limit is {limit}")


@dataclass(frozen=True, slots=True)
class FatFinger:
    """A limit price more than ``fat_finger_pct`` percent through the last price (a buy above, a
    sell below) is refused: it would trade far from the market."""

    name: str = "fat_finger"

    def check(self, order: Order, ctx: RiskContext) -> None:
        pct = ctx.limit_for("fat_finger_pct", None)
        if pct is None or order.limit_price is None:
            return
        last = ctx.mark(order.symbol)
        band = last * pct / 100
        through = order.limit_price - last if order.side is OrderSide.BUY else last - order.limit_price
        if through > band:
            raise RiskRejected(
                self.name,
                f"limit {order.limit_price} is {through / last:.1%} through the last price {last}; the band is {pct}%",
            )
