"""The process's Redis client waits for a free connection and, when none comes in time, its
callers answer ``ServiceUnavailable`` (503), not redis-py's ``MaxConnectionsError`` (a 500: 409
of 15,000 orders at 250/s before). Real Redis, a pool of two connections held by the test."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import BlockingConnectionPool

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.redis.client import redis_client
from tradewind.adapters.aws.redis.prices import RedisPriceCache
from tradewind.adapters.aws.redis.rate_limiter import RedisRateLimiter
from tradewind.adapters.aws.settings import Settings
from tradewind.domain.errors import ServiceUnavailable


async def test_the_container_client_waits_for_a_connection(services: Settings) -> None:
    adapters = build_adapters(services.model_copy(update={"redis_pool_size": 7, "redis_pool_wait_s": 1.5}))
    pool = adapters.redis().connection_pool
    assert isinstance(pool, BlockingConnectionPool)
    assert (pool.max_connections, pool.timeout) == (7, 1.5)
    await adapters.redis().aclose()


async def test_an_exhausted_pool_waits_then_fails_as_service_unavailable(services: Settings) -> None:
    client = redis_client(services.redis_url, max_connections=2, wait_s=0.3)
    limiter, prices, key = RedisRateLimiter(client), RedisPriceCache(client), f"k-{uuid.uuid4().hex}"
    pool = client.connection_pool
    held = [await pool.get_connection(), await pool.get_connection()]
    try:
        with pytest.raises(ServiceUnavailable) as refused:
            await limiter.take(key, 1.0, 5)
        assert refused.value.service == "redis"
        with pytest.raises(ServiceUnavailable):
            await prices.get_many(["AAPL"])

        patient = RedisRateLimiter(redis_client(services.redis_url, max_connections=1, wait_s=30))
        own = patient._redis.connection_pool
        blocker = await own.get_connection()
        waiting = asyncio.create_task(patient.take(key, 1.0, 5))
        done, _ = await asyncio.wait({waiting}, timeout=0.2)
        assert not done  # no connection free: it waits (the old pool raised at once)
        await own.release(blocker)
        assert await asyncio.wait_for(waiting, 10) == 0.0  # and is served once one is back
        await patient._redis.aclose()
    finally:
        for connection in held:
            await pool.release(connection)
    assert await limiter.take(key, 1.0, 5) == 0.0  # connections back: served again
    await client.aclose()
