"""The JSON shapes of positions and the account (DESIGN.md "Shapes": money as decimal strings,
quantities as integers, times ISO-8601 UTC), shared by REST and the SSE ``position`` event.

A position is marked at the last price cache. When the cache has no quote (it expires after
5 s) the mark falls back to the position's last fill price; either way ``stale`` says the mark
is older than 5 s, so a number is always shown and never passed off as live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tradewind.application.resources import iso
from tradewind.domain.market import STALE_AFTER, Quote
from tradewind.domain.money import money_str
from tradewind.domain.positions.position import Position


@dataclass(frozen=True, slots=True)
class Mark:
    price: Decimal | None
    ts: datetime | None
    source: str  # "quote", "last_fill" or "none"

    def stale(self, now: datetime) -> bool:
        return self.ts is None or now - self.ts > STALE_AFTER


def mark_for(position: Position, quote: Quote | None) -> Mark:
    if quote is not None:
        return Mark(quote.last, quote.ts, "quote")
    if position.last_fill_price is not None:
        return Mark(position.last_fill_price, position.last_fill_at, "last_fill")
    return Mark(None, None, "none")


def _money(value: Decimal | None) -> str | None:
    return money_str(value)


def position_resource(position: Position, mark: Mark, now: datetime) -> dict[str, object]:
    price = mark.price
    return {
        "symbol": position.symbol,
        "qty": position.qty,
        "side": position.side,
        "avg_entry_price": _money(position.avg_entry_price),
        "cost_basis": _money(position.cost_basis),
        "current_price": _money(mark.price),
        "price_ts": iso(mark.ts) if mark.ts is not None else None,
        "price_source": mark.source,
        "stale": mark.stale(now),
        "market_value": None if price is None else _money(position.market_value(price)),
        "unrealized_pl": None if price is None else _money(position.unrealized_pl(price)),
        "realized_pl": _money(position.realized_pl),
        "bought_qty": position.bought_qty,
        "sold_qty": position.sold_qty,
        "fills": position.fills,
        "version": position.version,
        "updated_at": iso(position.last_fill_at) if position.last_fill_at is not None else None,
    }
