"""The ``OutboxStore`` contract, run against the in-memory twin and PostgreSQL alike.

What the relay relies on: every event a unit of work committed is in ``unsent`` oldest first,
as the event's topic, its account key and its exact JSON; ``mark_sent`` takes rows out; and
``claim`` admits one relay at a time, the next waiting until the leader lets go.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from order_twins import TWINS, OrderTwins, memory_twins, open_account, order_of, postgres_twins, submitted

from tradewind.application.ports import OutboxRecord
from tradewind.domain.orders.commands import CancelOrder
from tradewind.domain.orders.events import Event

Eventually = Callable[..., Awaitable[Any]]


@pytest.fixture(params=TWINS)
def twins(request: pytest.FixtureRequest) -> OrderTwins:
    if request.param == "memory":
        return memory_twins()
    return postgres_twins(request.getfixturevalue("pg_pool"))


async def unsent_of(twins: OrderTwins, events: list[Event]) -> list[OutboxRecord]:
    """This test's unsent rows, in the store's order (other tests' rows may share the table)."""
    ids = {e.event_id for e in events}
    return [r for r in await twins.outbox.unsent(100_000) if r.event_id in ids]


async def test_committed_events_are_unsent_oldest_first_until_marked_sent(twins: OrderTwins) -> None:
    account = await open_account(twins)
    events: list[Event] = []
    subs = [submitted(account.id, symbol=s) for s in ("AAPL", "MSFT", "NVDA")]
    for sub in subs:
        async with twins.uow() as uow:
            await uow.orders.add(order_of(sub))
            await uow.commit()
        events.append(sub)
    async with twins.uow() as uow:
        order = await uow.orders.get(account.id, subs[0].order_id)
        assert order is not None
        events.append(order.request_cancel(CancelOrder(account.id, order.id)))
        await uow.orders.record(order)
        await uow.commit()

    rows = await unsent_of(twins, events)
    assert [r.event_id for r in rows] == [e.event_id for e in events]
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    assert [r.topic for r in rows] == ["order.submitted"] * 3 + ["order.canceled"]
    assert {r.key for r in rows} == {str(account.id)}
    assert [r.payload for r in rows] == [e.to_json() for e in events]
    every = await twins.outbox.unsent(100_000)
    assert [r.id for r in every] == sorted(r.id for r in every)

    await twins.outbox.mark_sent([rows[0].id, rows[2].id])
    assert [r.event_id for r in await unsent_of(twins, events)] == [events[1].event_id, events[3].event_id]
    await twins.outbox.mark_sent([rows[1].id, rows[3].id])
    assert await unsent_of(twins, events) == []


async def test_unsent_honours_limit_from_the_oldest(twins: OrderTwins) -> None:
    account = await open_account(twins)
    subs = [submitted(account.id) for _ in range(3)]
    for sub in subs:
        async with twins.uow() as uow:
            await uow.orders.add(order_of(sub))
            await uow.commit()
    every = await twins.outbox.unsent(100_000)
    assert [r.event_id for r in every[-3:]] == [s.event_id for s in subs]  # the newest, last
    cut = len(every) - 2  # leaves out this test's two newest rows
    assert await twins.outbox.unsent(cut) == every[:cut]


async def test_claim_admits_one_relay_at_a_time(twins: OrderTwins, eventually: Eventually) -> None:
    steps: list[str] = []
    leader_holds, leader_may_go = asyncio.Event(), asyncio.Event()

    async def leader() -> None:
        async with twins.outbox.claim():
            steps.append("leader claimed")
            leader_holds.set()
            await leader_may_go.wait()
            steps.append("leader lets go")

    async def follower() -> None:
        await leader_holds.wait()
        async with twins.outbox.claim():
            steps.append("follower claimed")

    tasks = [asyncio.create_task(leader()), asyncio.create_task(follower())]
    try:
        await eventually(twins.someone_waits, timeout=5, what="the second relay to wait for the claim")
        assert steps == ["leader claimed"]
        leader_may_go.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    finally:
        leader_may_go.set()
        for task in tasks:
            task.cancel()
    assert steps == ["leader claimed", "leader lets go", "follower claimed"]

    async with twins.outbox.claim():  # released for good: a third relay gets it at once
        steps.append("third claimed")
    assert steps[-1] == "third claimed"
