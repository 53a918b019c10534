"""The JSON resources of DESIGN.md "Shapes" as their consumers state them: an order, a fill, a
quote (and, once they exist, a position, the account, a candle).

The same resource travels in REST responses, in the live updates the worker publishes for the web
processes, and in SSE ``data:`` lines; every pact that carries one uses these, so the three
cannot drift apart. Nullable fields are stated with the value the example scenario has: a
resting limit order has a ``limit_price`` and no ``filled_avg_price`` yet.
"""

from __future__ import annotations

from typing import Any

from pact import match
from pact_support import (
    CORRELATION_ID,
    CREATED_AT,
    OCCURRED_AT,
    ORDER_ID,
    SIDE_RE,
    STATUS_RE,
    TIF_RE,
    money,
    one_of,
    symbol,
    utc,
    uuid,
)


def order_resource(
    *,
    status: Any = None,
    order_type: str = "limit",
    limit_price: Any = "99.50",
    filled: bool = False,
    client_order_id: Any = None,
    order_id: Any = None,
) -> dict[str, Any]:
    """An order; ``status`` exact when given, else any status. ``filled``: the example has fills."""
    return {
        "id": order_id if order_id is not None else uuid(ORDER_ID),
        "client_order_id": client_order_id if client_order_id is not None else match.str("c-20260102-0001"),
        "symbol": symbol("AAPL"),
        "side": one_of("buy", SIDE_RE),
        "qty": match.int(10),
        "type": order_type,
        "time_in_force": one_of("gtc", TIF_RE),
        "limit_price": None if limit_price is None else money(limit_price),
        "stop_price": None,
        "status": status if status is not None else one_of("accepted", STATUS_RE),
        "filled_qty": match.int(10 if filled else 0),
        "filled_avg_price": money("100.02") if filled else None,
        "created_at": utc(CREATED_AT),
        "updated_at": utc(OCCURRED_AT),
        "correlation_id": uuid(CORRELATION_ID),
    }


def fill_resource() -> dict[str, Any]:
    return {
        "id": match.str("0f8fad5bd9cb469fa16570867728950e"),
        "order_id": uuid(ORDER_ID),
        "symbol": symbol("AAPL"),
        "side": one_of("buy", SIDE_RE),
        "qty": match.int(10),
        "price": money("100.02"),
        "cum_qty": match.int(10),
        "avg_price": money("100.02"),
        "leaves_qty": match.int(0),
        "after_cancel": match.bool(False),
        "reconciliation": match.bool(False),
        "ts": utc(),
    }


def quote_resource(sym: str = "AAPL") -> dict[str, Any]:
    return {
        "symbol": symbol(sym),
        "bid": money("100.00"),
        "ask": money("100.02"),
        "last": money("100.01"),
        "ts": utc(),
        "stale": match.bool(False),
    }


def position_resource() -> dict[str, Any]:
    return {
        "symbol": symbol("AAPL"),
        "qty": match.int(10),
        "avg_entry_price": money("100.02"),
        "market_value": money("1000.10"),
        "unrealized_pl": money("-0.10"),
        "realized_pl": money("0"),
    }


def account_resource() -> dict[str, Any]:
    return {
        "cash": money("98999.80"),
        "equity": money("99999.90"),
        "buying_power": money("98999.80"),
        "realized_pl": money("0"),
        "unrealized_pl": money("-0.10"),
    }


def candle_resource() -> dict[str, Any]:
    return {
        "start": utc("2026-01-02T14:30:00Z"),
        "open": money("100.00"),
        "high": money("100.50"),
        "low": money("99.80"),
        "close": money("100.20"),
        "volume": match.int(1200),
    }
