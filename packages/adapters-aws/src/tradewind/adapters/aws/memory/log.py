"""The in-memory twin of ``kafka.log``: the ``MemoryBus`` topic logs read by a consumer group
with manual commits. One partition per topic (the bus keeps one ordered log per topic);
committed offsets live in ``MemoryLogOffsets``, shared by every reader of one bus, so a reader
started after another stopped resumes where the group committed."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.application.audit.ports import LogRecord, RevokeHandler, TopicPartition
from tradewind.domain.clock import utcnow

POLL_INTERVAL = 0.01


@dataclass
class MemoryLogOffsets:
    committed: dict[tuple[str, TopicPartition], int] = field(default_factory=dict)
    #: the time each record was first seen, standing in for the broker's timestamp
    timestamps: dict[tuple[str, int], datetime] = field(default_factory=dict)


class MemoryPartitionedLog:
    def __init__(
        self,
        bus: MemoryBus,
        offsets: MemoryLogOffsets,
        topics: Sequence[str],
        group: str,
        *,
        start_at_end: bool = False,
    ) -> None:
        self._bus = bus
        self._offsets = offsets
        self.topics = list(topics)
        self.group = group
        self._start_at_end = start_at_end
        self._positions: dict[str, int] = {}

    def _log(self, topic: str) -> list[tuple[str, bytes]]:
        return self._bus._topic(topic).records  # the bus's own ordered log (same package); never copied

    async def start(self, on_revoked: RevokeHandler) -> None:
        for topic in self.topics:
            committed = self._offsets.committed.get((self.group, (topic, 0)))
            if committed is None:
                committed = len(self._log(topic)) if self._start_at_end else 0
            self._positions[topic] = committed

    async def fetch(self, timeout: float, max_records: int) -> list[LogRecord]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            out: list[LogRecord] = []
            for topic in self.topics:
                records = self._log(topic)
                position = self._positions[topic]
                while position < len(records) and len(out) < max_records:
                    ts = self._offsets.timestamps.setdefault((topic, position), utcnow())
                    out.append(LogRecord(topic, 0, position, ts, records[position][1]))
                    position += 1
                self._positions[topic] = position
            if out or loop.time() >= deadline:
                return out
            await asyncio.sleep(min(POLL_INTERVAL, max(0.0, deadline - loop.time())))

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        for tp, offset in offsets.items():
            self._offsets.committed[(self.group, tp)] = offset

    async def ready(self) -> bool:
        return bool(self._positions)

    async def stop(self) -> None:
        self._positions = {}
