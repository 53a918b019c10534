"""Last price per symbol with a 5 s TTL: an expired key is no price, so the risk check fails
closed on a feed that stopped (invariant 4)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

from tradewind.domain.errors import ServiceUnavailable
from tradewind.domain.market import STALE_AFTER, Quote

PREFIX = "price:"


def _unavailable(exc: RedisError) -> ServiceUnavailable:
    """Reads fail as ``ServiceUnavailable`` (a 503 at ``GET /quotes``; the risk check refuses
    the order ``risk_unavailable``): no price is never mistaken for a price."""
    return ServiceUnavailable("redis", f"price cache unavailable: {exc.__class__.__name__}")


class RedisPriceCache:
    def __init__(self, redis: Redis, *, ttl_seconds: float = STALE_AFTER.total_seconds()) -> None:
        self._redis = redis
        self._ttl_ms = int(ttl_seconds * 1000)

    async def put(self, quote: Quote) -> None:
        await self._redis.set(PREFIX + quote.symbol, json.dumps(quote.to_dict()), px=self._ttl_ms)

    async def get(self, symbol: str) -> Quote | None:
        try:
            raw = await self._redis.get(PREFIX + symbol)
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return None if raw is None else Quote.from_dict(json.loads(raw))

    async def get_many(self, symbols: Sequence[str]) -> dict[str, Quote]:
        if not symbols:
            return {}
        try:
            values = await self._redis.mget([PREFIX + s for s in symbols])
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return {s: Quote.from_dict(json.loads(v)) for s, v in zip(symbols, values, strict=True) if v is not None}
