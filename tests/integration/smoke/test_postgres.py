"""Smoke: the PostgreSQL twin of Aurora answers through asyncpg, types and transactions intact.

Money travels as ``numeric`` and comes back as the same ``Decimal``; times are ``timestamptz``
and come back timezone-aware; a rolled-back transaction leaves nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import asyncpg
import pytest

from tradewind.adapters.aws.settings import Settings
from tradewind.domain.clock import utcnow


@pytest.fixture
async def conn(local_settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(local_settings.pg_dsn)
    try:
        yield conn
    finally:
        await conn.close()


async def test_a_row_round_trips_with_exact_types(conn: asyncpg.Connection) -> None:
    await conn.execute(
        "CREATE TEMP TABLE smoke (id uuid PRIMARY KEY, price numeric(24, 8), at timestamptz, note jsonb)"
    )
    row_id, at = uuid.uuid4(), utcnow()
    await conn.execute(
        "INSERT INTO smoke VALUES ($1, $2, $3, $4::jsonb)", row_id, Decimal("101.12345678"), at, '{"k": 1}'
    )

    row = await conn.fetchrow("SELECT * FROM smoke WHERE id = $1", row_id)

    assert row is not None
    assert row["price"] == Decimal("101.12345678") and isinstance(row["price"], Decimal)
    assert row["at"] == at and row["at"].utcoffset() is not None
    assert row["note"] == '{"k": 1}'


async def test_a_rolled_back_transaction_leaves_nothing(conn: asyncpg.Connection) -> None:
    await conn.execute("CREATE TEMP TABLE smoke_tx (id int PRIMARY KEY)")
    tx = conn.transaction()
    await tx.start()
    await conn.execute("INSERT INTO smoke_tx VALUES (1)")
    assert await conn.fetchval("SELECT count(*) FROM smoke_tx") == 1
    await tx.rollback()
    assert await conn.fetchval("SELECT count(*) FROM smoke_tx") == 0


async def test_the_session_database_is_migrated(conn: asyncpg.Connection) -> None:
    tables = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"accounts", "orders", "outbox", "order_views", "schema_migrations"} <= tables
    assert int(await conn.fetchval("SHOW server_version_num")) >= 150000
