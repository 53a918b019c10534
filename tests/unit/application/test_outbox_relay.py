"""The outbox relay: committed rows reach the bus in commit order, at least once. A partial ack
or a crash between publish and mark may duplicate, never lose or reorder."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.orders import MemoryUnitOfWork
from tradewind.adapters.aws.memory.outbox import MemoryOutboxStore
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.application.outbox_relay import OutboxRelay
from tradewind.application.topics import ORDER_COMMANDS, ORDER_EVENTS
from tradewind.domain.orders.commands import PlaceOrder
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

TOPICS = (ORDER_COMMANDS, ORDER_EVENTS)  # a submission travels on both, as two outbox rows


async def commit_orders(store: MemoryStore, n: int) -> list[str]:
    """Commit ``n`` orders as the place use case does; returns their submissions' event ids, in
    commit order (each is two outbox rows: ``order.commands`` then ``order.events``)."""
    account = uuid.uuid4()
    for i in range(n):
        order = Order.submit(
            PlaceOrder(account, "AAPL", OrderSide.BUY, 1 + i, OrderType.MARKET, TimeInForce.DAY, f"c-{i}")
        )
        async with MemoryUnitOfWork(store) as uow:
            await uow.orders.add(order)
            await uow.commit()
    assert [row.topic for row in store.outbox] == list(TOPICS) * n
    return [str(row.event_id) for row in store.outbox if row.topic == ORDER_COMMANDS]


def published_ids(bus: MemoryBus, topic: str = ORDER_COMMANDS) -> list[str]:
    return [json.loads(payload)["event_id"] for _, payload in bus.records(topic)]


def assert_published_in_order(bus: MemoryBus, committed: list[str]) -> None:
    for topic in TOPICS:
        assert published_ids(bus, topic) == committed, topic


class PrefixAckPublisher(MemoryBus):
    """A bus whose broker acknowledges only the first ``acks[i]`` records of its i-th batch (the
    rest were never written); after the scripted batches it acknowledges everything."""

    def __init__(self, acks: list[int]) -> None:
        super().__init__()
        self._acks = list(acks)

    async def publish_batch(self, records: Sequence[tuple[str, str, bytes]]) -> int:
        acked = self._acks.pop(0) if self._acks else len(records)
        return await super().publish_batch(records[:acked])


class CrashOnceOutboxStore(MemoryOutboxStore):
    """Dies once between the broker's ack and marking the rows sent (a killed relay process)."""

    def __init__(self, store: MemoryStore) -> None:
        super().__init__(store)
        self.crashes_left = 1

    async def mark_sent(self, ids: Sequence[int]) -> None:
        if self.crashes_left:
            self.crashes_left -= 1
            raise ConnectionResetError("relay killed before marking")
        await super().mark_sent(ids)


def unsent(store: MemoryStore) -> list[int]:
    return [row.id for row in store.outbox if not row.sent]


async def test_rows_are_published_in_order_and_marked_sent() -> None:
    store, bus = MemoryStore(), MemoryBus()
    committed = await commit_orders(store, 5)
    relay = OutboxRelay(MemoryOutboxStore(store), bus)
    assert await relay.run_once() == 10
    assert_published_in_order(bus, committed)
    for topic in TOPICS:
        assert [key for key, _ in bus.records(topic)] == [row.key for row in store.outbox if row.topic == topic]
    assert unsent(store) == [] and relay.published == 10
    assert await relay.run_once() == 0
    assert_published_in_order(bus, committed)  # nothing published twice


async def test_batches_respect_the_batch_size_and_keep_order() -> None:
    store, bus = MemoryStore(), MemoryBus()
    committed = await commit_orders(store, 5)
    relay = OutboxRelay(MemoryOutboxStore(store), bus, batch_size=4)
    assert [await relay.run_once() for _ in range(4)] == [4, 4, 2, 0]
    assert_published_in_order(bus, committed)


async def test_only_the_acknowledged_prefix_is_marked_and_the_rest_follows_in_order() -> None:
    store = MemoryStore()
    committed = await commit_orders(store, 5)
    bus = PrefixAckPublisher(acks=[3])
    relay = OutboxRelay(MemoryOutboxStore(store), bus)
    with pytest.raises(RuntimeError, match="acknowledged 3 of 10"):
        await relay.run_once()
    assert unsent(store) == [4, 5, 6, 7, 8, 9, 10]
    assert await relay.run_once() == 7
    assert_published_in_order(bus, committed)  # no loss, no reorder
    assert unsent(store) == []


async def test_a_relay_killed_between_publish_and_mark_republishes_everything() -> None:
    store, bus = MemoryStore(), MemoryBus()
    committed = await commit_orders(store, 5)
    relay = OutboxRelay(CrashOnceOutboxStore(store), bus)
    with pytest.raises(ConnectionResetError):
        await relay.run_once()
    assert unsent(store) == list(range(1, 11))
    assert await relay.run_once() == 10
    for topic in TOPICS:  # duplicates allowed: consumers dedupe
        assert published_ids(bus, topic) == committed + committed
    assert unsent(store) == []


async def test_the_running_relay_publishes_what_is_committed_while_it_runs(
    eventually: Callable[..., Any],
) -> None:
    store, bus = MemoryStore(), MemoryBus()
    stop = asyncio.Event()
    task = asyncio.create_task(OutboxRelay(MemoryOutboxStore(store), bus, idle_wait=0.01).run(stop))
    try:
        committed = await commit_orders(store, 3)

        async def all_published() -> bool:
            return all(published_ids(bus, topic) == committed for topic in TOPICS)

        await eventually(all_published, timeout=5, what="the committed rows on the bus")
        assert unsent(store) == []
    finally:
        stop.set()
        await task
