"""Immutable commands, built from untrusted input by ``parse`` functions that name the bad field.

Validation lives here, not in the web layer, so every entry point (HTTP, strategies, CLI)
refuses the same things with the same words.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from tradewind.domain.errors import InvalidOrder
from tradewind.domain.instruments import SYMBOLS, parse_symbol
from tradewind.domain.money import parse_price, parse_qty
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

_CLIENT_ORDER_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
_PLACE_FIELDS = frozenset(
    {"symbol", "side", "qty", "type", "limit_price", "stop_price", "time_in_force", "client_order_id"}
)
_AMEND_FIELDS = frozenset({"qty", "limit_price"})

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    account_id: uuid.UUID
    symbol: str
    side: OrderSide
    qty: int
    order_type: OrderType
    time_in_force: TimeInForce
    client_order_id: str
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True, slots=True)
class CancelOrder:
    account_id: uuid.UUID
    order_id: uuid.UUID
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True, slots=True)
class AmendOrder:
    account_id: uuid.UUID
    order_id: uuid.UUID
    qty: int | None = None
    limit_price: Decimal | None = None
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)


def _reject_extra(body: Mapping[str, object], allowed: frozenset[str]) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise InvalidOrder(f"unknown field {extra[0]!r}", field=extra[0])


def _reject_nan(body: Mapping[str, object]) -> None:
    for key, value in body.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidOrder(f"{key} must be finite", field=key)


def _enum(enum: type[E], value: object, field_name: str) -> E:
    allowed = ", ".join(m.value for m in enum)
    if not isinstance(value, str):
        raise InvalidOrder(f"{field_name} must be one of: {allowed}", field=field_name)
    try:
        return enum(value)
    except ValueError:
        raise InvalidOrder(f"{field_name} must be one of: {allowed}", field=field_name) from None


def parse_place_order(
    account_id: uuid.UUID,
    body: Mapping[str, object],
    *,
    universe: frozenset[str] = SYMBOLS,
    correlation_id: uuid.UUID | None = None,
) -> PlaceOrder:
    """Turn a request body into a ``PlaceOrder`` or raise ``InvalidOrder`` naming the field."""
    if not isinstance(body, Mapping):
        raise InvalidOrder("the body must be a JSON object", field="body")
    _reject_extra(body, _PLACE_FIELDS)
    _reject_nan(body)
    for required in ("symbol", "side", "qty", "type"):
        if body.get(required) is None:
            raise InvalidOrder(f"{required} is required", field=required)
    symbol = parse_symbol(body["symbol"], universe=universe)
    side = _enum(OrderSide, body["side"], "side")
    qty = parse_qty(body["qty"])
    order_type = _enum(OrderType, body["type"], "type")
    tif = _enum(TimeInForce, body.get("time_in_force", "day"), "time_in_force")
    limit_price = stop_price = None
    if order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        if body.get("limit_price") is None:
            raise InvalidOrder(f"a {order_type.value} order needs limit_price", field="limit_price")
        limit_price = parse_price(body["limit_price"], field="limit_price")
    elif body.get("limit_price") is not None:
        raise InvalidOrder(f"a {order_type.value} order takes no limit_price", field="limit_price")
    if order_type in (OrderType.STOP, OrderType.STOP_LIMIT):
        if body.get("stop_price") is None:
            raise InvalidOrder(f"a {order_type.value} order needs stop_price", field="stop_price")
        stop_price = parse_price(body["stop_price"], field="stop_price")
    elif body.get("stop_price") is not None:
        raise InvalidOrder(f"a {order_type.value} order takes no stop_price", field="stop_price")
    raw_coid = body.get("client_order_id")
    if raw_coid is None:
        client_order_id = str(uuid.uuid4())
    elif isinstance(raw_coid, str) and _CLIENT_ORDER_ID.fullmatch(raw_coid):  # match() let "x\n" in
        client_order_id = raw_coid
    else:
        raise InvalidOrder(
            "client_order_id must be 1-64 characters of letters, digits and ._:-", field="client_order_id"
        )
    return PlaceOrder(
        account_id=account_id,
        symbol=symbol,
        side=side,
        qty=qty,
        order_type=order_type,
        time_in_force=tif,
        client_order_id=client_order_id,
        limit_price=limit_price,
        stop_price=stop_price,
        correlation_id=correlation_id or uuid.uuid4(),
    )


def parse_amend_order(
    account_id: uuid.UUID,
    order_id: uuid.UUID,
    body: Mapping[str, object],
    *,
    correlation_id: uuid.UUID | None = None,
) -> AmendOrder:
    if not isinstance(body, Mapping):
        raise InvalidOrder("the body must be a JSON object", field="body")
    _reject_extra(body, _AMEND_FIELDS)
    _reject_nan(body)
    if body.get("qty") is None and body.get("limit_price") is None:
        raise InvalidOrder("give qty, limit_price or both", field="qty")
    qty = parse_qty(body["qty"]) if body.get("qty") is not None else None
    limit_price = parse_price(body["limit_price"], field="limit_price") if body.get("limit_price") is not None else None
    return AmendOrder(
        account_id=account_id,
        order_id=order_id,
        qty=qty,
        limit_price=limit_price,
        correlation_id=correlation_id or uuid.uuid4(),
    )
