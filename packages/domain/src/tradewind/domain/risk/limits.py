"""Risk limits, per account with platform defaults (issue 13).

Each limit has a name, a kind and a meaning; ``None`` means "no limit". An account's overrides
are stored by name and merged over the platform defaults at check time (under the account lock,
with the ledger read), so an edit applies to the next order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from tradewind.domain.errors import DomainError


class InvalidLimits(DomainError):
    code = "invalid_limits"


@dataclass(frozen=True, slots=True)
class RiskLimits:
    #: an order's notional at its worst price
    max_order_notional: Decimal | None = None
    #: one symbol's position, open orders included, at the worse of mark and order price
    max_position_notional: Decimal | None = None
    #: every position and open order of the account, long and short added up
    max_gross_exposure: Decimal | None = None
    #: the largest share of portfolio value one name may take (0.20 = 20 %)
    max_concentration: Decimal | None = None
    #: orders not final at once
    max_open_orders: int | None = None
    #: a limit price more than this many percent through the last price is refused
    fat_finger_pct: Decimal | None = None
    #: realized + unrealized loss since the session's start; crossing it moves the account to ``reducing``
    daily_loss_limit: Decimal | None = None

    def merged(self, overrides: Mapping[str, Any]) -> RiskLimits:
        return replace(self, **{k: v for k, v in overrides.items() if k in LIMIT_NAMES})

    def to_dict(self) -> dict[str, str | int | None]:
        out: dict[str, str | int | None] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = None if value is None else (value if isinstance(value, int) else format(value, "f"))
        return out


LIMIT_NAMES: frozenset[str] = frozenset(f.name for f in fields(RiskLimits))
_INTEGER = {"max_open_orders"}
_FRACTION = {"max_concentration"}


def parse_limits(body: object) -> dict[str, Decimal | int | None]:
    """``{"name": value|null, ...}`` -> validated overrides, or ``InvalidLimits`` naming the field.
    Values are non-negative decimals (strings or integers; never floats, they are inexact),
    ``max_open_orders`` an integer, ``max_concentration`` a fraction between 0 and 1; ``null``
    removes the account's override (the platform default applies again)."""
    if not isinstance(body, dict) or not body:
        raise InvalidLimits("the body must be a JSON object of limit names to values", field="body")
    out: dict[str, Decimal | int | None] = {}
    for name, raw in body.items():
        if name not in LIMIT_NAMES:
            raise InvalidLimits(f"unknown limit {name!r}; limits are: {', '.join(sorted(LIMIT_NAMES))}", field=name)
        if raw is None:
            out[name] = None
            continue
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise InvalidLimits(f"{name} must be a decimal string or an integer", field=name)
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            raise InvalidLimits(f"{name} is not a number: {raw!r}", field=name) from None
        if not value.is_finite() or value < 0:
            raise InvalidLimits(f"{name} must be zero or more", field=name)
        if name in _FRACTION and value > 1:
            raise InvalidLimits(f"{name} is a fraction between 0 and 1 (0.20 = 20 %)", field=name)
        if name in _INTEGER:
            if value != value.to_integral_value():
                raise InvalidLimits(f"{name} must be a whole number", field=name)
            out[name] = int(value)
        else:
            out[name] = value
    return out


def limit_value(name: str, stored: str) -> Decimal | int:
    """A stored override back to its kind."""
    return int(stored) if name in _INTEGER else Decimal(stored)
