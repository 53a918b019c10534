"""The order read model in PostgreSQL (``order_views``), idempotent by event id.

One transaction per event: the idempotency record, the view change and the stream log rows
commit together, under a per-order advisory lock, so redelivery and concurrent consumers
converge on the same row. Order rules come from ``projections.apply`` (shared with the twin).
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import asyncpg

from tradewind.adapters.aws.postgres.rows import ORDER_COLUMNS, VIEW_COLUMNS, order_from_row, view_values
from tradewind.application.ports import OrderLogEntry, OrderPage
from tradewind.application.projections.apply import MAX_LIMIT, ProjectionMiss, apply_to_view
from tradewind.domain.orders.events import OrderEvent, OrderSubmitted
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import FINAL, OrderSide

CONSUMER = "order-projection"
_FINAL = [s.value for s in FINAL]
_UPSERT = f"""
INSERT INTO order_views ({VIEW_COLUMNS})
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
ON CONFLICT (id) DO UPDATE SET qty = EXCLUDED.qty, limit_price = EXCLUDED.limit_price,
  status = EXCLUDED.status, filled_qty = EXCLUDED.filled_qty, filled_avg_price = EXCLUDED.filled_avg_price,
  reason = EXCLUDED.reason, broker_order_id = EXCLUDED.broker_order_id, updated_at = EXCLUDED.updated_at
"""


def _entry(row: Any) -> OrderLogEntry:
    data = row["data"]
    return OrderLogEntry(
        row["seq"], row["account_id"], row["kind"], json.loads(data) if isinstance(data, str) else data
    )


class PgOrderReadModel:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def apply(self, event: OrderEvent) -> list[OrderLogEntry]:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", str(event.order_id))
            seen = await conn.fetchval(
                "SELECT entries FROM processed_events WHERE consumer = $1 AND event_id = $2",
                CONSUMER,
                event.event_id,
            )
            if seen is not None:
                rows = await conn.fetch("SELECT * FROM order_event_log WHERE seq = ANY($1) ORDER BY seq", seen)
                return [_entry(r) for r in rows]
            row = await conn.fetchrow(f"SELECT {VIEW_COLUMNS} FROM order_views WHERE id = $1", event.order_id)
            created = row is None
            if row is not None:
                view = order_from_row(row)
            elif isinstance(event, OrderSubmitted):
                view = Order.from_submitted(event)
            elif (
                write := await conn.fetchrow(f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1", event.order_id)
            ) is not None:
                view = order_from_row(write)
            else:
                raise ProjectionMiss(f"order {event.order_id} is not known yet")
            before_qty, before_cost = view.filled_qty, view.filled_qty * (view.filled_avg_price or Decimal(0))
            produced = apply_to_view(view, event, created=created)
            await conn.execute(_UPSERT, *view_values(view))
            await self._keep_exposure(conn, view, before_qty, before_cost)
            entries = []
            for kind, data in produced:
                seq = await conn.fetchval(
                    "INSERT INTO order_event_log (account_id, kind, data) VALUES ($1, $2, $3::jsonb) RETURNING seq",
                    view.account_id,
                    kind,
                    json.dumps(data),
                )
                entries.append(OrderLogEntry(seq, view.account_id, kind, data))
            await conn.execute(
                "INSERT INTO processed_events (consumer, event_id, entries) VALUES ($1, $2, $3)",
                CONSUMER,
                event.event_id,
                [e.seq for e in entries],
            )
            return entries

    @staticmethod
    async def _keep_exposure(conn: asyncpg.Connection, view: Order, before_qty: int, before_cost: Decimal) -> None:
        """Keep ``fill_totals`` and ``open_orders`` (what the risk check reads) in step with the view."""
        if view.filled_qty != before_qty:
            sign = 1 if view.side is OrderSide.BUY else -1
            cost = view.filled_qty * (view.filled_avg_price or Decimal(0))
            await conn.execute(
                "INSERT INTO fill_totals (account_id, symbol, qty, spent) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (account_id, symbol) DO UPDATE"
                " SET qty = fill_totals.qty + EXCLUDED.qty, spent = fill_totals.spent + EXCLUDED.spent",
                view.account_id,
                view.symbol,
                sign * (view.filled_qty - before_qty),
                sign * (cost - before_cost),
            )
        if view.status in FINAL:
            await conn.execute("DELETE FROM open_orders WHERE order_id = $1", view.id)

    async def get(self, account_id: uuid.UUID, order_id: uuid.UUID) -> Order | None:
        row = await self._pool.fetchrow(
            f"SELECT {VIEW_COLUMNS} FROM order_views WHERE id = $1 AND account_id = $2", order_id, account_id
        )
        return None if row is None else order_from_row(row)

    async def list_orders(
        self, account_id: uuid.UUID, *, status: str = "all", limit: int = 50, after: str | None = None
    ) -> OrderPage:
        limit = max(1, min(limit, MAX_LIMIT))
        where = ["account_id = $1"]
        args: list[Any] = [account_id]
        if status == "open":
            args.append(_FINAL)
            where.append(f"status <> ALL(${len(args)}::text[])")
        elif status == "closed":
            args.append(_FINAL)
            where.append(f"status = ANY(${len(args)}::text[])")
        if after is not None:
            try:
                cursor = uuid.UUID(after)
            except ValueError:
                return OrderPage([], None)
            args.append(cursor)
            where.append(f"(created_at, id) < (SELECT created_at, id FROM order_views WHERE id = ${len(args)})")
        args.append(limit + 1)
        rows = await self._pool.fetch(
            f"SELECT {VIEW_COLUMNS} FROM order_views WHERE {' AND '.join(where)}"
            f" ORDER BY created_at DESC, id DESC LIMIT ${len(args)}",
            *args,
        )
        orders = [order_from_row(r) for r in rows[:limit]]
        return OrderPage(orders, str(orders[-1].id) if len(rows) > limit and orders else None)

    async def log_since(self, account_id: uuid.UUID, seq: int, limit: int = 500) -> list[OrderLogEntry]:
        rows = await self._pool.fetch(
            "SELECT * FROM order_event_log WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            account_id,
            seq,
            limit,
        )
        return [_entry(r) for r in rows]
