"""Batched Redis writes for the market-data service: many last prices in one pipelined round
trip (same keys, JSON and TTL as ``RedisPriceCache``), and many ``quote`` updates published in
one round trip on the channel the web processes listen to (same message as ``RedisNotifier``)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from redis.asyncio import Redis

from tradewind.adapters.aws.redis.notifier import CHANNEL, RedisNotifier
from tradewind.adapters.aws.redis.prices import PREFIX
from tradewind.domain.market import STALE_AFTER, Quote


class RedisQuoteWriter:
    def __init__(self, redis: Redis, *, ttl_seconds: float = STALE_AFTER.total_seconds()) -> None:
        self._redis = redis
        self._ttl_ms = int(ttl_seconds * 1000)

    async def put_many(self, quotes: Sequence[Quote]) -> None:
        if not quotes:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for quote in quotes:
                pipe.set(PREFIX + quote.symbol, json.dumps(quote.to_dict()), px=self._ttl_ms)
            await pipe.execute()


class RedisQuoteBroadcaster:
    """Quotes as everyone's ``quote`` updates, through the notifier's one pipelined round trip."""

    def __init__(self, redis: Redis, channel: str = CHANNEL) -> None:
        self._notifier = RedisNotifier(redis, channel)

    async def broadcast(self, quotes: Sequence[Quote]) -> None:
        await self._notifier.publish_many([(None, "quote", None, quote.to_dict()) for quote in quotes])
