"""Consumer: the position service (worker, group ``positions``, topic ``order.events``).

It relies on the OMS ledger's fills, numbered: the position applies a fill once by its
``account_seq`` (a fill without one is refused). The example fill is fed to the real consumer
path (``order_event_handler`` around ``PositionService`` over the positions view's in-memory
twin), twice, as Kafka may redeliver it: the position must count it once, and
``position.updated`` and the owner's live update must go out. Without its number the same fill
is parked in ``dead_letter`` and moves nothing. Then the pact is written.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from pact import Pact
from pact_orders import FILLED, expect
from pact_support import ACCOUNT_ID, message_examples, write_pact

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.notifier import MemoryNotifier
from tradewind.adapters.aws.memory.positions import MemoryPositionStore
from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.application.dead_letters import PoisonMessage
from tradewind.application.messaging import order_event_handler
from tradewind.application.positions.service import PositionService
from tradewind.application.topics import DEAD_LETTER, ORDER_EVENTS, POSITION_UPDATED

CONSUMER = "tradewind-position-service"


def position_pact() -> Pact:
    return expect(Pact(CONSUMER, "tradewind-oms-ledger"), (FILLED,))


async def apply(body: bytes) -> tuple[MemoryPositionStore, MemoryBus, list[dict[str, Any]]]:
    store, bus, notifier = MemoryPositionStore(), MemoryBus(), MemoryNotifier()
    notified: list[dict[str, Any]] = []

    async def record(message: dict[str, Any]) -> None:
        notified.append(message)

    notifier.listen(record)
    handle = order_event_handler(
        PositionService(store=store, publisher=bus, notifier=notifier, prices=MemoryPriceCache()),
        consumer="positions",
    )
    await handle(body)
    await handle(body)  # redelivered
    return store, bus, notified


async def check(body: bytes) -> None:
    store, bus, notified = await apply(body)
    assert bus.records(DEAD_LETTER) == []
    position = await store.get(uuid.UUID(ACCOUNT_ID), "AAPL")
    assert position is not None and position.qty == 10 and position.fills == 1  # counted once
    assert position.avg_entry_price == Decimal("100.02")
    [(key, first), (_, second)] = bus.records(POSITION_UPDATED)
    assert key == ACCOUNT_ID and json.loads(first)["event_id"] == json.loads(second)["event_id"]
    assert {m["kind"] for m in notified} == {"position"}


async def test_the_position_service_counts_the_fill_it_states_once_then_writes_the_pact() -> None:
    pact = position_pact()
    [(body, metadata)] = message_examples(pact).values()
    assert metadata["topic"] == ORDER_EVENTS and metadata["key"] == ACCOUNT_ID
    await check(body)
    write_pact(pact)


async def test_the_fill_without_its_account_seq_is_refused() -> None:
    """Why the pact pins ``account_seq``: it is what makes the fill count exactly once."""
    [(body, _)] = message_examples(position_pact()).values()
    store, bus = MemoryPositionStore(), MemoryBus()
    handle = order_event_handler(
        PositionService(store=store, publisher=bus, notifier=MemoryNotifier(), prices=MemoryPriceCache()),
        consumer="positions",
    )
    with pytest.raises(PoisonMessage):  # the subscriptions' policy parks it on dead_letter
        await handle(json.dumps(json.loads(body) | {"account_seq": None}).encode())
    assert await store.get(uuid.UUID(ACCOUNT_ID), "AAPL") is None
    assert bus.records(POSITION_UPDATED) == []


async def test_an_unknown_extra_field_is_tolerated() -> None:
    [(body, _)] = message_examples(position_pact()).values()
    await check(json.dumps(json.loads(body) | {"venue_hint": {"mic": "XNAS"}}).encode())
