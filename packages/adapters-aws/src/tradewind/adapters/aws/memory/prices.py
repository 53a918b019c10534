"""In-memory last-price cache with the same 5 s expiry as the Redis one."""

from __future__ import annotations

from collections.abc import Sequence

from tradewind.domain.clock import utcnow
from tradewind.domain.market import STALE_AFTER, Quote


class MemoryPriceCache:
    def __init__(self, ttl_seconds: float = STALE_AFTER.total_seconds()) -> None:
        self._ttl = ttl_seconds
        self._quotes: dict[str, tuple[Quote, float]] = {}

    async def put(self, quote: Quote) -> None:
        self._quotes[quote.symbol] = (quote, utcnow().timestamp() + self._ttl)

    async def get(self, symbol: str) -> Quote | None:
        hit = self._quotes.get(symbol)
        if hit is None or hit[1] < utcnow().timestamp():
            return None
        return hit[0]

    async def get_many(self, symbols: Sequence[str]) -> dict[str, Quote]:
        out = {}
        for symbol in symbols:
            if (quote := await self.get(symbol)) is not None:
                out[symbol] = quote
        return out
