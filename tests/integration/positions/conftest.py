"""A fresh DynamoDB table and S3 bucket on moto for this folder's tests, deleted afterwards."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest

from tradewind.adapters.aws.provisioning import aws_session
from tradewind.adapters.aws.settings import Settings


async def _create(settings: Settings, table: str, bucket: str) -> None:
    session = aws_session(settings)
    async with session.client("dynamodb", endpoint_url=settings.aws_endpoint_url) as ddb:
        await ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    async with session.client("s3", endpoint_url=settings.aws_endpoint_url) as s3:
        await s3.create_bucket(Bucket=bucket)


async def _delete(settings: Settings, table: str, bucket: str) -> None:
    session = aws_session(settings)
    async with session.client("dynamodb", endpoint_url=settings.aws_endpoint_url) as ddb:
        await ddb.delete_table(TableName=table)
    async with session.client("s3", endpoint_url=settings.aws_endpoint_url) as s3:
        paginator = s3.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                await s3.delete_object(Bucket=bucket, Key=obj["Key"])
        await s3.delete_bucket(Bucket=bucket)


@pytest.fixture(scope="module")
def aws_stack(local_settings: Settings) -> Iterator[Settings]:
    """``local_settings`` with a table and a bucket of this module's own."""
    suffix = uuid.uuid4().hex[:8]
    table, bucket = f"tw-test-positions-{suffix}", f"tw-test-audit-{suffix}"
    asyncio.run(_create(local_settings, table, bucket))
    try:
        yield local_settings.model_copy(update={"positions_table": table, "s3_bucket": bucket})
    finally:
        asyncio.run(_delete(local_settings, table, bucket))
