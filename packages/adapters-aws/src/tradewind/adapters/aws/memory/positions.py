"""In-memory positions view (the twin of ``dynamodb.positions``): one record per position with
the ``account_seq`` of the last fill applied to it; a fill at or below it is a redelivery.

Atomic by construction: ``apply_fill`` and ``apply_fills`` do not await between reading and
writing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from tradewind.application.positions.ports import AppliedFill, UnnumberedFill
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.events import OrderFilled
from tradewind.domain.positions.position import Fill, Position


class MemoryPositionStore:
    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self._positions: dict[tuple[uuid.UUID, str], tuple[Position, int, datetime]] = {}
        self._clock = clock

    async def is_empty(self) -> bool:
        return not self._positions

    async def apply_fills(self, fills: Sequence[OrderFilled]) -> list[AppliedFill]:
        for fill in fills:
            if fill.account_seq is None:
                raise UnnumberedFill(f"fill {fill.event_id} has no account_seq")
        return [self._apply(fill) for fill in fills]

    async def apply_fill(self, fill: OrderFilled) -> AppliedFill:
        return self._apply(fill)

    def _apply(self, fill: OrderFilled) -> AppliedFill:
        if fill.account_seq is None:
            raise UnnumberedFill(f"fill {fill.event_id} has no account_seq")
        key = (fill.account_id, fill.symbol)
        current, last_seq, applied_at = self._positions.get(key) or (
            Position(fill.account_id, fill.symbol),
            0,
            self._clock(),
        )
        if fill.account_seq <= last_seq:
            return AppliedFill(current, False, applied_at)
        after = current.apply(Fill.of(fill))
        now = self._clock()
        self._positions[key] = (after, fill.account_seq, now)
        return AppliedFill(after, True, now)

    async def get(self, account_id: uuid.UUID, symbol: str) -> Position | None:
        held = self._positions.get((account_id, symbol))
        return None if held is None else held[0]

    async def list(self, account_id: uuid.UUID) -> list[Position]:
        return sorted((p for (a, _), (p, _s, _t) in self._positions.items() if a == account_id), key=lambda p: p.symbol)
