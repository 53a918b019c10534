"""The process's pool hands connections back without asyncpg's reset query (postgres/pool.py):
what that query cleared must never be left behind. On the real server: a transaction left open
is rolled back on release, and the outbox relay's leadership (a session advisory lock and a
LISTEN) is released when its claim ends, normally or by an error, so the next relay can lead."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tradewind.adapters.aws.postgres.outbox import _RELAY_LOCK, PgOutboxStore
from tradewind.adapters.aws.postgres.pool import create_pool
from tradewind.adapters.aws.settings import Settings


@pytest.fixture
async def one_connection(local_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(dsn=local_settings.pg_dsn, min_size=1, max_size=1)  # every acquire: the same one
    try:
        yield pool
    finally:
        await pool.close()


async def test_a_transaction_left_open_is_rolled_back_when_its_connection_goes_back(
    one_connection: asyncpg.Pool,
) -> None:
    async with one_connection.acquire() as conn:
        await conn.execute("CREATE TABLE IF NOT EXISTS pool_probe (n int)")
        tx = conn.transaction()
        await tx.start()
        await conn.execute("INSERT INTO pool_probe VALUES (1)")  # released without commit
    async with one_connection.acquire() as conn:
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT count(*) FROM pool_probe") == 0


async def other_session_can_lead(settings: Settings) -> bool:
    other = await asyncpg.connect(settings.pg_dsn)
    try:
        taken = bool(await other.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK))
        if taken:
            await other.execute("SELECT pg_advisory_unlock($1)", _RELAY_LOCK)
        return taken
    finally:
        await other.close()


async def test_the_relays_leadership_is_released_with_its_claim_even_after_an_error(
    one_connection: asyncpg.Pool, local_settings: Settings
) -> None:
    store = PgOutboxStore(one_connection)
    async with store.claim():
        assert not await other_session_can_lead(local_settings)
    assert await other_session_can_lead(local_settings)
    with pytest.raises(RuntimeError):
        async with store.claim():
            raise RuntimeError("the relay failed while leading")
    assert await other_session_can_lead(local_settings)
    async with one_connection.acquire() as conn:  # the pool's one connection, back without a reset
        assert await conn.fetch("SELECT pg_listening_channels()") == []
