"""Per-session DynamoDB tables and S3 buckets on moto, created and deleted by the tests that use
them. A fresh table keeps the suites off the shared ``tradewind-positions`` (moto's transactions
copy the whole table, so a table that only grows makes every later transaction slower)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from tradewind.adapters.aws.provisioning import aws_session
from tradewind.adapters.aws.settings import Settings


async def _create_table(settings: Settings, name: str) -> None:
    async with aws_session(settings).client("dynamodb", endpoint_url=settings.aws_endpoint_url) as ddb:
        await ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )


async def _delete_table(settings: Settings, name: str) -> None:
    async with aws_session(settings).client("dynamodb", endpoint_url=settings.aws_endpoint_url) as ddb:
        await ddb.delete_table(TableName=name)


async def _create_bucket(settings: Settings, name: str) -> None:
    async with aws_session(settings).client("s3", endpoint_url=settings.aws_endpoint_url) as s3:
        await s3.create_bucket(Bucket=name)


async def _delete_bucket(settings: Settings, name: str) -> None:
    async with aws_session(settings).client("s3", endpoint_url=settings.aws_endpoint_url) as s3:
        paginator = s3.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=name):
            for obj in page.get("Contents", []):
                await s3.delete_object(Bucket=name, Key=obj["Key"])
        await s3.delete_bucket(Bucket=name)


@contextmanager
def fresh_table(settings: Settings) -> Iterator[str]:
    name = f"tw-test-positions-{uuid.uuid4().hex[:8]}"
    asyncio.run(_create_table(settings, name))
    try:
        yield name
    finally:
        asyncio.run(_delete_table(settings, name))


@contextmanager
def fresh_bucket(settings: Settings) -> Iterator[str]:
    name = f"tw-test-audit-{uuid.uuid4().hex[:8]}"
    asyncio.run(_create_bucket(settings, name))
    try:
        yield name
    finally:
        asyncio.run(_delete_bucket(settings, name))
