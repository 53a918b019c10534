"""In-memory unit of work, order and account repositories."""

from __future__ import annotations

import asyncio
import copy
import uuid
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

from tradewind.adapters.aws.memory.store import MemoryStore, OutboxRow
from tradewind.application.ports import Exposure
from tradewind.application.topics import topic_for
from tradewind.domain.accounts import Account
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import FINAL, OrderSide


def merged(order: Order, view: Order | None) -> Order:
    """The write row with what the read model knows of its progress (status, fills)."""
    current = copy.copy(order)
    current.events = []
    if view is not None:
        for name in (
            "status",
            "filled_qty",
            "filled_avg_price",
            "reason",
            "broker_order_id",
            "updated_at",
            "qty",
            "limit_price",
        ):
            setattr(current, name, getattr(view, name))
    return current


def exposure_of(store: MemoryStore, account_id: uuid.UUID) -> Exposure:
    account = store.accounts[account_id]
    cash = account.cash
    positions: dict[str, int] = {}
    open_orders: list[Order] = []
    for order in store.orders.values():
        if order.account_id != account_id:
            continue
        current = merged(order, store.views.get(order.id))
        sign = 1 if current.side is OrderSide.BUY else -1
        if current.filled_qty:
            positions[current.symbol] = positions.get(current.symbol, 0) + sign * current.filled_qty
            cash -= sign * current.filled_qty * (current.filled_avg_price or Decimal(0))
        if current.status not in FINAL:
            open_orders.append(current)
    positions = {s: q for s, q in positions.items() if q}  # a closed position is none, as in PostgreSQL
    return Exposure(cash=cash, positions=positions, open_orders=open_orders)


class MemoryAccountRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, account: Account, token_hash: str) -> None:
        self._uow.pending.append(lambda s: _add_account(s, account, token_hash))

    async def lock(self, account_id: uuid.UUID) -> Account | None:
        store = self._uow.store
        if account_id not in store.accounts:
            return None
        if account_id not in self._uow.held:
            lock = store.lock_for(account_id)
            await lock.acquire()
            self._uow.held[account_id] = lock
        return store.accounts[account_id]

    async def by_token_hash(self, token_hash: str) -> Account | None:
        account_id = self._uow.store.tokens.get(token_hash)
        return None if account_id is None else self._uow.store.accounts[account_id]


def _add_account(store: MemoryStore, account: Account, token_hash: str) -> None:
    if any(a.name == account.name for a in store.accounts.values()):
        raise ValueError(f"an account named {account.name!r} exists")
    store.accounts[account.id] = account
    store.tokens[token_hash] = account.id


class MemoryOrderRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, order: Order) -> None:
        row = copy.copy(order)
        events = list(order.events)
        row.events = []

        def write(store: MemoryStore) -> None:
            key = (order.account_id, order.client_order_id)
            if key in store.client_ids:
                raise ValueError(f"client_order_id {order.client_order_id!r} exists")
            store.orders[order.id] = row
            store.client_ids[key] = order.id
            _to_outbox(store, events)

        self._uow.pending.append(write)

    async def record(self, order: Order) -> None:
        events = list(order.events)
        self._uow.pending.append(lambda s: _to_outbox(s, events))

    async def get(self, account_id: uuid.UUID, order_id: uuid.UUID) -> Order | None:
        store = self._uow.store
        order = store.orders.get(order_id)
        if order is None or order.account_id != account_id:
            return None
        return merged(order, store.views.get(order_id))

    async def by_client_order_id(self, account_id: uuid.UUID, client_order_id: str) -> Order | None:
        order_id = self._uow.store.client_ids.get((account_id, client_order_id))
        return None if order_id is None else await self.get(account_id, order_id)

    async def exposure(self, account_id: uuid.UUID) -> Exposure:
        return exposure_of(self._uow.store, account_id)


def _to_outbox(store: MemoryStore, events: list) -> None:  # type: ignore[type-arg]
    for event in events:
        store.outbox.append(
            OutboxRow(
                len(store.outbox) + 1,
                topic_for(event.type),
                str(event.account_id),
                event.event_id,
                event.to_json(),
            )
        )
    store.outbox_changed.set()


class MemoryUnitOfWork:
    """Changes are queued and applied at ``commit``; leaving without commit drops them."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.pending: list = []  # type: ignore[type-arg]
        self.held: dict[uuid.UUID, asyncio.Lock] = {}
        self.orders = MemoryOrderRepository(self)
        self.accounts = MemoryAccountRepository(self)

    async def __aenter__(self) -> Self:
        self.pending = []
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.pending = []
        for lock in self.held.values():
            lock.release()
        self.held = {}

    async def commit(self) -> None:
        """All or nothing, like the transaction it stands in for. Each write checks before it
        mutates and only inserts, so undoing a refused batch is dropping what it inserted."""
        store = self.store
        tables: tuple[dict[Any, Any], ...] = (store.accounts, store.tokens, store.orders, store.client_ids)
        sizes = [len(table) for table in tables]
        outbox_size = len(store.outbox)
        try:
            for write in self.pending:
                write(store)
        except Exception:
            for table, size in zip(tables, sizes, strict=True):
                while len(table) > size:
                    table.popitem()  # dicts pop their newest insert first
            del store.outbox[outbox_size:]
            raise
        finally:
            self.pending = []


class MemoryOrderLookup:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def find(self, order_id: uuid.UUID) -> Order | None:
        order = self._store.orders.get(order_id)
        return None if order is None else merged(order, self._store.views.get(order_id))
