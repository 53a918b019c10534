"""Last price per symbol with a 5 s TTL: an expired key is no price, so the risk check fails
closed on a feed that stopped (invariant 4)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from redis.asyncio import Redis

from tradewind.domain.market import STALE_AFTER, Quote

PREFIX = "price:"


class RedisPriceCache:
    def __init__(self, redis: Redis, *, ttl_seconds: float = STALE_AFTER.total_seconds()) -> None:
        self._redis = redis
        self._ttl_ms = int(ttl_seconds * 1000)

    async def put(self, quote: Quote) -> None:
        await self._redis.set(PREFIX + quote.symbol, json.dumps(quote.to_dict()), px=self._ttl_ms)

    async def get(self, symbol: str) -> Quote | None:
        raw = await self._redis.get(PREFIX + symbol)
        return None if raw is None else Quote.from_dict(json.loads(raw))

    async def get_many(self, symbols: Sequence[str]) -> dict[str, Quote]:
        if not symbols:
            return {}
        values = await self._redis.mget([PREFIX + s for s in symbols])
        return {s: Quote.from_dict(json.loads(v)) for s, v in zip(symbols, values, strict=True) if v is not None}
