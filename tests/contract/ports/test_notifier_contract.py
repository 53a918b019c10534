"""The live-update contract (``Notifier`` + the web process's update listener), run against the
in-memory twin and real Redis pub/sub alike.

What the SSE bridge relies on: every listener of the process receives each update exactly as it
was published (``{account_id, kind, seq, data}``, ids as strings, ``seq`` and ``account_id``
possibly null), in publish order, and a listener that unregistered receives nothing more. Redis
channels are shared, so each test uses a channel of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from redis.asyncio import Redis

from tradewind.adapters.aws.memory.notifier import MemoryNotifier
from tradewind.adapters.aws.redis.notifier import RedisNotifier, RedisUpdateListener
from tradewind.adapters.aws.settings import Settings

Eventually = Callable[..., Awaitable[Any]]
Listener = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Updates:
    notifier: Any
    listen: Callable[[Listener], Callable[[], None]]


@pytest.fixture(params=["memory", "redis"])
async def updates(request: pytest.FixtureRequest) -> AsyncIterator[Updates]:
    if request.param == "memory":
        memory = MemoryNotifier()
        yield Updates(memory, memory.listen)
        return
    settings: Settings = request.getfixturevalue("services")
    redis = Redis(host=settings.redis_host, port=settings.redis_port)
    channel = f"test:updates:{uuid.uuid4().hex[:8]}"
    listener = RedisUpdateListener(redis, channel=channel)
    await listener.start()
    try:
        yield Updates(RedisNotifier(redis, channel=channel), listener.listen)
    finally:
        await listener.stop()
        await redis.aclose()


class Received:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    def count(self, n: int) -> Callable[[], Awaitable[bool]]:
        async def condition() -> bool:
            return len(self.messages) >= n

        return condition


async def test_every_listener_receives_each_update_as_published_in_order(
    updates: Updates, eventually: Eventually
) -> None:
    account = uuid.uuid4()
    first, second = Received(), Received()
    updates.listen(first)
    updates.listen(second)
    order = {"id": str(uuid.uuid4()), "status": "accepted", "limit_price": "99.50", "qty": 10}
    await updates.notifier.publish(account, "order", 7, order)
    await updates.notifier.publish(None, "quote", None, {"symbol": "AAPL", "last": "100.01", "stale": False})
    for received in (first, second):
        await eventually(received.count(2), timeout=10, what="both updates")
        assert received.messages == [
            {"account_id": str(account), "kind": "order", "seq": 7, "data": order},
            {
                "account_id": None,
                "kind": "quote",
                "seq": None,
                "data": {"symbol": "AAPL", "last": "100.01", "stale": False},
            },
        ]


async def test_a_listener_that_left_receives_nothing_more(updates: Updates, eventually: Eventually) -> None:
    staying, leaving = Received(), Received()
    updates.listen(staying)
    stop = updates.listen(leaving)
    stop()
    await updates.notifier.publish(uuid.uuid4(), "fill", 1, {"id": "f-1"})
    await eventually(staying.count(1), timeout=10, what="the update")
    assert leaving.messages == []


async def test_updates_published_together_arrive_as_published_one_by_one_in_order(
    updates: Updates, eventually: Eventually
) -> None:
    account = uuid.uuid4()
    received = Received()
    updates.listen(received)
    await updates.notifier.publish(account, "order", 1, {"n": 1})
    await updates.notifier.publish_many(
        [(account, "fill", 2, {"n": 2}), (account, "order", 2, {"n": 3}), (None, "quote", None, {"n": 4})]
    )
    await updates.notifier.publish_many([])
    await updates.notifier.publish(account, "order", 3, {"n": 5})
    await eventually(received.count(5), timeout=10, what="five updates")
    assert [(m["kind"], m["seq"], m["data"]["n"]) for m in received.messages] == [
        ("order", 1, 1),
        ("fill", 2, 2),
        ("order", 2, 3),
        ("quote", None, 4),
        ("order", 3, 5),
    ]
    assert {m["account_id"] for m in received.messages} == {str(account), None}
