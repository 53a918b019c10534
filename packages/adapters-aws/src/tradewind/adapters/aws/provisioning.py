"""``tradewind infra init``: everything the platform needs on its servers, idempotently.

SQL migrations in order, the Kafka topics of DESIGN.md with their partition counts, the DynamoDB
positions table, the S3 audit bucket (moto locally) and the Kinesis market-data stream with the
article's 8 shards (kinesalite locally). Running it twice changes nothing the second time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aioboto3
import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from botocore.exceptions import ClientError

from tradewind.adapters.aws.kinesis.clients import wait_active
from tradewind.adapters.aws.postgres.migrate import migrate
from tradewind.adapters.aws.settings import Settings
from tradewind.application.topics import PARTITIONS

Report = Callable[[str], None]


def aws_session(settings: Settings) -> aioboto3.Session:
    return aioboto3.Session(
        aws_access_key_id=settings.aws_access_key_id,
        aws_secret_access_key=settings.aws_secret_access_key,
        region_name=settings.aws_region,
    )


async def init_postgres(settings: Settings, report: Report) -> None:
    conn = await asyncpg.connect(settings.pg_dsn)
    try:
        applied = await migrate(conn)
    finally:
        await conn.close()
    report(f"postgres: {len(applied)} migration(s) applied" + (f" ({', '.join(applied)})" if applied else ""))


async def init_kafka(settings: Settings, report: Report) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name=t, num_partitions=n, replication_factor=1) for t, n in PARTITIONS.items() if t not in existing
        ]
        if missing:
            await admin.create_topics(missing)
        for _ in range(100):  # topic metadata propagates asynchronously
            if set(PARTITIONS) <= set(await admin.list_topics()):
                break
            await asyncio.sleep(0.1)
        report(f"kafka: {len(missing)} topic(s) created, {len(PARTITIONS)} present")
    finally:
        await admin.close()


async def ensure_positions_table(settings: Settings) -> bool:
    """The positions view's table exists afterwards; ``True`` when it had to be created (so the
    view is empty: the worker rebuilds it). Describes first, so a deployment whose table is
    managed elsewhere (CDK) needs no CreateTable permission."""
    kw = {"endpoint_url": settings.aws_endpoint_url} if settings.aws_endpoint_url else {}
    async with aws_session(settings).client("dynamodb", **kw) as dynamodb:
        try:
            await dynamodb.describe_table(TableName=settings.positions_table)
            return False
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
        try:
            await dynamodb.create_table(
                TableName=settings.positions_table,
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":  # created meanwhile by another
                raise
            return False
        return True


async def ensure_audit_bucket(settings: Settings) -> bool:
    """The audit bucket exists afterwards; ``True`` when it had to be created."""
    kw = {"endpoint_url": settings.aws_endpoint_url} if settings.aws_endpoint_url else {}
    async with aws_session(settings).client("s3", **kw) as s3:
        try:
            await s3.head_bucket(Bucket=settings.s3_bucket)
            return False
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
                raise
        await s3.create_bucket(Bucket=settings.s3_bucket)
        return True


async def init_aws(settings: Settings, report: Report) -> None:
    session = aws_session(settings)
    created = await ensure_positions_table(settings)
    report(f"dynamodb: table {settings.positions_table} {'created' if created else 'present'}")
    created = await ensure_audit_bucket(settings)
    report(f"s3: bucket {settings.s3_bucket} {'created' if created else 'present'}")
    kinesis_kw = {"endpoint_url": settings.kinesis_endpoint_url} if settings.kinesis_endpoint_url else {}
    async with session.client("kinesis", **kinesis_kw) as kinesis:
        try:
            await kinesis.create_stream(StreamName=settings.kinesis_stream, ShardCount=settings.kinesis_shards)
            state = "created"
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":
                raise
            state = "present"
        shards = await wait_active(kinesis, settings.kinesis_stream)
        report(f"kinesis: stream {settings.kinesis_stream} {state} ({shards} shards)")


async def init_all(settings: Settings, report: Report) -> None:
    await init_postgres(settings, report)
    await init_kafka(settings, report)
    await init_aws(settings, report)
