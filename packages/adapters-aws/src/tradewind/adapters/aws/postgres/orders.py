"""PostgreSQL unit of work with the order and account repositories.

The order row and its outbox rows are written in the same transaction (invariant 1). ``lock``
takes the account row ``FOR UPDATE`` so one account's orders are risk-checked one at a time.
An order's current status comes from the read model joined in; an order the projection has not
seen yet is open (pending), so it still counts toward exposure.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

import asyncpg

from tradewind.adapters.aws.postgres.rows import order_from_row
from tradewind.application.ports import Exposure
from tradewind.application.topics import topic_for
from tradewind.domain.accounts import Account
from tradewind.domain.orders.events import OrderEvent
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import FINAL

_CURRENT = """
SELECT o.id, o.account_id, o.client_order_id, o.symbol, o.side, o.order_type, o.time_in_force,
       o.stop_price, o.correlation_id, o.created_at,
       COALESCE(v.qty, o.qty) AS qty, COALESCE(v.limit_price, o.limit_price) AS limit_price,
       COALESCE(v.status, 'pending') AS status, COALESCE(v.filled_qty, 0) AS filled_qty,
       v.filled_avg_price, v.reason, v.broker_order_id, COALESCE(v.updated_at, o.created_at) AS updated_at
FROM orders o LEFT JOIN order_views v ON v.id = o.id
"""


class PgAccountRepository:
    def __init__(self, uow: PgUnitOfWork) -> None:
        self._uow = uow

    async def add(self, account: Account, token_hash: str) -> None:
        await self._uow.conn.execute(
            "INSERT INTO accounts (id, name, cash, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
            account.id,
            account.name,
            account.cash,
            token_hash,
            account.created_at,
        )

    async def lock(self, account_id: uuid.UUID) -> Account | None:
        row = await self._uow.conn.fetchrow("SELECT * FROM accounts WHERE id = $1 FOR UPDATE", account_id)
        return None if row is None else _account(row)

    async def by_token_hash(self, token_hash: str) -> Account | None:
        row = await self._uow.conn.fetchrow("SELECT * FROM accounts WHERE token_hash = $1", token_hash)
        return None if row is None else _account(row)


def _account(row: Any) -> Account:
    return Account(id=row["id"], name=row["name"], cash=row["cash"], created_at=row["created_at"])


class PgOrderRepository:
    def __init__(self, uow: PgUnitOfWork) -> None:
        self._uow = uow

    async def add(self, order: Order) -> None:
        """Order row, its open-orders entry and its outbox rows: one statement, one round trip."""
        events = order.events
        await self._uow.conn.execute(
            "WITH new_order AS ("
            " INSERT INTO orders (id, account_id, client_order_id, symbol, side, qty, order_type, time_in_force,"
            " limit_price, stop_price, correlation_id, created_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id, account_id),"
            " open_entry AS (INSERT INTO open_orders (order_id, account_id) SELECT id, account_id FROM new_order)"
            " INSERT INTO outbox (topic, key, event_id, payload)"
            " SELECT * FROM unnest($13::text[], $14::text[], $15::uuid[], $16::bytea[])",
            order.id,
            order.account_id,
            order.client_order_id,
            order.symbol,
            order.side.value,
            order.qty,
            order.order_type.value,
            order.time_in_force.value,
            order.limit_price,
            order.stop_price,
            order.correlation_id,
            order.created_at,
            [topic_for(e.type) for e in events],
            [str(e.account_id) for e in events],
            [e.event_id for e in events],
            [e.to_json() for e in events],
        )

    async def record(self, order: Order) -> None:
        await write_outbox(self._uow.conn, order.events)

    async def get(self, account_id: uuid.UUID, order_id: uuid.UUID) -> Order | None:
        row = await self._uow.conn.fetchrow(_CURRENT + " WHERE o.id = $1 AND o.account_id = $2", order_id, account_id)
        return None if row is None else order_from_row(row)

    async def by_client_order_id(self, account_id: uuid.UUID, client_order_id: str) -> Order | None:
        row = await self._uow.conn.fetchrow(
            _CURRENT + " WHERE o.account_id = $1 AND o.client_order_id = $2", account_id, client_order_id
        )
        return None if row is None else order_from_row(row)

    async def exposure(self, account_id: uuid.UUID) -> Exposure:
        conn = self._uow.conn
        totals = await conn.fetch(
            "SELECT a.cash, f.symbol, f.qty, f.spent FROM accounts a"
            " LEFT JOIN fill_totals f ON f.account_id = a.id WHERE a.id = $1",
            account_id,
        )
        cash = totals[0]["cash"] if totals else Decimal(0)
        positions = {r["symbol"]: int(r["qty"]) for r in totals if r["symbol"] is not None and r["qty"]}
        spent = sum((r["spent"] for r in totals if r["spent"] is not None), Decimal(0))
        rows = await conn.fetch(
            _CURRENT + " JOIN open_orders oo ON oo.order_id = o.id WHERE oo.account_id = $1", account_id
        )
        open_orders = [order for order in map(order_from_row, rows) if order.status not in FINAL]
        return Exposure(cash=cash - spent, positions=positions, open_orders=open_orders)


async def write_outbox(conn: asyncpg.Connection, events: list[OrderEvent]) -> None:
    if events:
        await conn.executemany(
            "INSERT INTO outbox (topic, key, event_id, payload) VALUES ($1, $2, $3, $4)",
            [(topic_for(e.type), str(e.account_id), e.event_id, e.to_json()) for e in events],
        )


class PgUnitOfWork:
    """One pooled connection and one transaction; leaving without ``commit()`` rolls back."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self.orders = PgOrderRepository(self)
        self.accounts = PgAccountRepository(self)

    async def __aenter__(self) -> Self:
        self.conn: asyncpg.Connection = await self._pool.acquire()
        self._tx = self.conn.transaction()
        await self._tx.start()
        self._committed = False
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self._committed:
                await self._tx.rollback()
        finally:
            await self._pool.release(self.conn)

    async def commit(self) -> None:
        await self._tx.commit()
        self._committed = True


class PgOrderLookup:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def find(self, order_id: uuid.UUID) -> Order | None:
        row = await self._pool.fetchrow(_CURRENT + " WHERE o.id = $1", order_id)
        return None if row is None else order_from_row(row)
