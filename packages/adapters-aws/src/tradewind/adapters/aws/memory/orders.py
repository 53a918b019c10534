"""In-memory OMS ledger: unit of work, accounts, orders, report journal (twin of
``postgres.orders``). Writes are queued and applied at ``commit``, checked first, so a refused
commit changes nothing; the account lock is an ``asyncio.Lock`` held until the unit ends."""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from types import TracebackType
from typing import Self

from tradewind.adapters.aws.memory.store import MemoryStore, OutboxRow
from tradewind.application.ports import Exposure, JournalEntry
from tradewind.application.topics import RISK_EVENTS, topics_for
from tradewind.domain.accounts import Account
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.events import Event, OrderEvent
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.reports import VenueReport
from tradewind.domain.risk.daily_loss import session_of
from tradewind.domain.risk.trading_state import TradingState, stricter

Write = Callable[[MemoryStore], None]


def _copy(order: Order) -> Order:
    out = copy.copy(order)
    out.events = []
    return out


def exposure_of(store: MemoryStore, account_id: uuid.UUID) -> Exposure:
    """O(open orders + symbols of the account), like the PostgreSQL twin's indexed reads."""
    account = store.accounts[account_id]
    cash = account.cash
    positions: dict[str, int] = {}
    for symbol, (qty, flow) in store.positions.of(account_id):
        cash += flow
        if qty:
            positions[symbol] = qty
    open_orders = [_copy(store.orders[i]).at_largest() for i in store.open_orders.get(account_id, ())]
    mine, my_reason = store.trading_states.get(account_id, (TradingState.ACTIVE, None))
    platform, platform_reason = store.platform_state
    state = stricter(mine, platform)
    return Exposure(
        cash=cash,
        positions=positions,
        open_orders=open_orders,
        kind=account.kind,
        margin_multiplier=account.margin_multiplier,
        trading_state=state,
        trading_state_reason=None
        if state is TradingState.ACTIVE
        else (my_reason if state is mine else platform_reason),
        limit_overrides=dict(store.limits.get(account_id, {})),
        session_start_equity=_session_start(store, account_id),
    )


def _session_start(store: MemoryStore, account_id: uuid.UUID) -> Decimal | None:
    kept = store.sessions.get(account_id)
    return kept[1] if kept is not None and kept[0] == session_of(utcnow()) else None


class MemoryAccountRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, account: Account, token_hash: str) -> None:
        store = self._uow.store

        def check() -> None:
            if any(a.name == account.name for a in store.accounts.values()):
                raise ValueError(f"an account named {account.name!r} exists")

        def write(s: MemoryStore) -> None:
            s.accounts[account.id] = account
            s.tokens[token_hash] = account.id

        self._uow.queue(write, check)

    async def lock(self, account_id: uuid.UUID) -> Account | None:
        store = self._uow.store
        if account_id not in store.accounts:
            return None
        if account_id not in self._uow.held:
            lock = store.lock_for(account_id)
            await lock.acquire()
            self._uow.held[account_id] = lock
        return store.accounts[account_id]

    async def lock_many(self, account_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Account]:
        locked = {}
        for account_id in sorted(set(account_ids)):  # in id order, as PostgreSQL's ORDER BY id FOR UPDATE
            account = await self.lock(account_id)
            if account is not None:
                locked[account_id] = account
        return locked

    async def by_token_hash(self, token_hash: str) -> Account | None:
        account_id = self._uow.store.tokens.get(token_hash)
        return None if account_id is None else self._uow.store.accounts[account_id]

    async def trading_state(self, account_id: uuid.UUID) -> tuple[TradingState, str | None]:
        if account_id not in self._uow.store.accounts:
            raise LookupError(f"account {account_id} does not exist")
        return self._uow.store.trading_states.get(account_id, (TradingState.ACTIVE, None))

    async def set_trading_state(self, account_id: uuid.UUID, state: TradingState, reason: str) -> None:
        self._uow.queue(lambda s: s.trading_states.__setitem__(account_id, (state, reason)))

    async def platform_state(self) -> tuple[TradingState, str | None]:
        return self._uow.store.platform_state

    async def set_platform_state(self, state: TradingState, reason: str, changed_by: str) -> None:
        def write(s: MemoryStore) -> None:
            s.platform_state = (state, reason)

        self._uow.queue(write)

    async def with_open_orders(self) -> list[uuid.UUID]:
        return [a for a, ids in self._uow.store.open_orders.items() if ids]

    async def record_risk_event(self, event: Event) -> None:
        payload = event.to_json()

        def write(s: MemoryStore) -> None:
            s.outbox.append(OutboxRow(len(s.outbox) + 1, RISK_EVENTS, str(event.account_id), event.event_id, payload))
            s.outbox_keys.add((RISK_EVENTS, event.event_id))
            s.outbox_changed.set()

        self._uow.queue(write)

    async def record_session_start(self, account_id: uuid.UUID, session: date, equity: Decimal) -> None:
        def write(s: MemoryStore) -> None:
            kept = s.sessions.get(account_id)
            if kept is None or kept[0] < session:
                s.sessions[account_id] = (session, equity)

        self._uow.queue(write)

    async def to_sweep(self, session: date, *, default_limit: bool) -> list[uuid.UUID]:
        store = self._uow.store
        holders = {holder for (holder, _), (qty, _) in store.positions.items() if qty}

        def wanted(account_id: uuid.UUID) -> bool:
            kept = store.sessions.get(account_id)
            if kept is None or kept[0] != session:
                return True
            active = store.trading_states.get(account_id, (TradingState.ACTIVE, None))[0] is TradingState.ACTIVE
            return active and (default_limit or "daily_loss_limit" in store.limits.get(account_id, {}))

        return sorted(a for a in holders if wanted(a))

    async def limits(self, account_id: uuid.UUID) -> dict[str, Decimal | int]:
        return dict(self._uow.store.limits.get(account_id, {}))

    async def set_limits(
        self, account_id: uuid.UUID, overrides: Mapping[str, Decimal | int | None], changed_by: str
    ) -> None:
        changes = dict(overrides)

        def write(s: MemoryStore) -> None:
            mine = s.limits.setdefault(account_id, {})
            for name, value in changes.items():
                if value is None:
                    mine.pop(name, None)
                else:
                    mine[name] = value

        self._uow.queue(write)

    async def next_seq(self, account_id: uuid.UUID, count: int = 1) -> int:
        if account_id not in self._uow.store.accounts:
            raise LookupError(f"account {account_id} does not exist")
        reserved = self._uow.seqs
        last = reserved.get(account_id, self._uow.store.account_seqs.get(account_id, 0))
        reserved[account_id] = last + count
        return last + 1

    async def next_seqs(self, counts: Mapping[uuid.UUID, int]) -> dict[uuid.UUID, int]:
        return {account_id: await self.next_seq(account_id, count) for account_id, count in counts.items()}


class MemoryOrderRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, order: Order) -> None:
        row = _copy(order)
        events = list(order.events)
        key = (order.account_id, order.client_order_id)
        store = self._uow.store

        def check() -> None:
            if key in store.client_ids:
                raise ValueError(f"client_order_id {order.client_order_id!r} exists")
            _check_outbox(store, events)

        def write(s: MemoryStore) -> None:
            s.orders[order.id] = row
            s.client_ids[key] = order.id
            s.open_orders.setdefault(order.account_id, set()).add(order.id)
            _to_outbox(s, events)

        self._uow.queue(write, check)

    async def save(self, order: Order) -> None:
        row = _copy(order)
        events = list(order.events)
        store = self._uow.store

        def write(s: MemoryStore) -> None:
            s.orders[order.id] = row
            if row.is_final:
                s.open_orders.get(order.account_id, set()).discard(order.id)
            _to_outbox(s, events)

        self._uow.queue(write, lambda: _check_outbox(store, events))

    async def save_many(self, orders: Sequence[Order], events: Sequence[OrderEvent]) -> None:
        rows = [_copy(order) for order in orders]
        written = list(events)
        store = self._uow.store

        def write(s: MemoryStore) -> None:
            for row in rows:
                s.orders[row.id] = row
                if row.is_final:
                    s.open_orders.get(row.account_id, set()).discard(row.id)
            _to_outbox(s, written)

        self._uow.queue(write, lambda: _check_outbox(store, written))

    async def get(self, account_id: uuid.UUID, order_id: uuid.UUID) -> Order | None:
        order = self._uow.store.orders.get(order_id)
        return None if order is None or order.account_id != account_id else _copy(order)

    async def get_many(self, keys: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> dict[uuid.UUID, Order]:
        found = {}
        for account_id, order_id in keys:
            order = await self.get(account_id, order_id)
            if order is not None:
                found[order_id] = order
        return found

    async def by_client_order_id(self, account_id: uuid.UUID, client_order_id: str) -> Order | None:
        order_id = self._uow.store.client_ids.get((account_id, client_order_id))
        return None if order_id is None else await self.get(account_id, order_id)

    async def exposure(self, account_id: uuid.UUID) -> Exposure:
        return exposure_of(self._uow.store, account_id)

    async def open_orders(self, account_id: uuid.UUID) -> list[Order]:
        store = self._uow.store
        return sorted(
            (_copy(store.orders[i]) for i in store.open_orders.get(account_id, ())), key=lambda o: o.created_at
        )

    async def any_fills(self) -> bool:
        return bool(self._uow.store.positions)

    async def book_fills(self, moves: Sequence[tuple[uuid.UUID, str, int, Decimal]]) -> None:
        batch = list(moves)

        def write(s: MemoryStore) -> None:
            for account_id, symbol, qty, cash in batch:
                held, flow = s.positions.get((account_id, symbol), (0, Decimal(0)))
                s.positions[(account_id, symbol)] = (held + qty, flow + cash)

        self._uow.queue(write)


class MemoryReportJournal:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    async def seen_many(self, report_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        return {r for r in report_ids if r in self._uow.store.reports}

    async def record_many(self, entries: Sequence[JournalEntry]) -> None:
        for e in entries:
            await self.record(e.report, outcome=e.outcome, account_seq=e.account_seq, detail=e.detail)

    async def record(self, report: VenueReport, *, outcome: str, account_seq: int | None, detail: str | None) -> None:
        entry: dict[str, object] = {
            "report_id": report.report_id,
            "account_id": report.account_id,
            "order_id": report.order_id,
            "kind": report.kind.value,
            "outcome": outcome,
            "account_seq": account_seq,
            "detail": detail,
        }
        self._uow.queue(lambda s: s.reports.setdefault(report.report_id, entry))

    async def flagged(self, limit: int = 100) -> list[dict[str, object]]:
        flagged = [r for r in self._uow.store.reports.values() if r["outcome"] == "flagged"]
        return flagged[-limit:][::-1]

    async def external(self, limit: int = 100) -> list[dict[str, object]]:
        store = self._uow.store
        kept = [r for r in store.reports.values() if r["outcome"] == "flagged" and r["order_id"] not in store.orders]
        return kept[-limit:][::-1]


def _check_outbox(store: MemoryStore, events: list[OrderEvent]) -> None:
    for event in events:
        for topic in topics_for(event.type):
            if (topic, event.event_id) in store.outbox_keys:
                raise ValueError(f"event {event.event_id} is in the outbox for {topic} already")


def _to_outbox(store: MemoryStore, events: list[OrderEvent]) -> None:
    for event in events:
        payload = event.to_json()
        for topic in topics_for(event.type):
            store.outbox.append(OutboxRow(len(store.outbox) + 1, topic, str(event.account_id), event.event_id, payload))
            store.outbox_keys.add((topic, event.event_id))
    store.outbox_changed.set()


class MemoryUnitOfWork:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self._writes: list[Write] = []
        self._checks: list[Callable[[], None]] = []
        self.seqs: dict[uuid.UUID, int] = {}
        self.held: dict[uuid.UUID, asyncio.Lock] = {}
        self.orders = MemoryOrderRepository(self)
        self.accounts = MemoryAccountRepository(self)
        self.reports = MemoryReportJournal(self)

    def queue(self, write: Write, check: Callable[[], None] | None = None) -> None:
        self._writes.append(write)
        if check is not None:
            self._checks.append(check)

    async def __aenter__(self) -> Self:
        self._writes, self._checks, self.seqs = [], [], {}
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._writes, self._checks, self.seqs = [], [], {}
        for lock in self.held.values():
            lock.release()
        self.held = {}

    async def commit(self) -> None:
        """All or nothing: every check runs before the first write, and writes cannot fail."""
        try:
            for check in self._checks:
                check()
            for write in self._writes:
                write(self.store)
            self.store.account_seqs.update(self.seqs)
        finally:
            self._writes, self._checks, self.seqs = [], [], {}


class MemoryOrderLookup:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def get(self, account_id: uuid.UUID, order_id: uuid.UUID) -> Order | None:
        order = self._store.orders.get(order_id)
        return None if order is None or order.account_id != account_id else _copy(order)


class MemoryLedgerOpenOrders:
    """``LedgerOpenOrders`` on the in-memory ledger."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def open_orders(self, limit: int = 10_000) -> list[Order]:
        ids = [i for ids in self._store.open_orders.values() for i in ids]
        return sorted((_copy(self._store.orders[i]) for i in ids), key=lambda o: o.created_at)[:limit]
