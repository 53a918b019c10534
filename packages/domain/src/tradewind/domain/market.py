"""Quotes: the last known price of a symbol, as the price cache and the risk check see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from tradewind.domain.clock import utcnow

#: a quote older than this must not be used to take risk (invariant 4)
STALE_AFTER: Final = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class Quote:
    symbol: str
    bid: Decimal
    ask: Decimal
    last: Decimal
    ts: datetime

    def is_stale(self, now: datetime | None = None) -> bool:
        return ((now or utcnow()) - self.ts) > STALE_AFTER

    def to_dict(self, now: datetime | None = None) -> dict[str, object]:
        return {
            "symbol": self.symbol,
            "bid": str(self.bid),
            "ask": str(self.ask),
            "last": str(self.last),
            "ts": self.ts.isoformat().replace("+00:00", "Z"),
            "stale": self.is_stale(now),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, object]) -> Quote:
        ts = datetime.fromisoformat(str(raw["ts"]).replace("Z", "+00:00"))
        return cls(
            symbol=str(raw["symbol"]),
            bid=Decimal(str(raw["bid"])),
            ask=Decimal(str(raw["ask"])),
            last=Decimal(str(raw["last"])),
            ts=ts,
        )
