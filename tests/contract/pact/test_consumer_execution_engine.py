"""Consumer: the gateway's execution engine (group ``execution-engine``, the command topics).

It relies on the web's order requests: submissions, cancel and amend requests. Each example
message of the pact is fed to the real consumer path (``order_event_handler`` around
``ExecutionEngine.handle``, over the paper broker on its own thread) and must have its effect: a
submission reaches the broker and is acknowledged, a cancel cancels, an amend replaces. Only
then is the pact written to ``contracts/pacts/``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from pact import Pact
from pact_orders import AMEND_REQUESTED, CANCEL_REQUESTED, FROM_WEB, SUBMITTED_LIMIT, SUBMITTED_MARKET, expect
from pact_support import ACCOUNT_ID, ORDER_ID, message_examples, write_pact

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.orders import MemoryOrderLookup
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.execution.engine import ExecutionEngine
from tradewind.application.execution.gateway import BrokerGateway
from tradewind.application.messaging import order_event_handler
from tradewind.application.topics import COMMAND_TOPICS, DEAD_LETTER
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote
from tradewind.domain.orders.events import parse_order_event

Eventually = Callable[..., Awaitable[Any]]
CONSUMER, PROVIDER = "tradewind-execution-engine", "tradewind-web"

#: what the consumer must do with each message: the event type it then publishes, and on which topic
EFFECT = {
    SUBMITTED_MARKET: ("order.accepted", "order.accepted"),
    SUBMITTED_LIMIT: ("order.accepted", "order.accepted"),
    CANCEL_REQUESTED: ("order.canceled", "order.canceled"),
    AMEND_REQUESTED: ("order.amended", "order.replaced"),
}
#: messages the consumer has already handled when the message arrives (its state)
SEEN_BEFORE = {CANCEL_REQUESTED: (SUBMITTED_LIMIT,), AMEND_REQUESTED: (SUBMITTED_LIMIT,)}


def engine_pact() -> Pact:
    return expect(Pact(CONSUMER, PROVIDER), FROM_WEB)


class Desk:
    """The consumer as the gateway runs it, on in-process twins."""

    def __init__(self) -> None:
        self.broker = PaperBroker(latency=0.0)
        self.bus = MemoryBus()
        self.engine = ExecutionEngine(BrokerGateway(self.broker), self.bus, MemoryOrderLookup(MemoryStore()))
        self.handle = order_event_handler(self.engine.handle, self.bus, consumer="execution-engine")

    async def start(self) -> None:
        await self.engine.start()
        price = Decimal("100.00")
        self.broker.on_quote(Quote("AAPL", price, price + Decimal("0.02"), price, utcnow()))

    def published(self, topic: str, event_type: str) -> list[dict[str, Any]]:
        found = [json.loads(payload) for _, payload in self.bus.records(topic)]
        return [e for e in found if e.get("type") == event_type and e.get("order_id") == ORDER_ID]


@pytest.fixture
async def desks() -> AsyncIterator[Callable[[], Awaitable[Desk]]]:
    started: list[Desk] = []

    async def start() -> Desk:
        desk = Desk()
        await desk.start()
        started.append(desk)
        return desk

    yield start
    for desk in started:
        await desk.engine.stop()


async def consume_all(
    examples: dict[str, tuple[bytes, dict[str, Any]]],
    desks: Callable[[], Awaitable[Desk]],
    eventually: Eventually,
    *,
    extra_field: bool = False,
) -> None:
    for description, (body, metadata) in examples.items():
        assert metadata["topic"] in COMMAND_TOPICS, f"{description}: topic {metadata['topic']} is not consumed"
        assert metadata["key"] == ACCOUNT_ID, f"{description}: key must be the account id"
        desk = await desks()
        for earlier in SEEN_BEFORE.get(description, ()):
            await desk.handle(examples[earlier][0])
        if extra_field:  # a producer of a later minor change: one more field, same version
            body = json.dumps(json.loads(body) | {"venue_hint": {"mic": "XNAS"}}).encode()
        await desk.handle(body)
        topic, event_type = EFFECT[description]

        async def effect(desk: Desk = desk, topic: str = topic, event_type: str = event_type) -> bool:
            return bool(desk.published(topic, event_type))

        await eventually(effect, timeout=10, what=f"{event_type} after {description!r}")
        assert desk.bus.records(DEAD_LETTER) == [], f"{description}: sent to dead_letter"


async def test_the_engine_acts_on_every_message_it_states_then_writes_the_pact(
    desks: Callable[[], Awaitable[Desk]], eventually: Eventually
) -> None:
    pact = engine_pact()
    examples = message_examples(pact)
    assert set(examples) == set(FROM_WEB)
    for body, _ in examples.values():
        parse_order_event(body)  # the consumer's own decoder reads every example
    await consume_all(examples, desks, eventually)
    write_pact(pact)


async def test_an_unknown_extra_field_is_tolerated(
    desks: Callable[[], Awaitable[Desk]], eventually: Eventually
) -> None:
    """Schema evolution: within ``schema_version`` 1 a producer may add fields; the consumer
    ignores them and behaves exactly as before."""
    await consume_all(message_examples(engine_pact()), desks, eventually, extra_field=True)
