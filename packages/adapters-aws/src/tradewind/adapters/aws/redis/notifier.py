"""Live updates over Redis pub/sub: workers publish, each web process holds ONE subscription and
fans messages out to its connections (``RedisUpdateListener``), never one per connection."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence

from redis.asyncio import Redis

from tradewind.application.ports import LiveUpdate

log = logging.getLogger(__name__)
CHANNEL = "tradewind:updates"

Listener = Callable[[dict[str, object]], Awaitable[None]]


class RedisNotifier:
    def __init__(self, redis: Redis, channel: str = CHANNEL) -> None:
        self._redis = redis
        self._channel = channel

    async def publish(self, account_id: uuid.UUID | None, kind: str, seq: int | None, data: dict[str, object]) -> None:
        await self._redis.publish(self._channel, encode_update((account_id, kind, seq, data)))

    async def publish_many(self, updates: Sequence[LiveUpdate]) -> None:
        """One pipeline (not a transaction: pub/sub needs no atomicity), so one round trip;
        Redis runs a pipeline's commands in order, so subscribers see the updates in order."""
        if not updates:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for update in updates:
                pipe.publish(self._channel, encode_update(update))
            await pipe.execute()


def encode_update(update: LiveUpdate) -> str:
    """What a web process's subscription receives: ``{account_id, kind, seq, data}``, ids as text."""
    account_id, kind, seq, data = update
    return json.dumps(
        {"account_id": None if account_id is None else str(account_id), "kind": kind, "seq": seq, "data": data}
    )


class RedisUpdateListener:
    """One pub/sub subscription per process, delivering each message to every registered listener."""

    def __init__(self, redis: Redis, channel: str = CHANNEL) -> None:
        self._redis = redis
        self._channel = channel
        self._listeners: list[Listener] = []
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    def listen(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="redis-updates")
        await asyncio.wait_for(self.ready.wait(), 10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    self.ready.set()
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        payload = json.loads(message["data"])
                        for listener in list(self._listeners):
                            await listener(payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("redis subscription lost; resubscribing")
                await asyncio.sleep(1.0)  # reconnect back-off
