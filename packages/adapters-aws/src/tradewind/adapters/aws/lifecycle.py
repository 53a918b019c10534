"""Opening and closing the shared clients, once per process, in one place."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from redis.asyncio import Redis

from tradewind.adapters.aws.aws_clients import AwsClients
from tradewind.adapters.aws.kafka.publisher import KafkaEventPublisher
from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.redis.notifier import RedisUpdateListener


class AwsLifecycle:
    def __init__(
        self,
        pool: asyncpg.Pool,
        redis: Redis,
        publisher: KafkaEventPublisher,
        update_listener: RedisUpdateListener,
        aws_clients: AwsClients | None = None,
    ) -> None:
        self.pool = pool
        self.aws_clients = aws_clients  # opened on first use; closed here
        self.redis = redis
        self.publisher = publisher
        self.update_listener = update_listener
        self._started: set[str] = set()
        self._lock = asyncio.Lock()

    async def start(self, *, kafka: bool = True, listener: bool = False) -> None:
        async with self._lock:
            if "pg" not in self._started:
                await self.pool  # asyncpg pools open on first await
                self._started.add("pg")
            if kafka and "kafka" not in self._started:
                await self.publisher.start()
                self._started.add("kafka")
            if listener and "listener" not in self._started:
                await self.update_listener.start()
                self._started.add("listener")

    async def stop(self) -> None:
        async with self._lock:
            if "listener" in self._started:
                await self.update_listener.stop()
            if "kafka" in self._started:
                await self.publisher.stop()
            if "pg" in self._started:
                await self.pool.close()
            await self.redis.aclose()
            if self.aws_clients is not None:
                await self.aws_clients.close()
            self._started.clear()

    async def readiness(self) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        try:
            await self.pool.fetchval("SELECT 1")
            checks["postgres"] = "ok"
        except Exception as exc:
            checks["postgres"] = f"down: {exc.__class__.__name__}"
        try:
            await self.redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"down: {exc.__class__.__name__}"
        return checks


class MemoryLifecycle:
    def __init__(self, bus: MemoryBus) -> None:
        self.bus = bus

    async def start(self, *, kafka: bool = True, listener: bool = False) -> None:
        return None

    async def stop(self) -> None:
        await self.bus.stop()

    async def readiness(self) -> dict[str, Any]:
        return {"memory": "ok"}
