"""Ports of the audit archive: a partitioned log read with manual commits, and the archive.

The audit consumer cannot use ``Subscriptions``: a handler that returns commits its offset, and
the archive must buffer thousands of events before a file is written. ``PartitionedLog`` hands
over records with their coordinates and commits only when told (invariant 5).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from tradewind.application.audit.rows import AuditRow

TopicPartition = tuple[str, int]
RevokeHandler = Callable[[Collection[TopicPartition]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LogRecord:
    topic: str
    partition: int
    offset: int
    #: the broker's timestamp of the record (UTC)
    timestamp: datetime
    value: bytes


class PartitionedLog(Protocol):
    """A consumer group over topics whose committed position moves only by ``commit``.

    Records of one partition come in offset order. Nothing is committed until ``commit``: a
    consumer that stops (or dies) without committing makes the group read those records again.
    ``on_revoked`` is awaited when partitions are taken away (a rebalance), before anyone else
    reads them."""

    async def start(self, on_revoked: RevokeHandler) -> None: ...

    async def fetch(self, timeout: float, max_records: int) -> list[LogRecord]:
        """What arrived, at most ``max_records``; waits at most ``timeout`` seconds for the first."""
        ...

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Commit, per partition, the offset of the next record to read."""

    async def ready(self) -> bool:
        """Assigned and positioned: nothing published from now on is missed."""
        ...

    async def stop(self) -> None: ...


class AuditArchive(Protocol):
    """Immutable files of audit rows, and the small checkpoint objects that make cuts repeatable."""

    async def write(self, key: str, event_type: str, rows: Sequence[AuditRow]) -> None:
        """Write one file. Idempotent: a key names its content, so writing it again is harmless."""

    async def create_checkpoint(self, key: str, body: Mapping[str, Any]) -> bool:
        """Create ``key`` unless it exists; True when this call created it."""
        ...

    async def get_checkpoint(self, key: str) -> dict[str, Any] | None: ...

    async def delete_checkpoint(self, key: str) -> None: ...

    async def keys(self, prefix: str) -> list[str]: ...

    async def read(self, key: str) -> list[AuditRow]: ...
