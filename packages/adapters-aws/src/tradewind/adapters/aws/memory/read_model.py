"""In-memory order read model (the twin of ``postgres.read_model``)."""

from __future__ import annotations

import bisect
import copy
import logging
import uuid
from collections.abc import Sequence

from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.application.ports import OrderLogEntry, OrderPage
from tradewind.application.projections.apply import ProjectionMiss, apply_to_view, filter_and_page
from tradewind.domain.errors import InvalidTransition, StaleReport
from tradewind.domain.orders.events import OrderEvent
from tradewind.domain.orders.order import Order

log = logging.getLogger(__name__)


class MemoryOrderReadModel:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.gaps = 0
        self.misfits = 0

    async def apply(self, event: OrderEvent) -> list[OrderLogEntry]:
        store, seq, account = self._store, event.account_seq, event.account_id
        if seq is None:
            self.misfits += 1
            return []
        last = store.view_progress.get(account, 0)
        entries = store.log.setdefault(account, [])
        if seq <= last:
            return [e for e in entries if e.seq == seq]
        if seq > last + 1:
            self.gaps += 1
            log.error("gap in order.events", extra={"account_id": str(account), "expected": last + 1, "got": seq})
        store.view_progress[account] = seq
        try:
            view, produced = apply_to_view(store.views.get(event.order_id), event)
        except (ProjectionMiss, InvalidTransition, StaleReport) as exc:
            self.misfits += 1
            log.error("order event does not fit the view; skipped", extra={"error": str(exc)})
            return []
        made = [OrderLogEntry(seq, account, kind, data, part) for part, (kind, data) in enumerate(produced)]
        entries.extend(made)
        store.views[view.id] = view
        return made

    async def apply_many(self, events: Sequence[OrderEvent]) -> list[OrderLogEntry]:
        return [entry for event in events for entry in await self.apply(event)]

    async def get(self, account_id: uuid.UUID, order_id: uuid.UUID) -> Order | None:
        view = self._store.views.get(order_id)
        return copy.copy(view) if view is not None and view.account_id == account_id else None

    async def list_orders(
        self, account_id: uuid.UUID, *, status: str = "all", limit: int = 50, after: str | None = None
    ) -> OrderPage:
        mine = [v for v in self._store.views.values() if v.account_id == account_id]
        return filter_and_page(mine, status=status, limit=limit, after=after)

    async def log_since(self, account_id: uuid.UUID, seq: int, limit: int = 500) -> list[OrderLogEntry]:
        entries = self._store.log.get(account_id, [])
        start = bisect.bisect_right([e.seq for e in entries], seq)
        out: list[OrderLogEntry] = []
        events = 0
        for entry in entries[start:]:
            if not out or entry.seq != out[-1].seq:
                events += 1
                if events > limit:
                    break
            out.append(entry)
        return out
