"""``PriceUpdate``: one top-of-book quote with its last trade, as every feed reports it after
normalization, whatever the exchange's wire format.

Promises: prices are finite positive ``Decimal``s (never floats), ``bid <= ask`` (a locked book
is allowed, a crossed one is refused), ``volume`` is a non-negative whole number of shares traded
since the previous update of the symbol on that exchange, ``timestamp_ms`` is the exchange's
event time in UTC epoch milliseconds. A message that cannot meet these is refused with
``InvalidPriceUpdate`` naming the field, so a normalizer can count it and drop it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Final

from tradewind.domain.errors import DomainError
from tradewind.domain.market import Quote

SYMBOL_SHAPE: Final = re.compile(r"^[A-Z][A-Z0-9.]{0,9}$")
EXCHANGE_SHAPE: Final = re.compile(r"^[A-Z0-9_-]{1,16}$")
#: 2000-01-01 and 2100-01-01 in epoch ms: anything outside is a unit mistake (seconds, nanos)
MIN_TIMESTAMP_MS: Final = 946_684_800_000
MAX_TIMESTAMP_MS: Final = 4_102_444_800_000
MAX_PRICE: Final = Decimal("10000000")
MAX_VOLUME: Final = 10**12


class InvalidPriceUpdate(DomainError):
    code = "invalid_price_update"


def _price(value: object, field: str) -> Decimal:
    if isinstance(value, bool | float):
        raise InvalidPriceUpdate(f"{field} must be a decimal, not {type(value).__name__}", field=field)
    if isinstance(value, int | str):
        try:
            value = Decimal(value)
        except InvalidOperation:
            raise InvalidPriceUpdate(f"{field} is not a number: {value!r}", field=field) from None
    if not isinstance(value, Decimal):
        raise InvalidPriceUpdate(f"{field} must be a decimal", field=field)
    if not value.is_finite() or value <= 0 or value > MAX_PRICE:
        raise InvalidPriceUpdate(f"{field} must be a positive price, got {value}", field=field)
    return value


def _int(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidPriceUpdate(f"{field} must be an integer", field=field)
    if not low <= value <= high:
        raise InvalidPriceUpdate(f"{field} out of range: {value}", field=field)
    return value


@dataclass(frozen=True, slots=True)
class PriceUpdate:
    symbol: str
    bid: Decimal
    ask: Decimal
    last: Decimal
    volume: int
    timestamp_ms: int
    exchange: str

    def __post_init__(self) -> None:
        # The hot path of every feed: exact types are checked first, conversion only when needed.
        if type(self.symbol) is not str or not SYMBOL_SHAPE.match(self.symbol):
            raise InvalidPriceUpdate(f"symbol must be an upper-case ticker, got {self.symbol!r}", field="symbol")
        if type(self.exchange) is not str or not EXCHANGE_SHAPE.match(self.exchange):
            raise InvalidPriceUpdate(f"exchange must be a short code, got {self.exchange!r}", field="exchange")
        for name in ("bid", "ask", "last"):
            value = getattr(self, name)
            if type(value) is not Decimal:
                object.__setattr__(self, name, value := _price(value, name))
            elif not value.is_finite() or value <= 0 or value > MAX_PRICE:
                raise InvalidPriceUpdate(f"{name} must be a positive price, got {value}", field=name)
        if self.bid > self.ask:
            raise InvalidPriceUpdate(f"crossed quote: bid {self.bid} > ask {self.ask}", field="bid")
        if type(self.volume) is not int or not 0 <= self.volume <= MAX_VOLUME:
            _int(self.volume, "volume", 0, MAX_VOLUME)
        if type(self.timestamp_ms) is not int or not MIN_TIMESTAMP_MS <= self.timestamp_ms <= MAX_TIMESTAMP_MS:
            _int(self.timestamp_ms, "timestamp_ms", MIN_TIMESTAMP_MS, MAX_TIMESTAMP_MS)

    @property
    def event_time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, tz=UTC)

    def to_quote(self) -> Quote:
        """The price cache's view: the quote as of its event time (so staleness is the feed's)."""
        return Quote(symbol=self.symbol, bid=self.bid, ask=self.ask, last=self.last, ts=self.event_time)

    def to_dict(self) -> dict[str, object]:
        """The wire form inside the platform (stream records): decimals as strings."""
        return {
            "symbol": self.symbol,
            "bid": str(self.bid),
            "ask": str(self.ask),
            "last": str(self.last),
            "volume": self.volume,
            "timestamp_ms": self.timestamp_ms,
            "exchange": self.exchange,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, object]) -> PriceUpdate:
        """Inverse of ``to_dict``; raises ``InvalidPriceUpdate`` on anything else."""
        try:
            return cls(
                symbol=raw["symbol"],  # type: ignore[arg-type]  # validated in __post_init__
                bid=raw["bid"],  # type: ignore[arg-type]
                ask=raw["ask"],  # type: ignore[arg-type]
                last=raw["last"],  # type: ignore[arg-type]
                volume=raw["volume"],  # type: ignore[arg-type]
                timestamp_ms=raw["timestamp_ms"],  # type: ignore[arg-type]
                exchange=raw["exchange"],  # type: ignore[arg-type]
            )
        except KeyError as exc:
            raise InvalidPriceUpdate(f"missing {exc.args[0]}", field=str(exc.args[0])) from None

    @classmethod
    def from_quote(cls, quote: Quote, *, exchange: str, volume: int = 0) -> PriceUpdate:
        return cls(
            symbol=quote.symbol,
            bid=quote.bid,
            ask=quote.ask,
            last=quote.last,
            volume=volume,
            timestamp_ms=int(quote.ts.timestamp() * 1000),
            exchange=exchange,
        )
