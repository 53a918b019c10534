"""The ``OrderReadModel`` contract, run against the in-memory twin and PostgreSQL alike.

What the projection and the stream rely on: events come numbered by the OMS (``account_seq``,
gap-free per account) and ``apply`` is idempotent by it: a redelivered number changes nothing
and returns the entries it made the first time; the stream log is keyed by ``(account, seq,
part)``, one event making one entry or two (a fill, then its order); ``log_since`` pages whole
events; a skipped number is counted as a gap and the event still applied; an event that does
not fit the view (no submission before it, an impossible move, a fill that adds nothing) or has
no number is counted, changes nothing and makes no entry. Lists are newest first with a status
filter, ``limit`` and an ``after`` cursor.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TypeVar, cast

import pytest
from order_twins import (
    TWINS,
    D,
    OrderTwins,
    accepted,
    filled,
    memory_twins,
    postgres_twins,
    rejected,
    submitted,
)

from tradewind.application.ports import OrderLogEntry
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.events import OrderEvent, OrderSubmitted
from tradewind.domain.orders.status import OrderStatus

E = TypeVar("E", bound=OrderEvent)


class Numbering:
    """The OMS's numbers: ``order_seq`` per order, ``account_seq`` per account."""

    def __init__(self) -> None:
        self.accounts: dict[uuid.UUID, int] = {}
        self.orders: dict[uuid.UUID, int] = {}

    def __call__(self, event: E, *, skip: int = 0) -> E:
        account = self.accounts[event.account_id] = self.accounts.get(event.account_id, 0) + 1 + skip
        order = self.orders[event.order_id] = self.orders.get(event.order_id, 0) + 1
        return cast(E, event.numbered(order, account))


@pytest.fixture(params=TWINS)
def twins(request: pytest.FixtureRequest) -> OrderTwins:
    if request.param == "memory":
        return memory_twins()
    return postgres_twins(request.getfixturevalue("pg_pool"))


def kinds(entries: list[OrderLogEntry]) -> list[str]:
    return [e.kind for e in entries]


async def test_apply_is_idempotent_by_account_seq(twins: OrderTwins) -> None:
    model, n = twins.read_model, Numbering()
    account_id = uuid.uuid4()
    sub = n(submitted(account_id, qty=10))
    fill = n(filled(sub, cum_qty=4, avg_price="150.10"))

    created = await model.apply(sub)
    assert kinds(created) == ["order"] and [e.seq for e in created] == [1]
    assert await model.apply(sub) == created

    first = await model.apply(fill)
    assert kinds(first) == ["fill", "order"]
    assert [(e.seq, e.part) for e in first] == [(2, 0), (2, 1)]  # one event, two parts
    view = await model.get(account_id, sub.order_id)
    log = await model.log_since(account_id, 0)

    assert await model.apply(fill) == first  # the same entries, not new ones
    assert await model.apply(sub) == created  # an older number too
    assert await model.get(account_id, sub.order_id) == view
    assert await model.log_since(account_id, 0) == log == [*created, *first]
    assert view is not None
    assert (view.status, view.filled_qty, view.filled_avg_price, view.order_seq) == (
        OrderStatus.PARTIALLY_FILLED,
        4,
        D("150.10"),
        2,
    )
    assert (model.gaps, model.misfits) == (0, 0)


async def test_a_redelivered_number_is_recognised_even_with_another_event_id(twins: OrderTwins) -> None:
    """The number is the key, not the event id: the OMS gave this account_seq to one event only."""
    model, n = twins.read_model, Numbering()
    account_id = uuid.uuid4()
    sub = n(submitted(account_id, qty=10))
    created = await model.apply(sub)
    impostor = rejected(sub).numbered(1, 1)  # a different event carrying an applied number

    assert await model.apply(impostor) == created
    view = await model.get(account_id, sub.order_id)
    assert view is not None and view.status is OrderStatus.PENDING


async def test_a_skipped_number_is_counted_as_a_gap_and_the_event_still_applied(twins: OrderTwins) -> None:
    model, n = twins.read_model, Numbering()
    account_id = uuid.uuid4()
    sub = n(submitted(account_id, qty=10))
    await model.apply(sub)
    ack = n(accepted(sub), skip=1)  # account_seq 3: number 2 never arrived
    entries = await model.apply(ack)

    assert model.gaps == 1
    assert [(e.seq, e.kind) for e in entries] == [(3, "order")]
    view = await model.get(account_id, sub.order_id)
    assert view is not None and view.status is OrderStatus.ACCEPTED
    assert [e.seq for e in await model.log_since(account_id, 0)] == [1, 3]
    await model.apply(n(submitted(uuid.uuid4())))  # another account's first event is no gap
    assert model.gaps == 1


async def test_an_event_that_does_not_fit_the_view_is_counted_and_changes_nothing(twins: OrderTwins) -> None:
    model, n = twins.read_model, Numbering()
    account_id = uuid.uuid4()
    sub = n(submitted(account_id, qty=10))
    await model.apply(sub)
    await model.apply(n(filled(sub, cum_qty=10, avg_price="150.25")))
    view = await model.get(account_id, sub.order_id)
    log = await model.log_since(account_id, 0)
    stranger = submitted(account_id)

    misfits = [
        n(filled(sub, cum_qty=10, avg_price="150.25")),  # adds nothing: stale
        n(rejected(sub)),  # filled cannot become rejected
        n(accepted(stranger)),  # no submission of this order in the view
    ]
    for event in misfits:
        assert await model.apply(event) == []
    assert await model.apply(sub.model_copy(update={"account_seq": None})) == []  # not numbered

    assert model.misfits == 4
    assert await model.get(account_id, sub.order_id) == view
    assert await model.get(account_id, stranger.order_id) is None
    assert await model.log_since(account_id, 0) == log
    after = n(submitted(account_id))  # the account's stream goes on after them
    assert [e.seq for e in await model.apply(after)] == [6]
    assert model.gaps == 0


async def test_list_orders_filters_by_status_newest_first(twins: OrderTwins) -> None:
    model, n = twins.read_model, Numbering()
    account_id = uuid.uuid4()
    base = utcnow() - timedelta(minutes=10)
    subs = [submitted(account_id, created_at=base + timedelta(seconds=i)) for i in range(5)]
    for sub in subs:
        await model.apply(n(sub))
    await model.apply(n(rejected(subs[1])))
    await model.apply(n(filled(subs[3], cum_qty=subs[3].qty, avg_price="150.25")))
    await model.apply(n(submitted(uuid.uuid4(), created_at=base)))  # someone else's

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
    model, n = twins.read_model, Numbering()
    account_id = uuid.uuid4()
    base = utcnow() - timedelta(minutes=10)
    subs = [submitted(account_id, created_at=base + timedelta(seconds=i)) for i in range(5)]
    for sub in subs:
        await model.apply(n(sub))
    await model.apply(n(rejected(subs[2])))
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
    model, n = twins.read_model, Numbering()
    account_id = uuid.uuid4()
    base = utcnow() - timedelta(minutes=10)
    subs = [submitted(account_id, created_at=base + timedelta(seconds=i)) for i in range(4)]
    for sub in subs:
        await model.apply(n(sub))

    page = await model.list_orders(account_id, status="open", limit=2)
    assert [o.id for o in page.orders] == [subs[3].order_id, subs[2].order_id]
    await model.apply(n(rejected(subs[2])))  # the cursor's order leaves the "open" list

    rest = await model.list_orders(account_id, status="open", limit=2, after=page.next_after)
    assert [o.id for o in rest.orders] == [subs[1].order_id, subs[0].order_id]
    assert rest.next_after is None


async def test_log_since_is_per_account_and_ordered(twins: OrderTwins) -> None:
    model, n = twins.read_model, Numbering()
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    sub = n(submitted(mine))
    produced = await model.apply(sub)
    await model.apply(n(submitted(theirs)))
    produced += await model.apply(n(filled(sub, cum_qty=sub.qty, avg_price="150.25")))
    other = n(submitted(mine))
    produced += await model.apply(other)

    assert [(e.seq, e.part, e.kind) for e in produced] == [
        (1, 0, "order"),
        (2, 0, "fill"),
        (2, 1, "order"),
        (3, 0, "order"),
    ]
    assert await model.log_since(mine, 0) == produced
    assert all(e.account_id == mine for e in produced)
    assert await model.log_since(mine, 1) == produced[1:]
    assert await model.log_since(mine, 3) == []
    assert [e.account_id for e in await model.log_since(theirs, 0)] == [theirs]
    assert produced[-1].data["id"] == str(other.order_id)


async def test_log_since_pages_whole_events(twins: OrderTwins) -> None:
    model, n = twins.read_model, Numbering()
    account_id = uuid.uuid4()
    produced: list[OrderLogEntry] = []
    for _ in range(3):
        sub = n(submitted(account_id, qty=10))
        produced += await model.apply(sub)
        produced += await model.apply(n(filled(sub, cum_qty=10, avg_price="150.25")))
    assert len(produced) == 9  # six events: three submissions, three fills of two entries each

    # a limit counts events: a page never ends between a fill and its order
    assert [(e.seq, e.kind) for e in await model.log_since(account_id, 0, limit=2)] == [
        (1, "order"),
        (2, "fill"),
        (2, "order"),
    ]
    pages, after = [], 0
    while page := await model.log_since(account_id, after, limit=2):
        pages.append(page)
        after = page[-1].seq
    assert [e for page in pages for e in page] == produced
    assert [len({e.seq for e in page}) for page in pages] == [2, 2, 2]


async def test_get_is_scoped_to_the_account(twins: OrderTwins) -> None:
    sub = Numbering()(submitted(uuid.uuid4()))
    await twins.read_model.apply(sub)
    assert await twins.read_model.get(uuid.uuid4(), sub.order_id) is None
    view = await twins.read_model.get(sub.account_id, sub.order_id)
    assert view is not None and view.client_order_id == sub.client_order_id


async def test_apply_many_equals_apply_one_by_one_and_is_idempotent(twins: OrderTwins) -> None:
    """One poll's events of two accounts in one call (issue 15): the entries, the views and the
    stream logs are those of one ``apply`` per event, and the batch again changes nothing."""
    model, n = twins.read_model, Numbering()
    alice, bob = uuid.uuid4(), uuid.uuid4()
    a_sub, b_sub = n(submitted(alice, qty=10)), n(submitted(bob, qty=5))
    a_ack, b_ack = n(accepted(a_sub)), n(accepted(b_sub))
    a_fill, b_fill = n(filled(a_sub, cum_qty=10, avg_price="150.10")), n(filled(b_sub, cum_qty=2, avg_price="99"))
    poll = [a_sub, b_sub, a_ack, b_ack, a_fill, b_fill]

    entries = await model.apply_many(poll)
    assert [(e.account_id, e.seq, e.kind) for e in entries] == [
        (alice, 1, "order"),
        (bob, 1, "order"),
        (alice, 2, "order"),
        (bob, 2, "order"),
        (alice, 3, "fill"),
        (alice, 3, "order"),
        (bob, 3, "fill"),
        (bob, 3, "order"),
    ]
    assert await model.apply_many(poll) == entries  # redelivered: the same entries, nothing new
    a_view, b_view = await model.get(alice, a_sub.order_id), await model.get(bob, b_sub.order_id)
    assert a_view is not None and (a_view.status, a_view.filled_qty) == (OrderStatus.FILLED, 10)
    assert b_view is not None and (b_view.status, b_view.filled_qty) == (OrderStatus.PARTIALLY_FILLED, 2)
    assert await model.log_since(alice, 0) == [e for e in entries if e.account_id == alice]
    assert (model.gaps, model.misfits) == (0, 0)


async def test_a_poll_with_redeliveries_a_gap_and_misfits_equals_its_events_one_by_one(twins: OrderTwins) -> None:
    """``apply_many`` of a poll that holds everything a partition can: an event redelivered within
    the poll and one from an earlier poll, a skipped number, an event that does not fit, one
    without a number, and two orders of one account. Alice's poll goes in one call, the same
    shapes for Bob one event at a time: entries, views, logs and counters are alike."""
    model = twins.read_model

    def poll_for(account_id: uuid.UUID) -> tuple[list[OrderEvent], list[OrderEvent], OrderSubmitted, OrderSubmitted]:
        n = Numbering()
        first, second = submitted(account_id, qty=10), submitted(account_id, qty=4)
        sub = n(first)
        earlier = [sub]
        ack = n(accepted(sub))
        fill = n(filled(sub, cum_qty=10, avg_price="150.25"), skip=1)  # number 3 never comes: a gap
        events: list[OrderEvent] = [
            sub,  # redelivered from the earlier poll
            ack,
            ack,  # redelivered within the poll
            fill,
            n(rejected(sub)),  # a filled order cannot be rejected: a misfit
            sub.model_copy(update={"account_seq": None}),  # not numbered
            n(second),
            n(accepted(second)),
        ]
        return earlier, events, first, second

    alice, bob = uuid.uuid4(), uuid.uuid4()
    a_earlier, a_poll, a_first, a_second = poll_for(alice)
    b_earlier, b_poll, b_first, b_second = poll_for(bob)

    await model.apply_many(a_earlier)
    gaps, misfits = model.gaps, model.misfits
    a_entries = await model.apply_many(a_poll)
    a_counts = (model.gaps - gaps, model.misfits - misfits)

    await model.apply_many(b_earlier)
    gaps, misfits = model.gaps, model.misfits
    b_entries = [e for event in b_poll for e in await model.apply(event)]
    b_counts = (model.gaps - gaps, model.misfits - misfits)

    def shape(entries: list[OrderLogEntry]) -> list[tuple[int, int, str]]:
        return [(e.seq, e.part, e.kind) for e in entries]

    assert shape(a_entries) == shape(b_entries)
    assert a_counts == b_counts == (1, 2)
    assert shape(await model.log_since(alice, 0)) == shape(await model.log_since(bob, 0))
    for a_order, b_order in ((a_first, b_first), (a_second, b_second)):
        a_view, b_view = await model.get(alice, a_order.order_id), await model.get(bob, b_order.order_id)
        assert a_view is not None and b_view is not None
        assert (a_view.status, a_view.filled_qty, a_view.order_seq) == (
            b_view.status,
            b_view.filled_qty,
            b_view.order_seq,
        )
    assert await model.apply_many(a_poll) == [e for e in a_entries]  # the whole poll again: nothing new
