"""The shared state behind the in-memory twins: what PostgreSQL holds in the ``local`` profile."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from tradewind.application.ports import OrderLogEntry
from tradewind.domain.accounts import Account
from tradewind.domain.orders.order import Order
from tradewind.domain.risk.trading_state import TradingState


@dataclass
class OutboxRow:
    id: int
    topic: str
    key: str
    event_id: uuid.UUID
    payload: bytes
    sent: bool = False


@dataclass
class MemoryStore:
    accounts: dict[uuid.UUID, Account] = field(default_factory=dict)
    tokens: dict[str, uuid.UUID] = field(default_factory=dict)
    #: the OMS ledger: orders as the ledger has them, open ones per account, positions and cash
    orders: dict[uuid.UUID, Order] = field(default_factory=dict)
    client_ids: dict[tuple[uuid.UUID, str], uuid.UUID] = field(default_factory=dict)
    open_orders: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)
    positions: dict[tuple[uuid.UUID, str], tuple[int, Decimal]] = field(default_factory=dict)
    #: the symbols each account has a ledger position in (the index PostgreSQL's primary key gives):
    #: the risk check reads its own account's positions, not the platform's
    position_symbols: dict[uuid.UUID, set[str]] = field(default_factory=dict)
    account_seqs: dict[uuid.UUID, int] = field(default_factory=dict)
    trading_states: dict[uuid.UUID, tuple[TradingState, str | None]] = field(default_factory=dict)
    platform_state: tuple[TradingState, str | None] = (TradingState.ACTIVE, None)
    limits: dict[uuid.UUID, dict[str, Decimal | int]] = field(default_factory=dict)
    #: each account's latest session and its start equity (one per account: bounded)
    sessions: dict[uuid.UUID, tuple[date, Decimal]] = field(default_factory=dict)
    reports: dict[uuid.UUID, dict[str, object]] = field(default_factory=dict)
    outbox: list[OutboxRow] = field(default_factory=list)
    #: (topic, event_id) of every outbox row: unique, as PostgreSQL's outbox_topic_event_id_key
    outbox_keys: set[tuple[str, uuid.UUID]] = field(default_factory=set)
    #: the read model: views, the last account_seq applied per account, the stream log
    views: dict[uuid.UUID, Order] = field(default_factory=dict)
    view_progress: dict[uuid.UUID, int] = field(default_factory=dict)
    log: dict[uuid.UUID, list[OrderLogEntry]] = field(default_factory=dict)
    account_locks: dict[uuid.UUID, asyncio.Lock] = field(default_factory=dict)
    relay_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    outbox_changed: asyncio.Event = field(default_factory=asyncio.Event)

    def lock_for(self, account_id: uuid.UUID) -> asyncio.Lock:
        return self.account_locks.setdefault(account_id, asyncio.Lock())
