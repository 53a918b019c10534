"""A market-data test module's own world on the real servers: a fresh migrated database (candles
and checkpoints of other stacks in the session database cannot leak in), a fresh Kinesis
stream in kinesalite, and consumer names of its own. Redis is shared: tests use symbols of their own
or prices no one else publishes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import asyncpg
import pytest

from tradewind.adapters.aws.kinesis.clients import kinesis_client_factory, wait_active
from tradewind.adapters.aws.postgres.migrate import migrate
from tradewind.adapters.aws.settings import Settings


def kinesis(settings: Settings) -> object:
    return kinesis_client_factory(
        endpoint_url=settings.kinesis_endpoint_url,
        region=settings.aws_region,
        access_key_id=settings.aws_access_key_id,
        secret_access_key=settings.aws_secret_access_key,
    )


@pytest.fixture(scope="module")
def md_settings(services: Settings) -> Iterator[Settings]:
    tag = uuid.uuid4().hex[:8]
    settings = services.model_copy(
        update={
            "pg_database": f"tw_md_{tag}",
            "kinesis_stream": f"test-market-data-{tag}",
            "kafka_group_prefix": f"md-{tag}-",
            "kinesis_poll_interval_ms": 20,
            "kinesis_shard_refresh_s": 0.5,
            "kinesis_linger_ms": 5,
        }
    )
    open_client = kinesis(settings)

    async def create() -> None:
        conn = await asyncpg.connect(services.pg_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{settings.pg_database}"')
        finally:
            await conn.close()
        conn = await asyncpg.connect(settings.pg_dsn)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        async with open_client() as client:  # type: ignore[operator]
            await client.create_stream(StreamName=settings.market_stream, ShardCount=2)
            await wait_active(client, settings.market_stream)

    async def drop() -> None:
        async with open_client() as client:  # type: ignore[operator]
            await client.delete_stream(StreamName=settings.market_stream)
        conn = await asyncpg.connect(services.pg_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{settings.pg_database}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(create())
    yield settings
    asyncio.run(drop())
