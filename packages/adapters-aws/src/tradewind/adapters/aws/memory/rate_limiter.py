"""In-memory token buckets (the twin of ``redis.rate_limiter``) for the one-process ``memory``
profile; a bucket is forgotten once it would be full again."""

from __future__ import annotations

import time
from collections.abc import Callable


class MemoryRateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    async def take(self, key: str, rate: float, burst: int) -> float:
        now = self._clock()
        tokens, last = self._buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - last) * rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / rate
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) > 100_000:  # bound: drop the buckets that are full again
            self._buckets = {k: v for k, v in self._buckets.items() if v[0] + (now - v[1]) * rate < burst}
        return 0.0
