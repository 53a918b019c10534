"""The ``OrderReadModel`` contract, run against the in-memory twin and PostgreSQL alike.

What the projection and the API rely on: ``apply`` is idempotent by ``event_id`` (a redelivery
returns the same stream entries and changes nothing); fills converge whatever order they come
in; an event for an order the view has not seen is built from the write row, and one for an
order nobody knows raises ``ProjectionMiss`` without being marked as applied (so it is retried);
lists are newest first with a status filter, ``limit`` and an ``after`` cursor; the stream log
is per account and ordered by ``seq``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from order_twins import (
    TWINS,
    D,
    OrderTwins,
    filled,
    memory_twins,
    open_account,
    order_of,
    postgres_twins,
    rejected,
    submitted,
)

from tradewind.application.ports import OrderLogEntry
from tradewind.application.projections.apply import ProjectionMiss
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.events import OrderSubmitted
from tradewind.domain.orders.status import OrderStatus


@pytest.fixture(params=TWINS)
def twins(request: pytest.FixtureRequest) -> OrderTwins:
    if request.param == "memory":
        return memory_twins()
    return postgres_twins(request.getfixturevalue("pg_pool"))


def kinds(entries: list[OrderLogEntry]) -> list[str]:
    return [e.kind for e in entries]


async def test_apply_is_idempotent_by_event_id(twins: OrderTwins) -> None:
    model = twins.read_model
    account_id = uuid.uuid4()
    sub = submitted(account_id, qty=10)
    fill = filled(sub, cum_qty=4, avg_price="150.10")

    created = await model.apply(sub)
    assert kinds(created) == ["order"]
    assert await model.apply(sub) == created

    first = await model.apply(fill)
    assert kinds(first) == ["fill", "order"]
    view = await model.get(account_id, sub.order_id)
    log = await model.log_since(account_id, 0)

    assert await model.apply(fill) == first  # the same entries, not new ones
    assert await model.get(account_id, sub.order_id) == view
    assert await model.log_since(account_id, 0) == log
    assert view is not None
    assert (view.status, view.filled_qty, view.filled_avg_price) == (
        OrderStatus.PARTIALLY_FILLED,
        4,
        D("150.10"),
    )
    assert [e.seq for e in log] == sorted(e.seq for e in log)
    assert log == [*created, *first]


async def test_fills_converge_whatever_order_they_arrive_in(twins: OrderTwins) -> None:
    model = twins.read_model
    account_id = uuid.uuid4()
    views = []
    for reordered in (False, True):
        sub = submitted(account_id, qty=10)
        early = filled(sub, cum_qty=4, avg_price="150.00", after=1)
        late = filled(sub, cum_qty=10, fill_qty=6, avg_price="150.06", after=2)
        await model.apply(sub)
        for fill in (late, early) if reordered else (early, late):
            await model.apply(fill)
        view = await model.get(account_id, sub.order_id)
        assert view is not None
        views.append(view)
        if reordered:
            # the stale report is still news on the stream, but moves nothing back
            assert kinds(await model.apply(filled(sub, cum_qty=2, avg_price="149.00"))) == ["fill"]

    for view in views:
        assert (view.status, view.filled_qty, view.filled_avg_price) == (
            OrderStatus.FILLED,
            10,
            D("150.06"),
        )
    assert views[0].updated_at - views[0].created_at == views[1].updated_at - views[1].created_at


async def test_list_orders_filters_by_status_newest_first(twins: OrderTwins) -> None:
    model = twins.read_model
    account_id = uuid.uuid4()
    base = utcnow() - timedelta(minutes=10)
    subs = [submitted(account_id, created_at=base + timedelta(seconds=i)) for i in range(5)]
    for sub in subs:
        await model.apply(sub)
    await model.apply(rejected(subs[1]))
    await model.apply(filled(subs[3], cum_qty=subs[3].qty, avg_price="150.25"))
    await model.apply(submitted(uuid.uuid4(), created_at=base))  # someone else's

    async def ids(status: str) -> list[uuid.UUID]:
        page = await model.list_orders(account_id, status=status)
        assert page.next_after is None
        return [o.id for o in page.orders]

    newest_first = [s.order_id for s in reversed(subs)]
    assert await ids("all") == newest_first
    assert await ids("open") == [subs[4].order_id, subs[2].order_id, subs[0].order_id]
    assert await ids("closed") == [subs[3].order_id, subs[1].order_id]


@pytest.mark.parametrize("status", ["all", "open"])
async def test_list_orders_pages_with_limit_and_after(twins: OrderTwins, status: str) -> None:
    model = twins.read_model
    account_id = uuid.uuid4()
    base = utcnow() - timedelta(minutes=10)
    subs = [submitted(account_id, created_at=base + timedelta(seconds=i)) for i in range(5)]
    for sub in subs:
        await model.apply(sub)
    await model.apply(rejected(subs[2]))
    expected = [s.order_id for s in reversed(subs) if status == "all" or s is not subs[2]]

    seen: list[uuid.UUID] = []
    after: str | None = None
    for _ in range(len(expected)):
        page = await model.list_orders(account_id, status=status, limit=2, after=after)
        assert len(page.orders) <= 2
        seen += [o.id for o in page.orders]
        if page.next_after is None:
            break
        assert page.next_after == str(page.orders[-1].id)
        after = page.next_after
    assert seen == expected

    assert (await model.list_orders(account_id, status=status, limit=1)).orders[0].id == expected[0]
    assert (await model.list_orders(account_id, after="not-a-cursor")).orders == []


async def test_a_cursor_still_pages_after_its_order_closed(twins: OrderTwins) -> None:
    model = twins.read_model
    account_id = uuid.uuid4()
    base = utcnow() - timedelta(minutes=10)
    subs = [submitted(account_id, created_at=base + timedelta(seconds=i)) for i in range(4)]
    for sub in subs:
        await model.apply(sub)

    page = await model.list_orders(account_id, status="open", limit=2)
    assert [o.id for o in page.orders] == [subs[3].order_id, subs[2].order_id]
    await model.apply(rejected(subs[2]))  # the cursor's order leaves the "open" list

    rest = await model.list_orders(account_id, status="open", limit=2, after=page.next_after)
    assert [o.id for o in rest.orders] == [subs[1].order_id, subs[0].order_id]
    assert rest.next_after is None


async def test_log_since_is_per_account_and_ordered(twins: OrderTwins) -> None:
    model = twins.read_model
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    sub = submitted(mine)
    produced = await model.apply(sub)
    await model.apply(submitted(theirs))
    produced += await model.apply(filled(sub, cum_qty=sub.qty, avg_price="150.25"))
    other = submitted(mine)
    produced += await model.apply(other)

    assert await model.log_since(mine, 0) == produced
    assert all(e.account_id == mine for e in produced)
    assert await model.log_since(mine, produced[0].seq) == produced[1:]
    assert await model.log_since(mine, produced[-1].seq) == []
    assert await model.log_since(mine, 0, limit=2) == produced[:2]
    assert [e.account_id for e in await model.log_since(theirs, 0)] == [theirs]
    assert produced[-1].data["id"] == str(other.order_id)


async def test_get_is_scoped_to_the_account(twins: OrderTwins) -> None:
    sub = submitted(uuid.uuid4())
    await twins.read_model.apply(sub)
    assert await twins.read_model.get(uuid.uuid4(), sub.order_id) is None
    view = await twins.read_model.get(sub.account_id, sub.order_id)
    assert view is not None and view.client_order_id == sub.client_order_id


async def test_a_fill_before_the_view_builds_it_from_the_write_row(twins: OrderTwins) -> None:
    account = await open_account(twins)
    sub = submitted(account.id, qty=10)
    async with twins.uow() as uow:
        await uow.orders.add(order_of(sub))
        await uow.commit()

    entries = await twins.read_model.apply(filled(sub, cum_qty=10, avg_price="150.25"))

    assert kinds(entries) == ["fill", "order"]
    view = await twins.read_model.get(account.id, sub.order_id)
    assert view is not None
    assert (view.client_order_id, view.symbol, view.qty, view.limit_price) == (
        sub.client_order_id,
        sub.symbol,
        10,
        D("150.25"),
    )
    assert (view.status, view.filled_qty, view.filled_avg_price) == (OrderStatus.FILLED, 10, D("150.25"))
    assert (await twins.read_model.list_orders(account.id)).orders == [view]


async def test_an_order_nobody_knows_raises_projection_miss_and_is_retried(twins: OrderTwins) -> None:
    model = twins.read_model
    sub: OrderSubmitted = submitted(uuid.uuid4(), qty=10)
    fill = filled(sub, cum_qty=10, avg_price="150.25")

    with pytest.raises(ProjectionMiss):
        await model.apply(fill)
    assert await model.get(sub.account_id, sub.order_id) is None
    assert await model.log_since(sub.account_id, 0) == []

    await model.apply(sub)
    assert kinds(await model.apply(fill)) == ["fill", "order"]  # not remembered as applied
    view = await model.get(sub.account_id, sub.order_id)
    assert view is not None and view.status is OrderStatus.FILLED
