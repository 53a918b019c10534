"""The position service on memory twins: a fill updates the view, announces ``position.updated``
in the envelope and tells the owner's stream; a redelivery changes nothing and repeats the same
announcement; the update lag is recorded; other events are ignored."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.notifier import MemoryNotifier
from tradewind.adapters.aws.memory.positions import MemoryPositionStore
from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.application.dead_letters import PoisonMessage
from tradewind.application.positions.service import PositionService
from tradewind.application.topics import POSITION_UPDATED
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote
from tradewind.domain.orders.events import OrderAccepted, OrderFilled
from tradewind.domain.orders.status import OrderSide


def fill(
    account_id: uuid.UUID, side: str = "buy", qty: int = 10, price: str = "100", *, seq: int | None = 1
) -> OrderFilled:
    """A fill as the OMS ledger writes it to ``order.events``: numbered (``account_seq`` = ``seq``)."""
    order_id = uuid.uuid4()
    event = OrderFilled(
        account_id=account_id,
        correlation_id=order_id,
        order_id=order_id,
        symbol="AAPL",
        occurred_at=utcnow() - timedelta(milliseconds=250),
        fill_id="E-1",
        side=OrderSide(side),
        fill_qty=qty,
        fill_price=Decimal(price),
        cum_qty=qty,
        avg_price=Decimal(price),
        leaves_qty=0,
        order_qty=qty,
        broker_order_id="B-1",
    )
    return event if seq is None else event.numbered(1, seq)  # type: ignore[return-value]


def service() -> tuple[PositionService, MemoryPositionStore, MemoryBus, list[dict[str, object]], MemoryPriceCache]:
    store, bus, notifier, prices = MemoryPositionStore(), MemoryBus(), MemoryNotifier(), MemoryPriceCache()
    seen: list[dict[str, object]] = []

    async def listener(message: dict[str, object]) -> None:
        seen.append(message)

    notifier.listen(listener)
    return PositionService(store, bus, notifier, prices), store, bus, seen, prices


async def test_a_fill_updates_the_view_announces_and_notifies_the_owner() -> None:
    positions, store, bus, seen, prices = service()
    account = uuid.uuid4()
    await prices.put(Quote("AAPL", Decimal("101"), Decimal("101"), Decimal("101"), utcnow()))
    event = fill(account)

    await positions(event)

    assert (await store.get(account, "AAPL")) is not None
    [(key, payload)] = bus.records(POSITION_UPDATED)
    update = json.loads(payload)
    assert key == str(account) and update["type"] == "position.updated" and update["qty"] == 10
    assert update["causation_id"] == str(event.event_id) and update["correlation_id"] == str(event.correlation_id)
    assert update["cost_basis"] == "1000" and update["version"] == 1
    [message] = seen
    assert message["kind"] == "position" and message["account_id"] == str(account)
    assert message["data"]["unrealized_pl"] == "10" and message["data"]["stale"] is False  # type: ignore[index]
    assert positions.lag.count == 1 and (positions.lag.percentile(99) or 0) >= 0.25


async def test_a_redelivery_changes_nothing_and_repeats_the_same_announcement() -> None:
    positions, store, bus, _, _ = service()
    account = uuid.uuid4()
    event = fill(account)

    await positions(event)
    await positions(event)

    position = await store.get(account, "AAPL")
    assert position is not None and position.qty == 10 and position.version == 1
    first, second = bus.records(POSITION_UPDATED)
    assert first == second  # same event id, same content: downstream dedupes
    assert (positions.applied, positions.duplicates, positions.lag.count) == (1, 1, 1)


async def test_a_fill_numbered_at_or_below_the_positions_last_seq_changes_nothing() -> None:
    """Fills arrive in ``account_seq`` order: a lower number is one already applied, whatever its
    event id (a replayed partition), so it is not counted again."""
    positions, store, bus, _, _ = service()
    account = uuid.uuid4()
    await positions(fill(account, qty=10, seq=3))
    await positions(fill(account, qty=5, seq=5))
    position = await store.get(account, "AAPL")
    assert position is not None and (position.qty, position.version) == (15, 2)

    await positions(fill(account, qty=7, seq=4))  # older than the last applied
    await positions(fill(account, qty=7, seq=5))  # same number, another event: still a redelivery
    position = await store.get(account, "AAPL")
    assert position is not None and (position.qty, position.version) == (15, 2)
    assert (positions.applied, positions.duplicates) == (2, 2)
    assert [json.loads(p)["qty"] for _, p in bus.records(POSITION_UPDATED)] == [10, 15, 15, 15]


async def test_sells_reduce_the_position_in_seq_order() -> None:
    positions, store, _, _, _ = service()
    account = uuid.uuid4()
    await positions(fill(account, qty=10, price="100", seq=1))
    await positions(fill(account, "sell", qty=4, price="110", seq=2))
    position = await store.get(account, "AAPL")
    assert position is not None and position.qty == 6 and position.realized_pl == Decimal("40")


async def test_an_unnumbered_fill_is_poison_and_changes_nothing() -> None:
    positions, store, bus, _, _ = service()
    account = uuid.uuid4()
    event = fill(account, seq=None)
    with pytest.raises(PoisonMessage):  # the subscriptions' policy parks it on dead_letter
        await positions(event)
    assert await store.list(account) == [] and bus.records(POSITION_UPDATED) == []
    assert positions.applied == 0


async def test_events_other_than_fills_are_ignored() -> None:
    positions, store, bus, _, _ = service()
    account = uuid.uuid4()
    order_id = uuid.uuid4()
    await positions(
        OrderAccepted(
            account_id=account, correlation_id=order_id, order_id=order_id, symbol="AAPL", broker_order_id="B"
        )
    )
    assert await store.list(account) == [] and bus.records(POSITION_UPDATED) == []


async def test_a_fill_that_can_never_apply_is_poison() -> None:
    positions, store, bus, _, _ = service()
    account = uuid.uuid4()
    with pytest.raises(PoisonMessage):
        await positions(fill(account, qty=0))
    assert await store.list(account) == [] and bus.records(POSITION_UPDATED) == []
