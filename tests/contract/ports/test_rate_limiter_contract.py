"""The ``RateLimiter`` contract (issue 13), on the in-memory twin and on Redis: a bucket gives
``burst`` tokens, then says how long to wait; buckets are per key; on Redis two limiters (two
web processes) spend from one bucket; the Redis key expires once the bucket would be full."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from tradewind.adapters.aws.memory.rate_limiter import MemoryRateLimiter
from tradewind.adapters.aws.redis.rate_limiter import RedisRateLimiter
from tradewind.adapters.aws.settings import Settings
from tradewind.application.ports import RateLimiter

SLOW = 0.001  # one token per 1,000 s: nothing refills during a test


@pytest.fixture(params=["memory", "redis"])
async def limiters(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], RateLimiter]]:
    if request.param == "memory":
        shared = MemoryRateLimiter()
        yield lambda: shared
        return
    settings: Settings = request.getfixturevalue("services")
    clients = [Redis(host=settings.redis_host, port=settings.redis_port) for _ in range(2)]
    made = iter(RedisRateLimiter(c) for c in clients)
    try:
        yield lambda: next(made)
    finally:
        for c in clients:
            await c.aclose()


async def test_a_bucket_gives_its_burst_then_says_how_long_to_wait(limiters: Callable[[], RateLimiter]) -> None:
    limiter, key = limiters(), f"k-{uuid.uuid4().hex}"
    assert [await limiter.take(key, SLOW, 3) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = await limiter.take(key, SLOW, 3)
    assert 900 < wait <= 1000  # a whole token at one per 1,000 s
    assert await limiter.take(f"other-{key}", SLOW, 3) == 0.0  # buckets are per key


async def test_a_fast_bucket_refills(limiters: Callable[[], RateLimiter]) -> None:
    limiter, key = limiters(), f"k-{uuid.uuid4().hex}"
    assert await limiter.take(key, 1_000_000, 1) == 0.0
    # at a million tokens a second the bucket is full again by the next call
    assert await limiter.take(key, 1_000_000, 1) == 0.0


async def test_two_processes_spend_from_one_bucket_on_redis(services: Settings) -> None:
    a_client, b_client = (Redis(host=services.redis_host, port=services.redis_port) for _ in range(2))
    try:
        a, b, key = RedisRateLimiter(a_client), RedisRateLimiter(b_client), f"k-{uuid.uuid4().hex}"
        assert await a.take(key, SLOW, 2) == 0.0
        assert await b.take(key, SLOW, 2) == 0.0
        assert await a.take(key, SLOW, 2) > 0  # the other process took the second token
        ttl = await a_client.pttl(f"tw:rate:{key}")
        assert 0 < ttl <= 2 / SLOW * 1000 + 1000  # the key goes once the bucket would be full
    finally:
        await a_client.aclose()
        await b_client.aclose()
