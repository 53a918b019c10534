"""Objects in one S3 bucket (moto locally): put (optionally only if absent), get, list, delete.

``put(if_absent=True)`` is S3's conditional write (``If-None-Match: *``): of two writers of one
key, exactly one succeeds. The audit archive uses it for its checkpoints.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from tradewind.adapters.aws.aws_clients import AwsClients


class S3ObjectStore:
    def __init__(self, clients: AwsClients, bucket: str) -> None:
        self._clients = clients
        self.bucket = bucket

    async def put(self, key: str, body: bytes, *, if_absent: bool = False) -> bool:
        s3 = await self._clients.client("s3")
        kw: dict[str, Any] = {"IfNoneMatch": "*"} if if_absent else {}
        try:
            await s3.put_object(Bucket=self.bucket, Key=key, Body=body, **kw)
        except ClientError as exc:
            if if_absent and exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
                return False
            raise
        return True

    async def get(self, key: str) -> bytes | None:
        s3 = await self._clients.client("s3")
        try:
            got = await s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        async with got["Body"] as stream:
            data: bytes = await stream.read()
        return data

    async def list(self, prefix: str) -> list[str]:
        s3 = await self._clients.client("s3")
        keys: list[str] = []
        paginator = s3.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return sorted(keys)

    async def delete(self, key: str) -> None:
        s3 = await self._clients.client("s3")
        await s3.delete_object(Bucket=self.bucket, Key=key)
