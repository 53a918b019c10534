"""In-memory positions view (the twin of ``dynamodb.positions``).

Atomic by construction: ``apply_fill`` does not await between reading and writing, so the
idempotency record and the position change land together in one step of the event loop.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from tradewind.application.positions.ports import AppliedFill
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.events import OrderFilled
from tradewind.domain.positions.position import Fill, Position


class MemoryPositionStore:
    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self._positions: dict[tuple[uuid.UUID, str], Position] = {}
        self._fills: dict[uuid.UUID, AppliedFill] = {}
        self._clock = clock

    async def apply_fill(self, fill: OrderFilled) -> AppliedFill:
        seen = self._fills.get(fill.event_id)
        if seen is not None:
            return AppliedFill(seen.position, False, seen.applied_at)
        key = (fill.account_id, fill.symbol)
        current = self._positions.get(key) or Position(fill.account_id, fill.symbol)
        after = current.apply(Fill.of(fill))
        applied = AppliedFill(after, True, self._clock())
        self._positions[key] = after
        self._fills[fill.event_id] = applied
        return applied

    async def get(self, account_id: uuid.UUID, symbol: str) -> Position | None:
        return self._positions.get((account_id, symbol))

    async def list(self, account_id: uuid.UUID) -> list[Position]:
        return sorted((p for (a, _), p in self._positions.items() if a == account_id), key=lambda p: p.symbol)
