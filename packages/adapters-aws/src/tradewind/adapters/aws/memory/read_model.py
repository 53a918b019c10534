"""In-memory order read model (the twin of ``postgres.read_model``)."""

from __future__ import annotations

import copy
import uuid

from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.application.ports import OrderLogEntry, OrderPage
from tradewind.application.projections.apply import ProjectionMiss, apply_to_view, filter_and_page
from tradewind.domain.orders.events import OrderEvent, OrderSubmitted
from tradewind.domain.orders.order import Order

CONSUMER = "order-projection"


class MemoryOrderReadModel:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def apply(self, event: OrderEvent) -> list[OrderLogEntry]:
        store = self._store
        key = (CONSUMER, event.event_id)
        if key in store.processed:
            return store.processed[key]
        view = store.views.get(event.order_id)
        if view is None:
            if isinstance(event, OrderSubmitted):
                view = Order.from_submitted(event)
            elif (row := store.orders.get(event.order_id)) is not None:
                view = copy.copy(row)
                view.events = []
            else:
                raise ProjectionMiss(f"order {event.order_id} is not known yet")
            created = True
        else:
            view = copy.copy(view)
            created = False
        entries = []
        for kind, data in apply_to_view(view, event, created=created):
            entry = OrderLogEntry(len(store.log) + 1, view.account_id, kind, data)
            store.log.append(entry)
            entries.append(entry)
        store.views[view.id] = view
        store.processed[key] = entries
        return entries

    async def get(self, account_id: uuid.UUID, order_id: uuid.UUID) -> Order | None:
        view = self._store.views.get(order_id)
        return copy.copy(view) if view is not None and view.account_id == account_id else None

    async def list_orders(
        self, account_id: uuid.UUID, *, status: str = "all", limit: int = 50, after: str | None = None
    ) -> OrderPage:
        mine = [v for v in self._store.views.values() if v.account_id == account_id]
        return filter_and_page(mine, status=status, limit=limit, after=after)

    async def log_since(self, account_id: uuid.UUID, seq: int, limit: int = 500) -> list[OrderLogEntry]:
        return [e for e in self._store.log if e.account_id == account_id and e.seq > seq][:limit]
