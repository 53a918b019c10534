"""Kinesis clients through aioboto3: kinesalite on 127.0.0.1 in ``local``, AWS when no endpoint is set."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from typing import Any

import aioboto3
from aiobotocore.config import AioConfig


def kinesis_client_factory(*, endpoint_url: str | None, region: str, access_key_id: str, secret_access_key: str) -> Any:
    """A zero-argument callable opening a Kinesis client (an async context manager)."""
    session = aioboto3.Session(
        aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key, region_name=region
    )
    kw: dict[str, Any] = {"endpoint_url": endpoint_url} if endpoint_url else {}
    # our own retries (only failed records, with backoff) instead of botocore's whole-call retries
    config = AioConfig(retries={"max_attempts": 2, "mode": "standard"}, max_pool_connections=20)

    def open_client() -> AbstractAsyncContextManager[Any]:
        return session.client("kinesis", config=config, **kw)  # type: ignore[no-any-return]

    return open_client


async def ensure_stream(client_factory: Any, stream: str, shards: int = 2) -> bool:
    """Create ``stream`` unless it exists (isolated test stacks) and wait until it is ACTIVE; True if
    it was created now."""
    async with client_factory() as client:
        try:
            await client.create_stream(StreamName=stream, ShardCount=shards)
            created = True
        except Exception as exc:
            if getattr(exc, "response", {}).get("Error", {}).get("Code") != "ResourceInUseException":
                raise
            created = False
        await wait_active(client, stream)
    return created


async def wait_active(client: Any, stream: str, timeout: float = 30.0) -> int:
    """Wait until ``stream`` is ACTIVE and return its open shard count. A new stream is CREATING
    for a moment (half a second on kinesalite's defaults, up to a minute on AWS), and PutRecords
    to it answers ResourceNotFoundException until then."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        summary = (await client.describe_stream_summary(StreamName=stream))["StreamDescriptionSummary"]
        if summary["StreamStatus"] in ("ACTIVE", "UPDATING"):
            return int(summary["OpenShardCount"])
        if loop.time() > deadline:
            raise TimeoutError(f"Kinesis stream {stream} still {summary['StreamStatus']} after {timeout}s")
        await asyncio.sleep(0.05)
