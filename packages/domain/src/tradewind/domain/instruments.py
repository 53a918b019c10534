"""The tradable universe: the 20 S&P 500 names whose real history ships in ``shared/data``.

An order for anything else is refused at the door (422) and by the paper broker."""

from __future__ import annotations

import re
from typing import Final

from tradewind.domain.errors import InvalidOrder

SYMBOLS: Final[frozenset[str]] = frozenset(
    "AAPL AMD BAC BBY CVX GE HD JNJ JPM KO LLY MRK MSFT PEP PFE PG RRC UNH WMT XOM".split()
)
DEFAULT_WATCHLIST: Final[tuple[str, ...]] = ("AAPL", "MSFT", "JPM", "XOM", "KO", "AMD")
_SYMBOL_SHAPE = re.compile(r"^[A-Z][A-Z0-9.]{0,9}$")


def parse_symbol(value: object, *, field: str = "symbol", universe: frozenset[str] = SYMBOLS) -> str:
    if not isinstance(value, str) or not _SYMBOL_SHAPE.match(value.upper()):
        raise InvalidOrder(f'{field} must be a ticker such as "AAPL"', field=field)
    symbol = value.upper()
    if symbol not in universe:
        raise InvalidOrder(f"unknown symbol {symbol}", field=field)
    return symbol
