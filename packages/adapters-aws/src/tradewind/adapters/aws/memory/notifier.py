"""In-memory live-update fan-out (the twin of Redis pub/sub): one hub, many listeners."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence

from tradewind.application.ports import LiveUpdate

Listener = Callable[[dict[str, object]], Awaitable[None]]


class MemoryNotifier:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def publish(self, account_id: uuid.UUID | None, kind: str, seq: int | None, data: dict[str, object]) -> None:
        message = {
            "account_id": None if account_id is None else str(account_id),
            "kind": kind,
            "seq": seq,
            "data": data,
        }
        for listener in list(self._listeners):
            await listener(message)

    async def publish_many(self, updates: Sequence[LiveUpdate]) -> None:
        for account_id, kind, seq, data in updates:
            await self.publish(account_id, kind, seq, data)
