"""The positions view port. Real twin: DynamoDB (``adapters.aws.dynamodb.positions``); in-memory
twin: ``adapters.aws.memory.positions``; both pass ``tests/contract/ports/test_position_store_contract``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tradewind.domain.orders.events import OrderFilled
from tradewind.domain.positions.position import Position


@dataclass(frozen=True, slots=True)
class AppliedFill:
    """The position right after one fill, as stored with that fill's idempotency record.

    ``applied`` is False when the fill had been applied before (a redelivery): ``position`` and
    ``applied_at`` are then the position's current ones (fills apply in order, so it is the
    state the redelivered fill led to, or a later one)."""

    position: Position
    applied: bool
    applied_at: datetime


class UnnumberedFill(ValueError):
    """A fill without ``account_seq`` (not written by the OMS ledger): it cannot be applied
    exactly once, so it is refused (the service parks it in ``dead_letter``)."""


class PositionStore(Protocol):
    async def is_empty(self) -> bool:
        """No position at all (the view's storage was lost or never filled)."""
        ...

    async def apply_fill(self, fill: OrderFilled) -> AppliedFill:
        """Apply ``fill`` exactly once. Fills of an account come in ``account_seq`` order, so a
        position keeps the number of the last fill applied to it: a fill at or below it is a
        redelivery and changes nothing; concurrent writers of one position never lose an update."""
        ...

    async def apply_fills(self, fills: Sequence[OrderFilled]) -> list[AppliedFill]:
        """``apply_fill`` for each of ``fills`` (one poll, several accounts), with the same
        results in the same order, as few writes as the store can make of them. An unnumbered
        fill anywhere refuses the whole call (``UnnumberedFill``) before anything is written."""
        ...

    async def get(self, account_id: uuid.UUID, symbol: str) -> Position | None: ...

    async def list(self, account_id: uuid.UUID) -> list[Position]:
        """Every position the account ever had, flat ones included (they keep realized P&L)."""
        ...
