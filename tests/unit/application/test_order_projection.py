"""The order projection on the in-memory read model: each event applied once however often it is
delivered, any delivery order converging, and the trader's queries (list, page, stream log)."""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.notifier import MemoryNotifier
from tradewind.adapters.aws.memory.read_model import MemoryOrderReadModel
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.application.projections.order_projection import OrderProjection
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.events import (
    ORDER_EVENT_TYPES,
    OrderAccepted,
    OrderAmendRequested,
    OrderBrokerUnavailable,
    OrderCanceled,
    OrderCancelRequested,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderSubmitted,
    OrderUnknown,
)
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderStatus, OrderType, TimeInForce

S = OrderStatus
ALICE, BOB = uuid.uuid4(), uuid.uuid4()
T0 = utcnow()


class Pipeline:
    def __init__(self) -> None:
        self.store = MemoryStore()
        self.read_model = MemoryOrderReadModel(self.store)
        self.notifier = MemoryNotifier()
        self.dead_letter = MemoryBus()
        self.notified: list[dict[str, Any]] = []
        self.notifier.listen(self._heard)
        self.project = OrderProjection(self.read_model, self.notifier, self.dead_letter)

    async def _heard(self, message: dict[str, Any]) -> None:
        self.notified.append(message)

    async def deliver(self, *events: OrderEvent) -> None:
        for event in events:
            await self.project(event)

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

    def filled(self, cum: int, avg: str) -> OrderFilled:
        return OrderFilled(
            **self._env(2 + cum),
            fill_id=f"f-{cum}",
            side=OrderSide.BUY,
            fill_qty=cum,
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
    event = make(script)
    log_before = len(p.store.log)

    await p.project(event)
    view = await p.view(script.order_id)
    assert view.status is status
    first_log = list(p.store.log)
    assert len(first_log) > log_before
    first_heard = [m["seq"] for m in p.notified]

    await p.project(event)  # redelivered
    assert p.store.log == first_log
    assert await p.view(script.order_id) == view
    assert await p.read_model.apply(event) == first_log[log_before:]  # same entries, same seqs
    heard_again = [m["seq"] for m in p.notified[len(first_heard) :]]
    assert heard_again == [e.seq for e in first_log[log_before:]]  # may be re-notified, same seq


async def test_a_redelivered_fill_is_one_fill_entry() -> None:
    script, p = Script(), Pipeline()
    fill = script.filled(100, "99.5")
    await p.deliver(script.submitted(), script.accepted(), fill, fill, fill)
    fills = [e for e in p.store.log if e.kind == "fill"]
    assert len(fills) == 1 and fills[0].data["qty"] == 100 and fills[0].data["price"] == "99.5"
    view = await p.view(script.order_id)
    assert (view.status, view.filled_qty, view.filled_avg_price) == (S.FILLED, 100, Decimal("99.5"))


async def test_any_delivery_order_converges_on_the_in_order_view() -> None:
    script = Script()
    events: list[OrderEvent] = [
        script.submitted(),
        script.accepted(),
        script.filled(60, "99"),
        script.filled(100, "99.4"),
    ]
    in_order = Pipeline()
    await in_order.deliver(*events)
    expected = await in_order.view(script.order_id)
    assert (expected.status, expected.filled_qty, expected.filled_avg_price) == (S.FILLED, 100, Decimal("99.4"))

    for permutation in itertools.permutations(events):
        p = Pipeline()
        # the order row is committed before its first event is published, so a view can start
        # from it when the submission is not the first event to arrive
        p.store.orders[script.order_id] = Order.from_submitted(script.submitted())
        await p.deliver(*permutation, *permutation)
        assert await p.view(script.order_id) == expected, [e.type for e in permutation]
        assert len([e for e in p.store.log if e.kind == "fill"]) == 2


async def test_an_event_for_an_order_never_committed_goes_to_dead_letter() -> None:
    script, p = Script(), Pipeline()
    await p.deliver(script.accepted())
    [(key, payload)] = p.dead_letter.records("dead_letter")
    assert key == "order-projection"
    assert json.loads(payload)["type"] == "order.accepted"
    assert json.loads(payload)["order_id"] == str(script.order_id)
    assert p.store.views == {} and p.store.log == [] and p.notified == []


async def test_a_fill_after_cancel_shows_as_filled() -> None:
    script, p = Script(), Pipeline()
    await p.deliver(script.submitted(), script.accepted(), script.canceled(), script.filled(100, "99"))
    view = await p.view(script.order_id)
    assert (view.status, view.filled_qty) == (S.FILLED, 100)


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
    assert [e.seq for e in all_mine] == sorted(e.seq for e in all_mine)
    later = await p.read_model.log_since(ALICE, all_mine[1].seq)
    assert later == all_mine[2:]
    assert await p.read_model.log_since(ALICE, all_mine[-1].seq) == []
    assert [e.data["status"] for e in await p.read_model.log_since(BOB, 0)] == ["pending", "accepted"]
    assert len(await p.read_model.log_since(ALICE, 0, limit=2)) == 2
