"""Token buckets in Redis, one hash per key, updated atomically by a Lua script on Redis's own
clock, so every web process spends from the same bucket (issue 13). A bucket expires once it
would be full again: the keyspace holds only accounts that traded lately. When Redis does not
answer, ``take`` fails closed: ``ServiceUnavailable`` (503), not a request let through unmetered."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from tradewind.domain.errors import ServiceUnavailable

_TAKE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or burst)
local last = tonumber(redis.call('HGET', KEYS[1], 'ts') or t)
tokens = math.min(burst, tokens + (t - last) * rate)
local wait = 0
if tokens < 1 then
  wait = (1 - tokens) / rate
else
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(t))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisRateLimiter:
    def __init__(self, redis: Redis, *, prefix: str = "tw:rate:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._script: Any = None

    async def take(self, key: str, rate: float, burst: int) -> float:
        if self._script is None:
            self._script = self._redis.register_script(_TAKE)
        try:
            wait = await self._script(keys=[self._prefix + key], args=[rate, burst])
        except RedisError as exc:  # no bucket to spend from: refuse (503), never let it through unmetered
            raise ServiceUnavailable("redis", f"rate limiter unavailable: {exc.__class__.__name__}") from exc
        return float(wait.decode() if isinstance(wait, bytes) else wait)
