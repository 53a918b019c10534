"""Money and quantities. Money is ``Decimal`` end to end (invariant 9); quantities are positive ints.

Prices arrive as strings or ints from JSON; floats are refused because they cannot say which
decimal the caller meant. Bounds keep absurd values out before they reach arithmetic.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from tradewind.domain.errors import InvalidOrder

MAX_PRICE = Decimal("1000000")
MAX_QTY = 1_000_000
PRICE_PLACES = 4


def parse_price(value: object, *, field: str) -> Decimal:
    """A positive, finite price with at most four decimal places."""
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidOrder(f'{field} must be a decimal string such as "101.25"', field=field)
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str | Decimal):
        raise InvalidOrder(f'{field} must be a decimal string such as "101.25"', field=field)
    try:
        price = Decimal(value)
    except (InvalidOperation, ValueError):
        raise InvalidOrder(f"{field} is not a number: {value!r}", field=field) from None
    if not price.is_finite():
        raise InvalidOrder(f"{field} must be finite", field=field)
    if price <= 0:
        raise InvalidOrder(f"{field} must be greater than zero", field=field)
    if price > MAX_PRICE:
        raise InvalidOrder(f"{field} must be at most {MAX_PRICE}", field=field)
    exponent = price.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -PRICE_PLACES:
        raise InvalidOrder(f"{field} has more than {PRICE_PLACES} decimal places", field=field)
    return price


def parse_qty(value: object, *, field: str = "qty") -> int:
    """A positive whole number of shares, at most ``MAX_QTY``."""
    if isinstance(value, bool):
        raise InvalidOrder(f"{field} must be a whole number of shares", field=field)
    if isinstance(value, str | Decimal | float):
        try:
            dec = Decimal(str(value))
        except (InvalidOperation, ValueError):
            raise InvalidOrder(f"{field} is not a number: {value!r}", field=field) from None
        if not dec.is_finite() or dec != dec.to_integral_value():
            raise InvalidOrder(f"{field} must be a whole number of shares", field=field)
        if dec > MAX_QTY:  # bound before int(): int(Decimal("1e1000000")) blocks for most of a minute
            raise InvalidOrder(f"{field} must be at most {MAX_QTY}", field=field)
        value = int(dec)
    if not isinstance(value, int):
        raise InvalidOrder(f"{field} must be a whole number of shares", field=field)
    if value <= 0:
        raise InvalidOrder(f"{field} must be greater than zero", field=field)
    if value > MAX_QTY:
        raise InvalidOrder(f"{field} must be at most {MAX_QTY}", field=field)
    return value


def money_str(value: Decimal | None) -> str | None:
    """Render money for the wire: a plain decimal string, never exponent notation."""
    if value is None:
        return None
    return format(value.normalize() if value == value.to_integral_value() else value, "f")
