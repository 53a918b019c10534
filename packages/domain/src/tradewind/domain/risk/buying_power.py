"""Buying power and what a cash account may sell: the figures the ``buying_power`` rule checks
and ``GET /api/v1/account`` shows, computed once, here, from the ledger's numbers.

Cash account: cash minus what every open buy could still cost at its worst price. Margin
account: equity times the margin multiplier, minus the gross market value already held, minus
the same reservation for open buys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from tradewind.domain.accounts import AccountKind
from tradewind.domain.market import Quote
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide
from tradewind.domain.risk.sizing import worst_notional

ZERO = Decimal(0)


def reserved_for_open_buys(open_orders: Sequence[Order], quotes: Mapping[str, Quote]) -> Decimal:
    return sum(
        (worst_notional(o, quotes[o.symbol]) for o in open_orders if o.side is OrderSide.BUY and o.leaves_qty),
        ZERO,
    )


def buying_power(
    kind: AccountKind,
    cash: Decimal,
    positions: Mapping[str, int],
    open_orders: Sequence[Order],
    quotes: Mapping[str, Quote],
    *,
    margin_multiplier: Decimal = Decimal(1),
) -> Decimal:
    """What the next buy may spend. ``quotes`` must hold every symbol held or with an open buy."""
    reserved = reserved_for_open_buys(open_orders, quotes)
    if kind is AccountKind.CASH:
        return cash - reserved
    marks = {s: quotes[s].last for s, q in positions.items() if q}
    equity = cash + sum((Decimal(q) * marks[s] for s, q in positions.items() if q), ZERO)
    gross = sum((abs(Decimal(q)) * marks[s] for s, q in positions.items() if q), ZERO)
    return equity * margin_multiplier - gross - reserved


def sellable(symbol: str, positions: Mapping[str, int], open_orders: Sequence[Order]) -> int:
    """Shares a cash account may still sell: held, minus what open sells already offer."""
    offered = sum(o.leaves_qty for o in open_orders if o.symbol == symbol and o.side is OrderSide.SELL)
    return positions.get(symbol, 0) - offered
