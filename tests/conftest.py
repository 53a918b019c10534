"""Shared fixtures. Tiers: ``unit`` (no I/O), ``integration`` and ``contract`` (real servers of
``scripts/services up``), ``e2e`` (processes started as a user would).

Integration tests never skip when a server is missing: they fail and say how to start it.
Each test session gets its own PostgreSQL database (migrated from scratch), so runs never see
each other's rows; Kafka topics are shared, so tests use their own accounts and consumer groups.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import asyncpg
import pytest

from tradewind.adapters.aws.postgres.migrate import migrate
from tradewind.adapters.aws.postgres.pool import create_pool
from tradewind.adapters.aws.settings import Settings


def _reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return Settings(profile="local")


@pytest.fixture(scope="session")
def services(base_settings: Settings) -> Settings:
    missing = [
        name
        for name, port in (
            ("postgres", base_settings.pg_port),
            ("redis", base_settings.redis_port),
            ("kafka", base_settings.kafka_port),
            ("moto", base_settings.moto_port),
            ("kinesalite", base_settings.kinesis_port),
        )
        if not _reachable(port)
    ]
    if missing:
        pytest.fail(f"servers not running: {', '.join(missing)}; start them with `scripts/services up`")
    return base_settings


@pytest.fixture(scope="session")
def local_settings(services: Settings) -> Iterator[Settings]:
    """Local-profile settings pointing at a fresh, migrated database of this session's own."""
    name = f"tw_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin_dsn = services.pg_dsn

    async def create() -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        conn = await asyncpg.connect(services.model_copy(update={"pg_database": name}).pg_dsn)
        try:
            await migrate(conn)
        finally:
            await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(create())
    settings = Settings(profile="local", pg_database=name)
    yield settings
    asyncio.run(drop())


@pytest.fixture
async def pg_pool(local_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(dsn=local_settings.pg_dsn, min_size=1, max_size=10)  # as the apps make it
    try:
        yield pool
    finally:
        await pool.close()


async def wait_for(
    condition: Callable[[], Awaitable[Any]], *, timeout: float = 10.0, interval: float = 0.02, what: str = ""
) -> Any:
    """Poll ``condition`` until it returns something truthy, or fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await condition()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        await asyncio.sleep(interval)


@pytest.fixture
def eventually() -> Callable[..., Awaitable[Any]]:
    """``await eventually(lambda_returning_awaitable, what=...)``: wait for a condition, with a deadline."""
    return wait_for
