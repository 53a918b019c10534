"""One aioboto3 session per process and its clients (DynamoDB, S3), opened on first use and
closed together by the lifecycle. The same code targets moto (``endpoint_url`` set) and AWS."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import aioboto3
from botocore.config import Config


class AwsClients:
    def __init__(
        self,
        *,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
        endpoint_url: str | None = None,
        max_pool_connections: int = 32,
    ) -> None:
        self._session = aioboto3.Session(
            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key, region_name=region
        )
        self._endpoint_url = endpoint_url
        self._config = Config(max_pool_connections=max_pool_connections, retries={"mode": "standard"})
        self._stack = AsyncExitStack()
        self._clients: dict[str, Any] = {}
        self._lock = asyncio.Lock()

    async def client(self, service: str) -> Any:
        """The shared client for ``service`` ("dynamodb", "s3"); safe to call from many tasks."""
        client = self._clients.get(service)
        if client is not None:
            return client
        async with self._lock:
            if service not in self._clients:
                kw = {"endpoint_url": self._endpoint_url} if self._endpoint_url else {}
                self._clients[service] = await self._stack.enter_async_context(
                    self._session.client(service, config=self._config, **kw)
                )
            return self._clients[service]

    async def close(self) -> None:
        self._clients.clear()
        await self._stack.aclose()
        self._stack = AsyncExitStack()
