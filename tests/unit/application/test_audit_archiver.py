"""The audit archiver on its in-memory twins (bus, object store): flush by size, by age and on
stop; one date and one type per file; offsets committed only after the write; a crash before
the flush loses nothing; a crash between write and commit duplicates nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tradewind.adapters.aws.audit.parquet import ParquetAuditArchive
from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.log import MemoryLogOffsets, MemoryPartitionedLog
from tradewind.adapters.aws.memory.objects import MemoryObjectStore
from tradewind.application.audit.archiver import AuditArchiver
from tradewind.application.audit.ports import TopicPartition
from tradewind.application.topics import DEAD_LETTER, ORDER_EVENTS, RISK_EVENTS
from tradewind.domain.orders.events import OrderFilled
from tradewind.domain.orders.status import OrderSide

Eventually = Callable[..., Awaitable[Any]]
TOPICS = [ORDER_EVENTS, RISK_EVENTS, DEAD_LETTER]
DAY1 = datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC)


def filled(at: datetime = DAY1, qty: int = 1) -> OrderFilled:
    order_id = uuid.uuid4()
    return OrderFilled(
        account_id=uuid.uuid4(),
        correlation_id=order_id,
        order_id=order_id,
        symbol="AAPL",
        occurred_at=at,
        fill_id=f"X-{uuid.uuid4().hex[:6]}",
        side=OrderSide.BUY,
        fill_qty=qty,
        fill_price=Decimal("101.2500"),
        cum_qty=qty,
        avg_price=Decimal("101.25"),
        leaves_qty=0,
        order_qty=qty,
        broker_order_id="B-1",
    )


class Stack:
    def __init__(self) -> None:
        self.bus = MemoryBus()
        self.offsets = MemoryLogOffsets()
        self.objects = MemoryObjectStore()
        self.archive = ParquetAuditArchive(self.objects)

    def archiver(self, **kw: Any) -> AuditArchiver:
        log = MemoryPartitionedLog(self.bus, self.offsets, TOPICS, "audit")
        return AuditArchiver(log, self.archive, group="audit", **kw)

    async def publish(self, *events: OrderFilled, topic: str = ORDER_EVENTS) -> None:
        for e in events:
            await self.bus.publish(topic, str(e.account_id), e.to_json())

    def files(self) -> list[str]:
        return sorted(k for k in self.objects.objects if k.startswith("events/"))

    async def archived_ids(self) -> list[str]:
        return sorted([r.event_id for k in self.files() for r in await self.archive.read(k)])

    def committed(self, topic: str = ORDER_EVENTS) -> int | None:
        return self.offsets.committed.get(("audit", (topic, 0)))


async def run_until(archiver: AuditArchiver, condition: Callable[[], bool], eventually: Eventually) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(archiver.run(stop))

    async def met() -> bool:
        return condition()

    try:
        await eventually(met, timeout=10, what="the archiver to get there")
    finally:
        stop.set()
        await task


async def test_a_flush_at_n_events_writes_one_file_per_date_and_type(eventually: Eventually) -> None:
    stack = Stack()
    day2 = DAY1 + timedelta(seconds=2)
    events = [filled(DAY1), filled(day2), filled(DAY1)]
    await stack.publish(*events)
    archiver = stack.archiver(max_events=3, max_age=3600)

    await run_until(archiver, lambda: stack.committed() == 3, eventually)

    files = stack.files()
    assert [f.split("/")[1:3] for f in files] == [
        ["dt=2026-03-01", "type=order.filled"],
        ["dt=2026-03-02", "type=order.filled"],
    ]
    assert await stack.archived_ids() == sorted(str(e.event_id) for e in events)
    rows = await stack.archive.read(files[0])
    assert rows[0].fields["fill_price"] == Decimal("101.25") and rows[0].payload == events[0].to_json()


async def test_a_lone_event_is_archived_when_the_timer_fires(eventually: Eventually) -> None:
    stack = Stack()
    archiver = stack.archiver(max_events=10_000, max_age=0.3)
    stop = asyncio.Event()
    task = asyncio.create_task(archiver.run(stop))
    try:
        await eventually(lambda: _true(archiver.started), what="the archiver to start")
        await stack.publish(filled())
        await eventually(lambda: _true(stack.committed() == 1), timeout=5, what="the timer flush")
        assert len(stack.files()) == 1 and not stop.is_set()  # flushed by the timer, not by a stop
    finally:
        stop.set()
        await task


async def _true(value: bool) -> bool:
    return value


async def test_nothing_is_committed_before_the_write_and_a_stop_flushes(eventually: Eventually) -> None:
    stack = Stack()
    await stack.publish(filled(), filled())
    archiver = stack.archiver(max_events=10_000, max_age=3600)
    stop = asyncio.Event()
    task = asyncio.create_task(archiver.run(stop))
    await eventually(lambda: _true(archiver.buffered == 2), what="both buffered")
    assert stack.committed() is None and stack.files() == []

    stop.set()
    await task

    assert stack.committed() == 2 and len(await stack.archived_ids()) == 2


async def test_a_crash_before_the_flush_loses_nothing(eventually: Eventually) -> None:
    stack = Stack()
    events = [filled() for _ in range(5)]
    await stack.publish(*events)
    crashed = stack.archiver(max_events=10_000, max_age=3600)
    task = asyncio.create_task(crashed.run(asyncio.Event()))
    await eventually(lambda: _true(crashed.buffered == 5), what="all buffered")
    task.cancel()  # a crash: no flush, no commit
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stack.files() == [] and stack.committed() is None

    await run_until(stack.archiver(max_events=5, max_age=3600), lambda: stack.committed() == 5, eventually)

    assert await stack.archived_ids() == sorted(str(e.event_id) for e in events)


class CommitFailsOnce(MemoryPartitionedLog):
    """The process dies between the file write and the offset commit (the commit never lands)."""

    failed = False

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        if not self.failed:
            self.failed = True
            raise ConnectionError("died before the commit")
        await super().commit(offsets)


async def test_a_redelivered_batch_is_cut_the_same_and_duplicates_nothing(eventually: Eventually) -> None:
    stack = Stack()
    first = [filled() for _ in range(3)]
    await stack.publish(*first)
    log = CommitFailsOnce(stack.bus, stack.offsets, TOPICS, "audit")
    archiver = AuditArchiver(log, stack.archive, group="audit", max_events=3, max_age=3600)
    await run_until(archiver, lambda: log.failed, eventually)
    written = stack.files()
    assert len(written) == 1 and stack.committed() is None

    more = [filled() for _ in range(4)]  # the redelivery comes with newer records behind it
    await stack.publish(*more)
    await run_until(stack.archiver(max_events=100, max_age=0.2), lambda: stack.committed() == 7, eventually)

    assert written[0] in stack.files()  # the first cut was rewritten to its own key
    ids = await stack.archived_ids()
    assert ids == sorted(str(e.event_id) for e in first + more) and len(ids) == len(set(ids))
    assert not [k for k in stack.objects.objects if k.startswith("checkpoints/")]  # cleaned after commit


async def test_junk_and_dead_letters_are_archived_under_their_own_types(eventually: Eventually) -> None:
    stack = Stack()
    dead = filled()
    await stack.bus.publish(ORDER_EVENTS, "k", b"\xff not json")
    await stack.publish(dead, topic=DEAD_LETTER)
    await run_until(stack.archiver(max_events=2, max_age=3600), lambda: stack.committed(DEAD_LETTER) == 1, eventually)
    types = sorted(f.split("/")[2] for f in stack.files())
    assert types == ["type=dead_letter", "type=undecodable"]
