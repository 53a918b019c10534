"""Decoding consumed messages: junk goes to dead_letter and the partition moves on; a handler's
own failure propagates, so the offset stays uncommitted and the message comes back."""

from __future__ import annotations

import json
import uuid

import pytest

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.application.messaging import order_event_handler
from tradewind.domain.orders.events import OrderCanceled, OrderEvent

EVENT = OrderCanceled(correlation_id=uuid.uuid4(), account_id=uuid.uuid4(), order_id=uuid.uuid4(), symbol="AAPL")


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.events: list[OrderEvent] = []
        self.fail = fail

    async def __call__(self, event: OrderEvent) -> None:
        if self.fail:
            raise ConnectionError("database down")
        self.events.append(event)


async def test_a_valid_message_reaches_the_handler_as_its_event() -> None:
    handler, dead_letter = Recorder(), MemoryBus()
    await order_event_handler(handler, dead_letter, consumer="test")(EVENT.to_json())
    assert handler.events == [EVENT] and dead_letter.records("dead_letter") == []


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"{}",
        json.dumps({"type": "order.teleported"}).encode(),
        json.dumps({**json.loads(EVENT.to_json()), "occurred_at": "2024-01-01T00:00:00"}).encode(),  # naive time
    ],
    ids=["not-json", "empty-object", "unknown-type", "naive-time"],
)
async def test_an_undecodable_message_goes_to_dead_letter(payload: bytes) -> None:
    handler, dead_letter = Recorder(), MemoryBus()
    await order_event_handler(handler, dead_letter, consumer="test")(payload)
    assert handler.events == []
    assert dead_letter.records("dead_letter") == [("test", payload)]


async def test_a_failing_handler_raises_so_the_message_is_redelivered() -> None:
    dead_letter = MemoryBus()
    with pytest.raises(ConnectionError):
        await order_event_handler(Recorder(fail=True), dead_letter, consumer="test")(EVENT.to_json())
    assert dead_letter.records("dead_letter") == []
