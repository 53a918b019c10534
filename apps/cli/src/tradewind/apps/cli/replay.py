"""``tradewind replay`` and ``tradewind audit query``: wiring only; the rules live in
``application.replay`` and ``adapters.aws.audit.query``."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tradewind.adapters.aws.audit.query import download, run_sql
from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.kafka.history import kafka_history, memory_history
from tradewind.adapters.aws.memory.positions import MemoryPositionStore
from tradewind.adapters.aws.memory.read_model import MemoryOrderReadModel
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.adapters.aws.settings import Settings
from tradewind.application.replay import (
    ReplayReport,
    SourcedRecord,
    compare_orders,
    compare_positions,
    from_audit,
    rebuild_orders,
    rebuild_positions,
)
from tradewind.application.topics import ORDER_EVENTS
from tradewind.domain.orders.events import ORDER_EVENT_TYPES

Echo = Callable[[str], None]


async def replay(
    settings: Settings, source: str, view: str, accounts: set[uuid.UUID] | None, echo: Echo
) -> ReplayReport:
    """Rebuild ``view`` from nothing out of ``source`` into a fresh in-memory view, then compare
    it with the live view for every account replayed. The report lists the differences."""
    adapters: Any = build_adapters(settings)
    await adapters.lifecycle().start(kafka=False)
    try:
        types = ["order.filled"] if view == "positions" else sorted(ORDER_EVENT_TYPES)
        topics = [ORDER_EVENTS]
        records: list[SourcedRecord]
        if source == "audit":
            records = await from_audit(adapters.audit_archive(), types)
        elif settings.profile == "memory":
            records = [r async for r in memory_history(adapters.bus(), topics)]
        else:
            records = [r async for r in kafka_history(settings.kafka_bootstrap, topics)]
        echo(f"read {len(records)} record(s) from {source}")
        if view == "positions":
            positions = MemoryPositionStore()
            report = await rebuild_positions(records, positions, accounts=accounts)
            report.differences = await compare_positions(adapters.positions(), positions, report.accounts)
        else:
            orders = MemoryOrderReadModel(MemoryStore())
            report = await rebuild_orders(records, orders, accounts=accounts)
            report.differences = await compare_orders(adapters.read_model(), orders, report.accounts)
        return report
    finally:
        await adapters.lifecycle().stop()


async def audit_query(
    settings: Settings, sql: str, *, dt_from: str | None, dt_to: str | None, types: list[str] | None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    adapters: Any = build_adapters(settings)
    await adapters.lifecycle().start(kafka=False)
    try:
        with tempfile.TemporaryDirectory(prefix="tradewind-audit-") as tmp:
            files = await download(adapters.audit_objects(), Path(tmp), dt_from=dt_from, dt_to=dt_to, types=types)
            if files == 0:
                raise LookupError("the archive holds no files for that selection (yet: it flushes every 30 s)")
            return run_sql(Path(tmp), sql)
    finally:
        await adapters.lifecycle().stop()
