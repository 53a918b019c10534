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


class LedgerPositions(dict[tuple[uuid.UUID, str], tuple[int, Decimal]]):
    """(account, symbol) -> (quantity, cash flow), as the ledger booked the fills, with the symbols
    of each account kept beside (what PostgreSQL's primary key on ``ledger_positions`` gives): the
    risk check reads its own account's positions, not every position on the platform (issue 15).
    Positions are only ever set, never removed (a closed one stays at quantity 0)."""

    def __init__(self) -> None:
        super().__init__()
        self.symbols: dict[uuid.UUID, set[str]] = {}

    def __setitem__(self, key: tuple[uuid.UUID, str], value: tuple[int, Decimal]) -> None:
        super().__setitem__(key, value)
        self.symbols.setdefault(key[0], set()).add(key[1])

    def of(self, account_id: uuid.UUID) -> list[tuple[str, tuple[int, Decimal]]]:
        return [(symbol, self[(account_id, symbol)]) for symbol in self.symbols.get(account_id, ())]


@dataclass
class MemoryStore:
    accounts: dict[uuid.UUID, Account] = field(default_factory=dict)
    tokens: dict[str, uuid.UUID] = field(default_factory=dict)
    #: the OMS ledger: orders as the ledger has them, open ones per account, positions and cash
    orders: dict[uuid.UUID, Order] = field(default_factory=dict)
    client_ids: dict[tuple[uuid.UUID, str], uuid.UUID] = field(default_factory=dict)
    open_orders: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)
    positions: LedgerPositions = field(default_factory=LedgerPositions)
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
