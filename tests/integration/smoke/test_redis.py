"""Smoke: the Redis twin of ElastiCache answers through ``redis.asyncio``: a value with a TTL
(``SET .. EX``/``PX``, what SETEX/PSETEX do; redis-py 8 deprecates ``setex``) that really
expires, and pub/sub (the live-update fan-out). Keys and channels are per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from tradewind.adapters.aws.settings import Settings

Eventually = Callable[..., Awaitable[Any]]


@pytest.fixture
async def redis(services: Settings) -> AsyncIterator[Redis]:
    client = Redis(host=services.redis_host, port=services.redis_port)
    try:
        yield client
    finally:
        await client.aclose()


def name(kind: str) -> str:
    return f"smoke:{kind}:{uuid.uuid4().hex[:8]}"


async def test_set_with_expiry_get_and_ttl(redis: Redis) -> None:
    key = name("key")
    assert await redis.set(key, b"101.25", ex=30)
    assert await redis.get(key) == b"101.25"
    assert 0 < await redis.ttl(key) <= 30
    await redis.delete(key)
    assert await redis.get(key) is None


async def test_a_key_expires_after_its_ttl(redis: Redis, eventually: Eventually) -> None:
    key = name("short")
    assert await redis.set(key, b"x", px=150)
    assert await redis.get(key) == b"x"

    async def expired() -> bool:
        return await redis.get(key) is None

    await eventually(expired, timeout=5, what=f"{key} to expire")
    assert await redis.ttl(key) == -2  # no such key


async def test_pub_sub_delivers_to_a_subscriber(redis: Redis, eventually: Eventually) -> None:
    channel = name("channel")
    pubsub = redis.pubsub()
    try:
        await pubsub.subscribe(channel)
        confirmed = await pubsub.get_message(timeout=5)
        assert confirmed is not None and confirmed["type"] == "subscribe"

        assert await redis.publish(channel, b'{"kind": "quote"}') == 1  # one subscriber heard it

        async def message() -> Any:
            return await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)

        got = await eventually(message, timeout=5, what=f"a message on {channel}")
        assert (got["channel"], got["data"]) == (channel.encode(), b'{"kind": "quote"}')
    finally:
        await pubsub.aclose()
