"""The ``OutboxStore`` contract, run against the in-memory twin and PostgreSQL alike.

What the relay relies on: every event a unit of work committed is in ``unsent`` oldest first,
once per topic it travels on (a request on ``order.commands`` then ``order.events``, with one
event id; anything else on ``order.events``), keyed by its account, as its exact JSON; an event
is in the outbox at most once per topic (a second write of it fails the commit);
``mark_sent`` takes rows out; and ``claim`` admits one relay at a time, the next waiting until
the leader lets go.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from order_twins import TWINS, OrderTwins, accepted, memory_twins, move, open_account, place, postgres_twins, submitted

from tradewind.application.orders.sequencing import number_events
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
        events += (await place(twins, sub)).events  # as numbered and written
    ack = accepted(subs[0])
    events += (await move(twins, account.id, subs[0].order_id, ack)).events
    async with twins.uow() as uow:
        await uow.accounts.lock(account.id)
        order = await uow.orders.get(account.id, subs[0].order_id)
        assert order is not None
        order.request_cancel(CancelOrder(account.id, order.id))
        await number_events(uow, order)
        await uow.orders.save(order)
        await uow.commit()
    events.append(order.events[0])

    rows = await unsent_of(twins, events)
    both = ["order.commands", "order.events"]
    assert [(r.event_id, r.topic) for r in rows] == [
        *((s.event_id, t) for s in subs for t in both),
        (ack.event_id, "order.events"),
        *((events[-1].event_id, t) for t in both),
    ]
    assert [r.id for r in rows] == sorted(r.id for r in rows) and len({r.id for r in rows}) == len(rows)
    assert {r.key for r in rows} == {str(account.id)}
    written = {e.event_id: e.to_json() for e in events}
    assert [r.payload for r in rows] == [written[r.event_id] for r in rows]  # the exact JSON, on either topic
    assert [json.loads(written[e.event_id])["account_seq"] for e in events] == [1, 2, 3, 4, 5]
    every = await twins.outbox.unsent(100_000)
    assert [r.id for r in every] == sorted(r.id for r in every)

    await twins.outbox.mark_sent([rows[0].id, rows[2].id])
    assert [r.id for r in await unsent_of(twins, events)] == [
        r.id for r in rows if r.id not in (rows[0].id, rows[2].id)
    ]
    await twins.outbox.mark_sent([r.id for r in rows])
    assert await unsent_of(twins, events) == []


async def test_unsent_honours_limit_from_the_oldest(twins: OrderTwins) -> None:
    account = await open_account(twins)
    subs = [submitted(account.id) for _ in range(3)]
    for sub in subs:
        await place(twins, sub)
    every = await twins.outbox.unsent(100_000)
    assert [r.event_id for r in every[-6:]] == [s.event_id for s in subs for _ in range(2)]  # the newest, last
    cut = len(every) - 3  # leaves out this test's three newest rows
    assert await twins.outbox.unsent(cut) == every[:cut]


async def test_an_event_is_in_the_outbox_once_per_topic(twins: OrderTwins) -> None:
    account = await open_account(twins)
    sub = submitted(account.id)
    await place(twins, sub)
    ack = accepted(sub)
    await move(twins, account.id, sub.order_id, ack)

    async with twins.uow() as uow:
        await uow.accounts.lock(account.id)
        order = await uow.orders.get(account.id, sub.order_id)
        assert order is not None
        order.events = [ack.numbered(2, 2)]  # the same event written again
        with pytest.raises((ValueError, asyncpg.UniqueViolationError)):  # at the insert or at commit
            await uow.orders.save(order)
            await uow.commit()

    rows = await unsent_of(twins, [sub, ack])
    assert sorted((r.event_id == ack.event_id, r.topic) for r in rows) == [
        (False, "order.commands"),
        (False, "order.events"),
        (True, "order.events"),
    ]


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
