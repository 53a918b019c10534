"""The resources of the Tradewind API v1 as typed, immutable values.

Money and prices are ``Decimal`` (the API sends decimal strings; they are never parsed through
``float``), quantities ``int``, times timezone-aware UTC ``datetime``. Every ``from_json`` ignores
fields it does not know: within one API version the server only ever adds fields, so an older
client keeps working against a newer server (see ``contracts/README.md``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any


class ResponseShapeError(ValueError):
    """The server sent something this client cannot read (a field missing or of the wrong kind)."""


def _field(raw: Mapping[str, Any], name: str) -> Any:
    try:
        return raw[name]
    except KeyError:
        raise ResponseShapeError(f"the response has no field {name!r}") from None


def _decimal(raw: Mapping[str, Any], name: str) -> Decimal:
    value = _field(raw, name)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ResponseShapeError(f"{name} must be a decimal string, not {value!r}")
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        raise ResponseShapeError(f"{name} is not a decimal: {value!r}") from None
    if not parsed.is_finite():
        raise ResponseShapeError(f"{name} is not a finite decimal: {value!r}")
    return parsed


def _opt_decimal(raw: Mapping[str, Any], name: str) -> Decimal | None:
    return None if raw.get(name) is None else _decimal(raw, name)


def _int(raw: Mapping[str, Any], name: str) -> int:
    value = _field(raw, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ResponseShapeError(f"{name} must be an integer, not {value!r}")
    return value


def _str(raw: Mapping[str, Any], name: str) -> str:
    value = _field(raw, name)
    if not isinstance(value, str):
        raise ResponseShapeError(f"{name} must be a string, not {value!r}")
    return value


def _opt_str(raw: Mapping[str, Any], name: str) -> str | None:
    return None if raw.get(name) is None else _str(raw, name)


def _bool(raw: Mapping[str, Any], name: str, default: bool = False) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        raise ResponseShapeError(f"{name} must be true or false, not {value!r}")
    return value


def _uuid(raw: Mapping[str, Any], name: str) -> uuid.UUID:
    try:
        return uuid.UUID(_str(raw, name))
    except ValueError:
        raise ResponseShapeError(f"{name} is not a UUID: {raw[name]!r}") from None


def _time(raw: Mapping[str, Any], name: str) -> datetime:
    text = _str(raw, name)
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ResponseShapeError(f"{name} is not an ISO-8601 time: {text!r}") from None
    if ts.tzinfo is None:
        raise ResponseShapeError(f"{name} has no UTC offset: {text!r}")
    return ts


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the read model shows it. ``status`` is one of pending, accepted,
    partially_filled, filled, pending_cancel, pending_replace, canceled, rejected, expired,
    broker_unavailable, unknown; ``reason`` says why it was rejected or is unknown."""

    id: uuid.UUID
    client_order_id: str
    symbol: str
    side: str
    qty: int
    type: str
    time_in_force: str
    limit_price: Decimal | None
    stop_price: Decimal | None
    status: str
    filled_qty: int
    filled_avg_price: Decimal | None
    created_at: datetime
    updated_at: datetime
    reason: str | None
    correlation_id: uuid.UUID | None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Order:
        return cls(
            id=_uuid(raw, "id"),
            client_order_id=_str(raw, "client_order_id"),
            symbol=_str(raw, "symbol"),
            side=_str(raw, "side"),
            qty=_int(raw, "qty"),
            type=_str(raw, "type"),
            time_in_force=_str(raw, "time_in_force"),
            limit_price=_opt_decimal(raw, "limit_price"),
            stop_price=_opt_decimal(raw, "stop_price"),
            status=_str(raw, "status"),
            filled_qty=_int(raw, "filled_qty"),
            filled_avg_price=_opt_decimal(raw, "filled_avg_price"),
            created_at=_time(raw, "created_at"),
            updated_at=_time(raw, "updated_at"),
            reason=_opt_str(raw, "reason"),
            correlation_id=None if raw.get("correlation_id") is None else _uuid(raw, "correlation_id"),
        )


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of orders, newest first; pass ``next_after`` as ``after`` for the next page."""

    orders: list[Order]
    next_after: str | None


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution. ``cum_qty``/``avg_price`` are the broker's running totals for the order."""

    id: str
    order_id: uuid.UUID
    symbol: str
    side: str
    qty: int
    price: Decimal
    cum_qty: int
    avg_price: Decimal
    leaves_qty: int
    after_cancel: bool
    reconciliation: bool
    ts: datetime

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Fill:
        return cls(
            id=_str(raw, "id"),
            order_id=_uuid(raw, "order_id"),
            symbol=_str(raw, "symbol"),
            side=_str(raw, "side"),
            qty=_int(raw, "qty"),
            price=_decimal(raw, "price"),
            cum_qty=_int(raw, "cum_qty"),
            avg_price=_decimal(raw, "avg_price"),
            leaves_qty=_int(raw, "leaves_qty"),
            after_cancel=_bool(raw, "after_cancel"),
            reconciliation=_bool(raw, "reconciliation"),
            ts=_time(raw, "ts"),
        )


@dataclass(frozen=True, slots=True)
class Quote:
    """The last price of a symbol; ``stale`` when older than 5 s (not usable to take risk)."""

    symbol: str
    bid: Decimal
    ask: Decimal
    last: Decimal
    ts: datetime
    stale: bool

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Quote:
        return cls(
            symbol=_str(raw, "symbol"),
            bid=_decimal(raw, "bid"),
            ask=_decimal(raw, "ask"),
            last=_decimal(raw, "last"),
            ts=_time(raw, "ts"),
            stale=_bool(raw, "stale"),
        )


@dataclass(frozen=True, slots=True)
class Candle:
    """OHLCV of one interval starting at ``start``."""

    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Candle:
        return cls(
            start=_time(raw, "start"),
            open=_decimal(raw, "open"),
            high=_decimal(raw, "high"),
            low=_decimal(raw, "low"),
            close=_decimal(raw, "close"),
            volume=_int(raw, "volume"),
        )


@dataclass(frozen=True, slots=True)
class Position:
    """A holding: signed share count and its P&L. Market fields are ``None`` without a price."""

    symbol: str
    qty: int
    avg_entry_price: Decimal | None
    market_value: Decimal | None
    unrealized_pl: Decimal | None
    realized_pl: Decimal

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Position:
        return cls(
            symbol=_str(raw, "symbol"),
            qty=_int(raw, "qty"),
            avg_entry_price=_opt_decimal(raw, "avg_entry_price"),
            market_value=_opt_decimal(raw, "market_value"),
            unrealized_pl=_opt_decimal(raw, "unrealized_pl"),
            realized_pl=_decimal(raw, "realized_pl"),
        )


@dataclass(frozen=True, slots=True)
class Account:
    """The trading account: cash after fills, equity and buying power, P&L."""

    cash: Decimal
    equity: Decimal
    buying_power: Decimal
    realized_pl: Decimal
    unrealized_pl: Decimal

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Account:
        return cls(
            cash=_decimal(raw, "cash"),
            equity=_decimal(raw, "equity"),
            buying_power=_decimal(raw, "buying_power"),
            realized_pl=_decimal(raw, "realized_pl"),
            unrealized_pl=_decimal(raw, "unrealized_pl"),
        )


StreamValue = Order | Fill | Quote | Position | dict[str, Any]
_STREAM_KINDS: dict[str, Any] = {"order": Order, "fill": Fill, "quote": Quote, "position": Position}


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One server-sent event. ``id`` is set on resumable events (``order``, ``fill``): pass the
    last one seen as ``last_event_id`` to resume after a disconnect."""

    event: str
    id: str | None
    data: dict[str, Any]

    @property
    def value(self) -> StreamValue:
        """The typed resource for the known kinds; the raw object for a kind added later."""
        model = _STREAM_KINDS.get(self.event)
        return self.data if model is None else model.from_json(self.data)
