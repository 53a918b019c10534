"""The order projection on the in-memory read model: events arrive numbered by the OMS ledger, in
``account_seq`` order per account. A number already applied is a redelivery (nothing changes, the
same entries are returned), a skipped number is a gap (counted, and the event applied), an event
that does not fit the view is a misfit (counted and skipped). Then the trader's queries (list,
page, stream log)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.adapters.aws.memory.notifier import MemoryNotifier
from tradewind.adapters.aws.memory.read_model import MemoryOrderReadModel
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.application.ports import OrderLogEntry
from tradewind.application.projections.order_projection import OrderProjection
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.events import (
    ORDER_EVENT_TYPES,
    OrderAccepted,
    OrderAmendRequested,
    OrderBrokerUnavailable,
    OrderCanceled,
    OrderCancelRejected,
    OrderCancelRequested,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderReplaceRejected,
    OrderSubmitted,
    OrderUnknown,
)
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderStatus, OrderType, TimeInForce

S = OrderStatus
ALICE, BOB = uuid.uuid4(), uuid.uuid4()
T0 = utcnow()


class Numbering:
    """What the OMS ledger does to each event it writes: ``order_seq`` per order, ``account_seq``
    gap-free per account, in the order written."""

    def __init__(self) -> None:
        self.order_seqs: dict[uuid.UUID, int] = {}
        self.account_seqs: dict[uuid.UUID, int] = {}

    def __call__(self, event: OrderEvent) -> OrderEvent:
        order_seq = self.order_seqs[event.order_id] = self.order_seqs.get(event.order_id, 0) + 1
        account_seq = self.account_seqs[event.account_id] = self.account_seqs.get(event.account_id, 0) + 1
        return event.numbered(order_seq, account_seq)


class Pipeline:
    def __init__(self) -> None:
        self.store = MemoryStore()
        self.read_model = MemoryOrderReadModel(self.store)
        self.notifier = MemoryNotifier()
        self.notified: list[dict[str, Any]] = []
        self.notifier.listen(self._heard)
        self.project = OrderProjection(self.read_model, self.notifier)
        self.number = Numbering()

    async def _heard(self, message: dict[str, Any]) -> None:
        self.notified.append(message)

    async def deliver(self, *events: OrderEvent) -> list[OrderEvent]:
        """Number each event as the ledger would, then deliver it; returns the numbered events."""
        numbered = [self.number(event) for event in events]
        for event in numbered:
            await self.project(event)
        return numbered

    async def redeliver(self, *events: OrderEvent) -> None:
        for event in events:
            await self.project(event)

    def log(self, account: uuid.UUID = ALICE) -> list[OrderLogEntry]:
        return list(self.store.log.get(account, []))

    async def view(self, order_id: uuid.UUID, account: uuid.UUID = ALICE) -> Order:
        view = await self.read_model.get(account, order_id)
        assert view is not None
        return view


class Script:
    """Events of one order, built with the same envelope."""

    def __init__(self, account: uuid.UUID = ALICE, qty: int = 100, minutes: int = 0) -> None:
        self.order_id = uuid.uuid4()
        self.account = account
        self.qty = qty
        self.created = T0 + timedelta(minutes=minutes)
        self.correlation = uuid.uuid4()

    @classmethod
    def of(cls, order: Order) -> Script:
        script = cls(order.account_id, order.qty)
        script.order_id, script.created, script.correlation = order.id, order.created_at, order.correlation_id
        return script

    def _env(self, at: int) -> dict[str, Any]:
        return {
            "correlation_id": self.correlation,
            "account_id": self.account,
            "order_id": self.order_id,
            "symbol": "AAPL",
            "occurred_at": self.created + timedelta(seconds=at),
        }

    def submitted(self) -> OrderSubmitted:
        return OrderSubmitted(
            **self._env(0),
            client_order_id=f"c-{self.order_id.hex[:8]}",
            side=OrderSide.BUY,
            qty=self.qty,
            order_type=OrderType.LIMIT,
            time_in_force=TimeInForce.GTC,
            limit_price=Decimal("100"),
            created_at=self.created,
        )

    def accepted(self) -> OrderAccepted:
        return OrderAccepted(**self._env(1), broker_order_id="P-1")

    def filled(self, cum: int, avg: str, last: int | None = None) -> OrderFilled:
        return OrderFilled(
            **self._env(2 + cum),
            fill_id=f"f-{cum}",
            side=OrderSide.BUY,
            fill_qty=cum if last is None else last,
            fill_price=Decimal(avg),
            cum_qty=cum,
            avg_price=Decimal(avg),
            leaves_qty=self.qty - cum,
            order_qty=self.qty,
            broker_order_id="P-1",
        )

    def cancel_requested(self) -> OrderCancelRequested:
        return OrderCancelRequested(**self._env(3))

    def amend_requested(self) -> OrderAmendRequested:
        return OrderAmendRequested(**self._env(3), qty=150)

    def replaced(self) -> OrderReplaced:
        return OrderReplaced(**self._env(4), qty=150, limit_price=Decimal("101"))

    def canceled(self) -> OrderCanceled:
        return OrderCanceled(**self._env(5), reason="user")

    def rejected(self) -> OrderRejected:
        return OrderRejected(**self._env(1), reason="venue closed")

    def expired(self) -> OrderExpired:
        return OrderExpired(**self._env(5), reason="day order expired")

    def unknown(self) -> OrderUnknown:
        return OrderUnknown(**self._env(1), reason="no answer")

    def broker_unavailable(self) -> OrderBrokerUnavailable:
        return OrderBrokerUnavailable(**self._env(1), reason="broker down")

    def cancel_rejected(self) -> OrderCancelRejected:
        return OrderCancelRejected(**self._env(4), reason="too late to cancel")

    def replace_rejected(self) -> OrderReplaceRejected:
        return OrderReplaceRejected(**self._env(4), reason="venue refused")


# event type -> (events before it, the event, the status it leads to)
CASES = {
    "order.submitted": (lambda s: [], lambda s: s.submitted(), S.PENDING),
    "order.accepted": (lambda s: [s.submitted()], lambda s: s.accepted(), S.ACCEPTED),
    "order.filled": (lambda s: [s.submitted(), s.accepted()], lambda s: s.filled(60, "99.5"), S.PARTIALLY_FILLED),
    "order.cancel_requested": (
        lambda s: [s.submitted(), s.accepted()],
        lambda s: s.cancel_requested(),
        S.PENDING_CANCEL,
    ),
    "order.amend_requested": (
        lambda s: [s.submitted(), s.accepted()],
        lambda s: s.amend_requested(),
        S.PENDING_REPLACE,
    ),
    "order.replaced": (
        lambda s: [s.submitted(), s.accepted(), s.amend_requested()],
        lambda s: s.replaced(),
        S.ACCEPTED,
    ),
    "order.cancel_rejected": (
        lambda s: [s.submitted(), s.accepted(), s.cancel_requested()],
        lambda s: s.cancel_rejected(),
        S.ACCEPTED,
    ),
    "order.replace_rejected": (
        lambda s: [s.submitted(), s.accepted(), s.amend_requested()],
        lambda s: s.replace_rejected(),
        S.ACCEPTED,
    ),
    "order.canceled": (lambda s: [s.submitted(), s.accepted()], lambda s: s.canceled(), S.CANCELED),
    "order.rejected": (lambda s: [s.submitted()], lambda s: s.rejected(), S.REJECTED),
    "order.expired": (lambda s: [s.submitted(), s.accepted()], lambda s: s.expired(), S.EXPIRED),
    "order.unknown": (lambda s: [s.submitted()], lambda s: s.unknown(), S.UNKNOWN),
    "order.broker_unavailable": (lambda s: [s.submitted()], lambda s: s.broker_unavailable(), S.BROKER_UNAVAILABLE),
}


def test_every_event_type_has_a_redelivery_case() -> None:
    assert set(CASES) == ORDER_EVENT_TYPES


@pytest.mark.parametrize("event_type", sorted(CASES))
async def test_an_event_delivered_twice_is_applied_once(event_type: str) -> None:
    before, make, status = CASES[event_type]
    script, p = Script(), Pipeline()
    await p.deliver(*before(script))
    log_before = len(p.log())

    [event] = await p.deliver(make(script))
    view = await p.view(script.order_id)
    assert view.status is status and view.order_seq == event.order_seq
    first_log = p.log()
    made = first_log[log_before:]
    assert made and {e.seq for e in made} == {event.account_seq}
    heard = len(p.notified)

    await p.redeliver(event)
    assert p.log() == first_log
    assert await p.view(script.order_id) == view
    assert await p.read_model.apply(event) == made  # the same entries, with the same seq
    assert [m["seq"] for m in p.notified[heard:]] == [e.seq for e in made]  # announced again, same seq
    assert (p.read_model.gaps, p.read_model.misfits) == (0, 0)


async def test_a_redelivered_fill_is_one_fill_entry() -> None:
    script, p = Script(), Pipeline()
    _, _, fill = await p.deliver(script.submitted(), script.accepted(), script.filled(100, "99.5"))
    await p.redeliver(fill, fill)
    fills = [e for e in p.log() if e.kind == "fill"]
    assert len(fills) == 1 and fills[0].data["qty"] == 100 and fills[0].data["price"] == "99.5"
    view = await p.view(script.order_id)
    assert (view.status, view.filled_qty, view.filled_avg_price) == (S.FILLED, 100, Decimal("99.5"))


async def test_an_older_event_redelivered_after_later_ones_changes_nothing() -> None:
    """Kafka rewinds a partition after a rebalance: what was applied is not applied again, even
    when it would still fit (an accepted after a partial fill would be a legal move)."""
    script, p = Script(), Pipeline()
    submitted, accepted, fill = await p.deliver(script.submitted(), script.accepted(), script.filled(60, "99"))
    view, log = await p.view(script.order_id), p.log()
    assert await p.read_model.apply(accepted) == [e for e in log if e.seq == accepted.account_seq]
    await p.redeliver(submitted, accepted)
    assert await p.view(script.order_id) == view and p.log() == log
    assert p.store.view_progress[ALICE] == fill.account_seq


async def test_the_same_number_is_a_redelivery_whatever_the_event() -> None:
    """Dedupe is by ``account_seq``, not by event id: the ledger never gives one number twice."""
    script, p = Script(), Pipeline()
    _, accepted = await p.deliver(script.submitted(), script.accepted())
    view = await p.view(script.order_id)
    impostor = script.canceled().numbered(3, accepted.account_seq or 0)
    assert await p.read_model.apply(impostor) == [e for e in p.log() if e.seq == accepted.account_seq]
    assert await p.view(script.order_id) == view and view.status is S.ACCEPTED


async def test_a_gap_is_counted_and_the_event_applied() -> None:
    script, p = Script(), Pipeline()
    await p.deliver(script.submitted())
    p.number(script.accepted())  # numbered by the ledger, lost on the way
    [fill] = await p.deliver(script.filled(60, "99"))
    assert p.read_model.gaps == 1 and p.read_model.misfits == 0
    view = await p.view(script.order_id)
    assert (view.status, view.filled_qty) == (S.PARTIALLY_FILLED, 60)  # pending -> partially_filled is legal
    assert [e.seq for e in p.log()] == [1, 3, 3] and p.store.view_progress[ALICE] == fill.account_seq


async def test_gaps_are_per_account() -> None:
    mine, theirs, p = Script(), Script(account=BOB), Pipeline()
    await p.deliver(mine.submitted(), theirs.submitted(), mine.accepted(), theirs.accepted())
    assert p.read_model.gaps == 0
    assert (p.store.view_progress[ALICE], p.store.view_progress[BOB]) == (2, 2)


async def test_an_event_for_an_order_the_view_does_not_have_is_a_misfit_and_skipped() -> None:
    script, p = Script(), Pipeline()
    [accepted] = await p.deliver(script.accepted())
    assert p.read_model.misfits == 1 and p.read_model.gaps == 0
    assert p.store.views == {} and p.log() == [] and p.notified == []
    assert await p.read_model.apply(accepted) == []  # redelivered: still nothing, not counted again
    assert p.read_model.misfits == 1


async def test_an_event_that_does_not_fit_the_view_is_a_misfit_and_the_next_ones_still_apply() -> None:
    script, p = Script(), Pipeline()
    await p.deliver(script.submitted(), script.filled(100, "99"))
    view = await p.view(script.order_id)
    await p.deliver(script.canceled())  # a cancel of a filled order: not in the table
    assert p.read_model.misfits == 1 and await p.view(script.order_id) == view
    other = Script()
    await p.deliver(other.submitted())
    assert (await p.view(other.order_id)).status is S.PENDING and p.read_model.gaps == 0


async def test_an_unnumbered_event_is_a_misfit() -> None:
    script, p = Script(), Pipeline()
    await p.project(script.submitted())  # not written by the ledger
    assert p.read_model.misfits == 1 and p.store.views == {} and p.notified == []


async def test_a_fill_after_cancel_is_counted_and_the_order_stays_canceled() -> None:
    script, p = Script(), Pipeline()
    await p.deliver(script.submitted(), script.accepted(), script.canceled(), script.filled(40, "99"))
    view = await p.view(script.order_id)
    assert (view.status, view.filled_qty) == (S.CANCELED, 40)
    assert [e.kind for e in p.log()][-2:] == ["fill", "order"]
    await p.deliver(script.filled(100, "99", last=60))
    assert (await p.view(script.order_id)).status is S.FILLED


async def test_a_fill_then_its_order_share_the_events_seq() -> None:
    script, p = Script(), Pipeline()
    *_, fill = await p.deliver(script.submitted(), script.accepted(), script.filled(60, "99"))
    entries = [e for e in p.log() if e.seq == fill.account_seq]
    assert [(e.kind, e.part) for e in entries] == [("fill", 0), ("order", 1)]
    assert entries[1].data["status"] == "partially_filled" and entries[0].data["cum_qty"] == 60
    assert [(m["kind"], m["seq"]) for m in p.notified[-2:]] == [("fill", fill.account_seq), ("order", fill.account_seq)]


# -- redelivery of any prefix, at any point, gives the in-order view ----------------------------------


@settings(max_examples=150, deadline=None, database=None)
@given(
    sizes=st.lists(st.integers(1, 50), min_size=1, max_size=5),
    rewinds=st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), max_size=5),
    cancel_at=st.none() | st.integers(0, 5),
)
async def test_kafka_rewinds_never_change_the_view_or_the_log(
    sizes: list[int], rewinds: list[tuple[int, int]], cancel_at: int | None
) -> None:
    """The ledger's events of one order, delivered in order, with the consumer rewound any number
    of times (after a crash or a rebalance it reads again from an older offset): the view and the
    stream log are exactly those of one in-order delivery."""
    script = Script(qty=sum(sizes))
    events: list[OrderEvent] = [script.submitted(), script.accepted()]
    cum = 0
    for i, size in enumerate(sizes):
        if cancel_at == i:
            events.append(script.canceled())
        cum += size
        events.append(script.filled(cum, str(99 + i), last=size))
    numbering = Numbering()
    numbered = [numbering(e) for e in events]

    in_order = Pipeline()
    await in_order.redeliver(*numbered)
    expected = await in_order.view(script.order_id)
    assert expected.filled_qty == sum(sizes) and expected.status is S.FILLED

    delivery: list[OrderEvent] = []
    position = 0
    for upto, back in sorted(rewinds):
        upto = min(upto, len(numbered))
        delivery += numbered[position:upto] if upto > position else []
        position = max(position, upto)
        position_back = max(position - back, 0)
        delivery += numbered[position_back:position]  # the rewind: these come again
    delivery += numbered[position:]

    p = Pipeline()
    await p.redeliver(*delivery)
    assert await p.view(script.order_id) == expected
    assert p.log() == in_order.log()
    assert (p.read_model.gaps, p.read_model.misfits) == (0, 0)
    assert [m["seq"] for m in p.notified if m["kind"] == "order"][-1] == numbered[-1].account_seq


# -- queries -------------------------------------------------------------------------------------


async def seed_book(p: Pipeline) -> dict[str, list[uuid.UUID]]:
    """Alice: three open and three closed orders, one a minute; Bob: one open order."""
    ids: dict[str, list[uuid.UUID]] = {"open": [], "closed": [], "all": []}
    for minute in range(6):
        script = Script(minutes=minute)
        await p.deliver(script.submitted(), script.accepted())
        if minute % 2:
            await p.deliver(script.filled(100, "99"))
        ids["closed" if minute % 2 else "open"].append(script.order_id)
        ids["all"].append(script.order_id)
    bob = Script(account=BOB, minutes=10)
    await p.deliver(bob.submitted())
    ids["bob"] = [bob.order_id]
    for kind in ("open", "closed", "all"):
        ids[kind].reverse()  # newest first
    return ids


@pytest.mark.parametrize("status", ["open", "closed", "all"])
async def test_list_orders_filters_by_status_newest_first_and_only_mine(status: str) -> None:
    p = Pipeline()
    ids = await seed_book(p)
    page = await p.read_model.list_orders(ALICE, status=status)
    assert [o.id for o in page.orders] == ids[status]
    assert page.next_after is None


async def test_pages_with_after_walk_the_whole_list_once() -> None:
    p = Pipeline()
    ids = await seed_book(p)
    seen: list[uuid.UUID] = []
    after: str | None = None
    while True:
        page = await p.read_model.list_orders(ALICE, limit=4, after=after)
        assert len(page.orders) <= 4
        seen += [o.id for o in page.orders]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == ids["all"]


async def test_a_page_cursor_survives_its_order_changing_status() -> None:
    """The cursor is a place in the list, like the PostgreSQL twin's keyset: if the order it
    names closes between two pages of open orders, the next page still holds the older ones."""
    p = Pipeline()
    ids = await seed_book(p)
    first = await p.read_model.list_orders(ALICE, status="open", limit=1)
    assert [o.id for o in first.orders] == ids["open"][:1] and first.next_after == str(ids["open"][0])
    await p.deliver(Script.of(await p.view(ids["open"][0])).filled(100, "99"))  # the cursor's order closes
    second = await p.read_model.list_orders(ALICE, status="open", limit=5, after=first.next_after)
    assert [o.id for o in second.orders] == ids["open"][1:]


async def test_an_unknown_or_malformed_cursor_gives_an_empty_page() -> None:
    p = Pipeline()
    await seed_book(p)
    for after in (str(uuid.uuid4()), "not-a-uuid"):
        page = await p.read_model.list_orders(ALICE, after=after)
        assert page.orders == [] and page.next_after is None


async def test_log_since_returns_later_entries_of_that_account_only() -> None:
    p = Pipeline()
    mine, theirs = Script(), Script(account=BOB)
    await p.deliver(mine.submitted(), theirs.submitted(), mine.accepted(), theirs.accepted(), mine.filled(100, "99"))
    all_mine = await p.read_model.log_since(ALICE, 0)
    assert [e.account_id for e in all_mine] == [ALICE] * len(all_mine)
    assert [e.kind for e in all_mine] == ["order", "order", "fill", "order"]
    assert [e.seq for e in all_mine] == [1, 2, 3, 3]  # the account's own numbers
    later = await p.read_model.log_since(ALICE, all_mine[0].seq)
    assert later == all_mine[1:]
    assert await p.read_model.log_since(ALICE, all_mine[-1].seq) == []
    assert [e.data["status"] for e in await p.read_model.log_since(BOB, 0)] == ["pending", "accepted"]


async def test_log_since_pages_by_whole_events() -> None:
    """``limit`` counts events, not entries: a page never ends between a fill and its order, and
    paging on with the last entry's seq walks the whole log once, however long it is."""
    script, p = Script(qty=1000), Pipeline()
    await p.deliver(script.submitted(), script.accepted())
    for cum in range(100, 1001, 100):
        await p.deliver(script.filled(cum, "99", last=100))  # 10 fills: two entries each
    everything = await p.read_model.log_since(ALICE, 0, limit=10_000)
    assert len(everything) == 2 + 2 * 10

    page = await p.read_model.log_since(ALICE, 0, limit=3)
    assert [(e.seq, e.kind) for e in page] == [(1, "order"), (2, "order"), (3, "fill"), (3, "order")]

    walked: list[OrderLogEntry] = []
    seq = 0
    while batch := await p.read_model.log_since(ALICE, seq, limit=2):
        assert len({e.seq for e in batch}) <= 2
        assert batch[-1].kind == "order"  # whole events only
        walked += batch
        seq = batch[-1].seq
    assert walked == everything
