"""The audit consumer: every record of its topics into the archive, once, then the offset.

Buffers records per partition and flushes at ``max_events`` buffered, when the oldest has waited
``max_age`` seconds (a real timer), and on a graceful stop. A flush cuts each partition's buffer
into files of one date and one type, named by their content, and commits the offsets only after
every file is written (invariant 5). Cancelling ``run`` is a crash: nothing is flushed or
committed, and the group reads those records again.

Redelivery never duplicates an event in the archive, because a redelivered batch is always cut
where it was cut the first time: before writing, the flush creates a checkpoint object named by
(group, partition, first offset) that records the last offset of the cut, and creation fails if
it exists. Whoever flushes from the same first offset later (this process after a crash between
write and commit, or another after a rebalance) adopts the recorded cut, so it writes the same
rows to the same keys. Why not simply flush per poll or per message: see
``docs/decisions/0005-audit-offsets.md``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass

from tradewind.application.audit.ports import AuditArchive, LogRecord, PartitionedLog, TopicPartition
from tradewind.application.audit.rows import AuditRow, content_key, to_row

log = logging.getLogger(__name__)
IDLE_WAIT = 0.25


@dataclass(frozen=True, slots=True)
class AuditFile:
    key: str
    event_type: str
    rows: list[AuditRow]


def files_of(records: list[LogRecord]) -> list[AuditFile]:
    """One partition's cut into files of one date and one type, rows in offset order.

    Every record is kept, even one whose event id was seen before: the archive is a faithful
    copy of the log, each record exactly once by its coordinates. An event a producer published
    twice (a relay retry, a fill reported by callback and by reconciliation) is two records;
    readers dedupe by ``event_id`` (replay does). Dropping it here only within one cut would make
    the archive depend on where cuts fall."""
    groups: dict[tuple[str, str], list[AuditRow]] = defaultdict(list)
    for record in records:
        row = to_row(record)
        groups[(row.dt, row.event_type)].append(row)
    return [
        AuditFile(content_key(dt, event_type, rows), event_type, rows)
        for (dt, event_type), rows in sorted(groups.items())
    ]


class AuditArchiver:
    def __init__(
        self,
        log_: PartitionedLog,
        archive: AuditArchive,
        *,
        group: str,
        max_events: int = 10_000,
        max_age: float = 30.0,
        fetch_max: int = 2_000,
        retry_delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log_
        self._archive = archive
        self._group = group
        self.max_events = max_events
        self.max_age = max_age
        self._fetch_max = fetch_max
        self._retry_delay = retry_delay
        self._clock = clock
        self._buffers: dict[TopicPartition, list[LogRecord]] = defaultdict(list)
        self._cuts: dict[TopicPartition, int] = {}  # adopted cuts: partition -> last offset
        self._oldest: float | None = None
        self._flushing = asyncio.Lock()
        self.archived = 0
        self.files = 0
        self.started = False

    @property
    def buffered(self) -> int:
        return sum(len(b) for b in self._buffers.values())

    async def ready(self) -> bool:
        """Consuming, assigned and positioned: nothing published from now on is missed."""
        return self.started and await self._log.ready()

    def checkpoint_key(self, tp: TopicPartition, first_offset: int) -> str:
        return f"checkpoints/{self._group}/{tp[0]}/{tp[1]}/{first_offset:020d}.json"

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set, then flush and commit what is buffered."""
        await self._log.start(self._on_revoked)
        self.started = True
        try:
            while not stop.is_set():
                if self.buffered >= self.max_events:  # a failing flush must not grow the buffer
                    await self._flush_or_back_off(stop)
                    continue
                records = await self._log.fetch(self._wait(), min(self._fetch_max, self.max_events - self.buffered))
                self._take(records)
                if self._due():
                    await self._flush_or_back_off(stop)
        except asyncio.CancelledError:
            await self._log.stop()  # a crash: nothing flushed, nothing committed
            raise
        try:
            await self.flush()
        finally:
            await self._log.stop()

    def _take(self, records: list[LogRecord]) -> None:
        for record in records:
            self._buffers[(record.topic, record.partition)].append(record)
        if records and self._oldest is None:
            self._oldest = self._clock()

    def _wait(self) -> float:
        """How long a fetch may block: until the oldest record is due, and never so long that a
        stop waits (an idle poll of Kafka is one cheap request)."""
        if self._oldest is None:
            return IDLE_WAIT
        return max(0.0, min(IDLE_WAIT, self._oldest + self.max_age - self._clock()))

    def _due(self) -> bool:
        if self.buffered >= self.max_events:
            return True
        return self._oldest is not None and self._clock() - self._oldest >= self.max_age

    async def _flush_or_back_off(self, stop: asyncio.Event) -> None:
        try:
            await self.flush()
        except Exception:
            log.exception("audit flush failed; records stay buffered and uncommitted")
            try:
                await asyncio.wait_for(stop.wait(), self._retry_delay)
            except TimeoutError:
                pass

    async def _on_revoked(self, partitions: Collection[TopicPartition]) -> None:
        """Partitions taken away: forget what we buffered of them (uncommitted, so the next
        owner reads it again; a cut we had started is in its checkpoint for the next owner)."""
        for tp in partitions:
            self._buffers.pop(tp, None)
            self._cuts.pop(tp, None)
        if not self.buffered:
            self._oldest = None

    async def flush(self) -> int:
        """Write every buffered partition's cut, then commit their offsets. Returns how many
        records were archived. Raises when a write failed (nothing of that partition committed)."""
        async with self._flushing:
            commits: dict[TopicPartition, int] = {}
            checkpoints: list[str] = []
            failed: Exception | None = None
            done = 0
            for tp in list(self._buffers):
                records = self._buffers.get(tp) or []
                if not records:
                    continue
                try:
                    cut = await self._cut(tp, records)
                    if cut is None:
                        continue  # an adopted cut ends beyond what we have read so far
                    taken = [r for r in records if r.offset <= cut]
                    for file in files_of(taken):
                        await self._archive.write(file.key, file.event_type, file.rows)
                        self.files += 1
                except Exception as exc:  # this partition stays buffered; the others go on
                    failed = exc
                    continue
                self._cuts.pop(tp, None)
                if self._buffers.get(tp) is not records:
                    continue  # revoked while we wrote: its next owner adopts the checkpoint
                self._buffers[tp] = records[len(taken) :]
                commits[tp] = cut + 1
                checkpoints.append(self.checkpoint_key(tp, taken[0].offset))
                done += len(taken)
            self._oldest = self._clock() if self.buffered else None
            if commits:
                await self._commit(commits, checkpoints)
            self.archived += done
            if failed is not None:
                raise failed
            return done

    async def _cut(self, tp: TopicPartition, records: list[LogRecord]) -> int | None:
        """The last offset of this partition's cut: ours, or the one recorded before us."""
        first, last = records[0].offset, records[-1].offset
        key = self.checkpoint_key(tp, first)
        adopted = self._cuts.get(tp)
        if adopted is None:
            if await self._archive.create_checkpoint(key, {"first": first, "last": last, "group": self._group}):
                return last
            recorded = await self._archive.get_checkpoint(key)
            if recorded is None:
                raise RuntimeError(f"checkpoint {key} exists and cannot be read")
            adopted = int(recorded["last"])
            self._cuts[tp] = adopted
            log.info("adopting an earlier cut", extra={"checkpoint": key, "last": adopted})
        return adopted if adopted <= last else None

    async def _commit(self, commits: dict[TopicPartition, int], checkpoints: list[str]) -> None:
        try:
            await self._log.commit(commits)
        except Exception:
            # Written but not committed: whoever reads these records again finds the
            # checkpoints and rewrites the same files. Keep the checkpoints.
            log.warning("audit commit failed after the files were written", exc_info=True)
            return
        for key in checkpoints:  # no longer needed: the group has moved past them
            try:
                await self._archive.delete_checkpoint(key)
            except Exception:
                log.warning("could not delete checkpoint %s (harmless)", key)
