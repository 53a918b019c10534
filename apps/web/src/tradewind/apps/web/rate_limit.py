"""Per-account order rate limit (token bucket), answering 429 with ``Retry-After``.

Per process: with several web processes each enforces its own bucket, so the effective limit is
the configured rate times the number of processes (documented in the README). A runaway
strategy is slowed at the door instead of filling the outbox.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field

from litestar.exceptions import HTTPException


class RateLimited(HTTPException):
    status_code = 429


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class OrderRateLimiter:
    rate_per_second: float
    burst: int
    _buckets: dict[uuid.UUID, _Bucket] = field(default_factory=dict)

    def take(self, account_id: uuid.UUID) -> None:
        """Spend one token or raise ``RateLimited`` saying when to come back."""
        now = time.monotonic()
        bucket = self._buckets.get(account_id)
        if bucket is None:
            bucket = self._buckets[account_id] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate_per_second)
        bucket.updated = now
        if bucket.tokens < 1:
            wait = math.ceil((1 - bucket.tokens) / self.rate_per_second)
            raise RateLimited(
                detail=f"more than {self.rate_per_second:g} order requests per second; retry in {wait}s",
                headers={"Retry-After": str(max(wait, 1))},
            )
        bucket.tokens -= 1
