"""The shared state behind the in-memory twins: what PostgreSQL holds in the ``local`` profile."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

from tradewind.application.ports import OrderLogEntry
from tradewind.domain.accounts import Account
from tradewind.domain.orders.order import Order


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
    orders: dict[uuid.UUID, Order] = field(default_factory=dict)
    client_ids: dict[tuple[uuid.UUID, str], uuid.UUID] = field(default_factory=dict)
    outbox: list[OutboxRow] = field(default_factory=list)
    views: dict[uuid.UUID, Order] = field(default_factory=dict)
    processed: dict[tuple[str, uuid.UUID], list[OrderLogEntry]] = field(default_factory=dict)
    log: list[OrderLogEntry] = field(default_factory=list)
    account_locks: dict[uuid.UUID, asyncio.Lock] = field(default_factory=dict)
    relay_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    outbox_changed: asyncio.Event = field(default_factory=asyncio.Event)

    def lock_for(self, account_id: uuid.UUID) -> asyncio.Lock:
        return self.account_locks.setdefault(account_id, asyncio.Lock())
