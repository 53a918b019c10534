"""Smoke: moto, the local twin of DynamoDB and S3, and kinesalite, the twin of Kinesis, through
aioboto3 with the session of ``provisioning.aws_session`` and the endpoints from settings. Every resource is the test's own
and is deleted at the end."""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tradewind.adapters.aws.provisioning import aws_session
from tradewind.adapters.aws.settings import Settings

Eventually = Callable[..., Awaitable[Any]]


def unique(kind: str) -> str:
    return f"tw-smoke-{kind}-{uuid.uuid4().hex[:8]}"


async def test_dynamodb_conditional_update(services: Settings) -> None:
    table = unique("table")
    async with aws_session(services).client("dynamodb", endpoint_url=services.aws_endpoint_url) as ddb:
        await ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        try:
            key = {"pk": {"S": "account-1#AAPL"}}
            await ddb.put_item(TableName=table, Item={**key, "qty": {"N": "10"}, "version": {"N": "1"}})

            def bump(expected_version: str) -> dict[str, Any]:
                return {
                    "TableName": table,
                    "Key": key,
                    "UpdateExpression": "SET qty = qty + :d, version = version + :one",
                    "ConditionExpression": "version = :expected",
                    "ExpressionAttributeValues": {
                        ":d": {"N": "5"},
                        ":one": {"N": "1"},
                        ":expected": {"N": expected_version},
                    },
                    "ReturnValues": "ALL_NEW",
                }

            updated = await ddb.update_item(**bump("1"))
            assert (updated["Attributes"]["qty"], updated["Attributes"]["version"]) == ({"N": "15"}, {"N": "2"})

            with pytest.raises(ClientError) as refused:
                await ddb.update_item(**bump("1"))  # a stale writer
            assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"

            item = (await ddb.get_item(TableName=table, Key=key, ConsistentRead=True))["Item"]
            assert (item["qty"], item["version"]) == ({"N": "15"}, {"N": "2"})
        finally:
            await ddb.delete_table(TableName=table)


async def test_s3_put_then_get(services: Settings) -> None:
    bucket, key = unique("bucket"), "audit/date=2024-01-02/part-0.parquet"
    body = b"PAR1" + uuid.uuid4().bytes + b"PAR1"
    async with aws_session(services).client("s3", endpoint_url=services.aws_endpoint_url) as s3:
        await s3.create_bucket(Bucket=bucket)
        try:
            await s3.put_object(Bucket=bucket, Key=key, Body=body)
            got = await s3.get_object(Bucket=bucket, Key=key)
            async with got["Body"] as stream:
                assert await stream.read() == body
            assert got["ContentLength"] == len(body)
            listed = await s3.list_objects_v2(Bucket=bucket, Prefix="audit/")
            assert [o["Key"] for o in listed["Contents"]] == [key]
        finally:
            await s3.delete_object(Bucket=bucket, Key=key)
            await s3.delete_bucket(Bucket=bucket)


async def test_kinesis_put_then_get_records(services: Settings, eventually: Eventually) -> None:
    stream = unique("stream")
    async with aws_session(services).client("kinesis", endpoint_url=services.kinesis_endpoint_url) as kinesis:
        await kinesis.create_stream(StreamName=stream, ShardCount=1)
        try:

            async def active() -> bool:
                described = await kinesis.describe_stream(StreamName=stream)
                return described["StreamDescription"]["StreamStatus"] == "ACTIVE"

            await eventually(active, timeout=10, what=f"{stream} to be active")
            data = b'{"symbol": "AAPL", "last": "101.25"}'
            put = await kinesis.put_record(StreamName=stream, Data=data, PartitionKey="AAPL")
            iterator = (
                await kinesis.get_shard_iterator(
                    StreamName=stream,
                    ShardId=put["ShardId"],
                    ShardIteratorType="AT_SEQUENCE_NUMBER",
                    StartingSequenceNumber=put["SequenceNumber"],
                )
            )["ShardIterator"]

            async def records() -> list[dict[str, Any]]:
                nonlocal iterator
                batch = await kinesis.get_records(ShardIterator=iterator, Limit=10)
                iterator = batch["NextShardIterator"]
                return batch["Records"]

            got = await eventually(records, timeout=10, what=f"the record on {stream}")
            assert [(r["Data"], r["PartitionKey"]) for r in got] == [(data, "AAPL")]
        finally:
            await kinesis.delete_stream(StreamName=stream)


async def test_moto_keeps_no_copy_of_overwritten_items(services: Settings) -> None:
    """moto's dashboard records every model object it ever made, so each PutItem's Item stayed in
    memory for good (~4 KB per fill of the positions view); scripts/services starts moto without
    that record (scripts/services.d/moto_serve.py). Fifty overwrites of one key: one item in the
    table, none in the dashboard's record."""
    table = unique("table")
    async with aws_session(services).client("dynamodb", endpoint_url=services.aws_endpoint_url) as ddb:
        await ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        try:
            for version in range(1, 51):
                await ddb.put_item(
                    TableName=table,
                    Item={"pk": {"S": "account-1#AAPL"}, "version": {"N": str(version)}},
                    **(
                        {"ConditionExpression": "attribute_not_exists(pk)"}
                        if version == 1
                        else {
                            "ConditionExpression": "version = :v",
                            "ExpressionAttributeValues": {":v": {"N": str(version - 1)}},
                        }
                    ),
                )
            assert (await ddb.scan(TableName=table, Select="COUNT"))["Count"] == 1
            async with httpx.AsyncClient(base_url=str(services.aws_endpoint_url), timeout=10) as http:
                tracked = (await http.get("/moto-api/data.json")).raise_for_status().json()
            assert tracked["dynamodb"]["Item"] == []
        finally:
            await ddb.delete_table(TableName=table)


MOTO_PID = Path(__file__).resolve().parents[3] / ".local" / "moto" / "moto.pid"


def moto_cpu_seconds() -> float:
    """User + system CPU time of the moto server so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{int(MOTO_PID.read_text().split()[0])}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def test_moto_transactions_roll_back_their_own_items_and_copy_no_table(services: Settings) -> None:
    """moto deep-copied the whole table once per action of a transaction (its rollback
    snapshot), so the positions view's group commit cost grew with the table; the moto of
    scripts/services snapshots the touched items only (scripts/services.d/moto_serve.py).
    A cancelled transaction leaves every item it named as it was (a new one absent, an updated
    one unchanged), and a transaction of 100 puts on a 600-item table costs moto less CPU than
    100 single puts measured just before it (with the table copies it cost about ten times more)."""
    table = unique("table")
    async with aws_session(services).client("dynamodb", endpoint_url=services.aws_endpoint_url) as ddb:
        await ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        try:

            def item(i: int, version: int) -> dict[str, Any]:
                return {"pk": {"S": f"A#{i % 50}"}, "sk": {"S": f"POS#{i}"}, "version": {"N": str(version)}}

            for start in range(0, 600, 25):
                await ddb.batch_write_item(
                    RequestItems={table: [{"PutRequest": {"Item": item(i, 1)}} for i in range(start, start + 25)]}
                )
            with pytest.raises(ClientError) as cancelled:
                await ddb.transact_write_items(
                    TransactItems=[
                        {"Put": {"TableName": table, "Item": item(1000, 1)}},  # new
                        {
                            "Update": {
                                "TableName": table,
                                "Key": {"pk": {"S": "A#1"}, "sk": {"S": "POS#1"}},
                                "UpdateExpression": "SET version = :two",
                                "ExpressionAttributeValues": {":two": {"N": "2"}},
                            }
                        },
                        {
                            "Put": {
                                "TableName": table,
                                "Item": item(2, 2),
                                "ConditionExpression": "version = :stale",
                                "ExpressionAttributeValues": {":stale": {"N": "7"}},
                            }
                        },
                    ]
                )
            assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
            assert "Item" not in await ddb.get_item(TableName=table, Key={"pk": {"S": "A#0"}, "sk": {"S": "POS#1000"}})
            for i in (1, 2):
                kept = await ddb.get_item(TableName=table, Key={"pk": {"S": f"A#{i}"}, "sk": {"S": f"POS#{i}"}})
                assert kept["Item"]["version"] == {"N": "1"}

            before = moto_cpu_seconds()
            for i in range(100):
                await ddb.put_item(
                    TableName=table,
                    Item=item(i, 2),
                    ConditionExpression="version = :v",
                    ExpressionAttributeValues={":v": {"N": "1"}},
                )
            singles = moto_cpu_seconds() - before
            before = moto_cpu_seconds()
            await ddb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": table,
                            "Item": item(i, 2),
                            "ConditionExpression": "version = :v",
                            "ExpressionAttributeValues": {":v": {"N": "1"}},
                        }
                    }
                    for i in range(100, 200)
                ]
            )
            transaction = moto_cpu_seconds() - before
            assert transaction < singles, f"one transaction {transaction:.2f} s of CPU, 100 puts {singles:.2f} s"
            assert (await ddb.scan(TableName=table, Select="COUNT"))["Count"] == 600
        finally:
            await ddb.delete_table(TableName=table)


MOTO_S3_DIR = Path(__file__).resolve().parents[3] / ".local" / "moto" / "s3"


def files_holding(body: bytes) -> list[Path]:
    """The files under moto's S3 body directory whose content is ``body`` (other tests may write
    objects meanwhile: ours are found by their random content, not by counting)."""
    return [p for p in MOTO_S3_DIR.iterdir() if p.stat().st_size == len(body) and p.read_bytes() == body]


async def test_moto_keeps_s3_bodies_on_disk_not_in_memory(services: Settings) -> None:
    """moto's S3 held every object's body in its memory (the audit archive grew its RSS ~150 MB an
    hour under the soak); scripts/services starts it with bodies in files under .local/moto/s3
    (scripts/services.d/moto_serve.py). An object's body is one file there while the object
    exists; overwriting or deleting the object removes the file; reads return the bytes."""
    assert MOTO_S3_DIR.is_dir(), f"moto was not started by this checkout's scripts/services ({MOTO_S3_DIR})"
    bucket = unique("bucket")
    first, second = os.urandom(64 * 1024), os.urandom(100 * 1024)
    async with aws_session(services).client("s3", endpoint_url=services.aws_endpoint_url) as s3:
        await s3.create_bucket(Bucket=bucket)
        try:
            await s3.put_object(Bucket=bucket, Key="a.parquet", Body=first)
            assert len(files_holding(first)) == 1
            got = await s3.get_object(Bucket=bucket, Key="a.parquet")
            assert await got["Body"].read() == first
            await s3.put_object(Bucket=bucket, Key="a.parquet", Body=second)  # overwritten
            assert files_holding(first) == [] and len(files_holding(second)) == 1
            got = await s3.get_object(Bucket=bucket, Key="a.parquet", Range="bytes=10-19")
            assert await got["Body"].read() == second[10:20]
            await s3.delete_object(Bucket=bucket, Key="a.parquet")
            assert files_holding(second) == []
        finally:
            listed = await s3.list_objects_v2(Bucket=bucket)
            for obj in listed.get("Contents", []):
                await s3.delete_object(Bucket=bucket, Key=obj["Key"])
            await s3.delete_bucket(Bucket=bucket)
