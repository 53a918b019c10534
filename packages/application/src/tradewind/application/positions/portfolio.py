"""The portfolio read side: positions and the account, from the views only.

Positions come from the positions view, open orders from the order read model, marks from the
last price cache (falling back to the last fill price, flagged ``stale``, when the cache has no
quote or is down: a trader always sees a number, never a live-looking guess).

Account arithmetic (an accountant's identity holds exactly, see ``domain.positions``):

* ``cash`` = funding + the net cash of every fill;
* ``equity`` = cash + the market value of every position (shorts count negative);
* ``equity - funding`` = realized + unrealized P&L;
* ``buying_power`` = what the next buy may spend, exactly as the ``buying_power`` risk rule
  computes it: from the OMS ledger (its cash, positions and open orders) with the one
  worst-price function of the domain (``domain.risk``), not from the views. When the price cache
  cannot price every open buy, the figure is not firm and is flagged ``stale``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal

from tradewind.application.ports import OrderReadModel, PriceCache, UnitOfWorkFactory
from tradewind.application.positions.ports import PositionStore
from tradewind.application.positions.resources import Mark, mark_for, position_resource
from tradewind.application.resources import iso
from tradewind.domain.accounts import Account
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote
from tradewind.domain.money import money_str
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide
from tradewind.domain.positions.position import Position
from tradewind.domain.risk.buying_power import buying_power, reserved_for_open_buys

log = logging.getLogger(__name__)
ZERO = Decimal(0)


class Portfolio:
    def __init__(
        self,
        positions: PositionStore,
        prices: PriceCache,
        orders: OrderReadModel,
        clock: Callable[[], datetime] = utcnow,
        ledger: UnitOfWorkFactory | None = None,
    ) -> None:
        self._positions = positions
        self._prices = prices
        self._orders = orders
        self._clock = clock
        self._ledger = ledger

    async def _quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        if not symbols:
            return {}
        try:
            return await self._prices.get_many(sorted(set(symbols)))
        except Exception:  # a view must answer without the cache: marks fall back, flagged stale
            log.warning("price cache unavailable; marking at last fill prices")
            return {}

    async def positions(self, account_id: uuid.UUID) -> list[dict[str, object]]:
        """Open positions, most recently traded first."""
        held = [p for p in await self._positions.list(account_id) if p.qty != 0]
        held.sort(key=lambda p: (p.last_fill_at is not None, p.last_fill_at), reverse=True)
        quotes = await self._quotes([p.symbol for p in held])
        now = self._clock()
        return [position_resource(p, mark_for(p, quotes.get(p.symbol)), now) for p in held]

    async def position(self, account_id: uuid.UUID, symbol: str) -> dict[str, object] | None:
        """The position in ``symbol`` (flat ones too: they keep realized P&L); None if never traded."""
        position = await self._positions.get(account_id, symbol)
        if position is None:
            return None
        quotes = await self._quotes([symbol])
        return position_resource(position, mark_for(position, quotes.get(symbol)), self._clock())

    async def _open_buys(self, account_id: uuid.UUID) -> list[Order]:
        out: list[Order] = []
        after: str | None = None
        while True:
            page = await self._orders.list_orders(account_id, status="open", limit=500, after=after)
            out.extend(o for o in page.orders if o.side is OrderSide.BUY)
            if page.next_after is None:
                return out
            after = page.next_after

    async def account(self, account: Account) -> dict[str, object]:
        positions = await self._positions.list(account.id)
        open_buys = await self._open_buys(account.id)
        quotes = await self._quotes([p.symbol for p in positions] + [o.symbol for o in open_buys])
        now = self._clock()
        marks: dict[str, Mark] = {p.symbol: mark_for(p, quotes.get(p.symbol)) for p in positions}
        cash = account.cash + sum((p.cash_flow for p in positions), ZERO)
        realized = sum((p.realized_pl for p in positions), ZERO)
        long_value = short_value = unrealized = ZERO
        stale = False
        for p in positions:
            if p.qty == 0:
                continue
            mark = marks[p.symbol]
            stale = stale or mark.stale(now)
            if mark.price is None:
                continue
            value = p.market_value(mark.price)
            long_value, short_value = (
                (long_value + value, short_value) if value > 0 else (long_value, short_value + value)
            )
            unrealized += p.unrealized_pl(mark.price)
        reserved = ZERO
        for order in open_buys:
            remaining = max(0, order.qty - order.filled_qty)
            price = order.limit_price or order.stop_price or self._reference_price(order.symbol, quotes, positions)
            if price is None:
                stale = True  # nothing to price it at: reserve nothing, and say the figure is not firm
                continue
            reserved += remaining * price
        power = cash - reserved
        trading_state, trading_state_reason = "active", None
        if self._ledger is not None:
            ledger_power, trading_state, trading_state_reason = await self._ledger_buying_power(account)
            if ledger_power is None:
                stale = True
            else:
                power, reserved = ledger_power
        equity = cash + long_value + short_value
        return {
            "account_id": str(account.id),
            "kind": account.kind.value,
            "trading_state": trading_state,
            "trading_state_reason": trading_state_reason,
            "funding": money_str(account.cash),
            "cash": money_str(cash),
            "equity": money_str(equity),
            "buying_power": money_str(power),
            "reserved_for_open_orders": money_str(reserved),
            "long_market_value": money_str(long_value),
            "short_market_value": money_str(short_value),
            "realized_pl": money_str(realized),
            "unrealized_pl": money_str(unrealized),
            "open_positions": sum(1 for p in positions if p.qty != 0),
            "open_buy_orders": len(open_buys),
            "stale": stale,
            "as_of": iso(now),
        }

    async def _ledger_buying_power(self, account: Account) -> tuple[tuple[Decimal, Decimal] | None, str, str | None]:
        """((buying power, reserved for open buys), trading state, why) from the ledger, as the
        risk check sees them; ``None`` for the figures when some symbol has no price."""
        assert self._ledger is not None
        async with self._ledger() as uow:
            exposure = await uow.orders.exposure(account.id)
        symbols = {o.symbol for o in exposure.open_orders} | {s for s, q in exposure.positions.items() if q}
        quotes = await self._quotes(sorted(symbols))
        state, why = exposure.trading_state.value, exposure.trading_state_reason
        if not symbols <= set(quotes):
            return None, state, why
        power = buying_power(
            exposure.kind,
            exposure.cash,
            exposure.positions,
            exposure.open_orders,
            quotes,
            margin_multiplier=exposure.margin_multiplier,
        )
        return (power, reserved_for_open_buys(exposure.open_orders, quotes)), state, why

    @staticmethod
    def _reference_price(symbol: str, quotes: dict[str, Quote], positions: Sequence[Position]) -> Decimal | None:
        if (quote := quotes.get(symbol)) is not None:
            return quote.last
        held = next((p for p in positions if p.symbol == symbol), None)
        return None if held is None else held.last_fill_price
