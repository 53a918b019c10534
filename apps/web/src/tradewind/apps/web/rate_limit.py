"""Per-account throttles on orders, amends and cancels (token buckets), answering 429 with
``Retry-After``. The buckets live behind the ``RateLimiter`` port: in Redis on the ``local``
profile, so every web process spends from the same bucket and the limit holds however many
processes serve the port (issue 13). A runaway strategy is slowed at the door instead of filling
the outbox."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Literal

from litestar.exceptions import HTTPException

from tradewind.application.ports import RateLimiter

Action = Literal["order", "amend", "cancel"]


class RateLimited(HTTPException):
    status_code = 429


@dataclass(frozen=True)
class OrderRateLimiter:
    limiter: RateLimiter
    #: action -> (tokens per second, burst)
    rates: dict[str, tuple[float, int]]

    async def take(self, account_id: uuid.UUID, action: Action = "order") -> None:
        """Spend one token of the account's bucket for ``action`` or raise ``RateLimited``."""
        rate, burst = self.rates[action]
        wait = await self.limiter.take(f"{action}:{account_id}", rate, burst)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise RateLimited(
                detail=f"more than {rate:g} {action} requests per second; retry in {seconds}s",
                headers={"Retry-After": str(seconds)},
            )
