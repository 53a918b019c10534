"""Consumer: the gateway's execution engine (group ``execution-engine``, topic ``order.commands``).

It relies on the web's order requests: submissions, cancel and amend requests, keyed by the
account (one account's commands in the order they were given), and on nothing the OMS ledger
numbers. Each example message of the pact is fed to the real consumer path
(``order_event_handler`` around ``ExecutionEngine.handle``, over the paper broker on its own
thread) and must have its effect: a submission reaches the broker and is acknowledged, a cancel
cancels, an amend replaces, each told as a venue report on ``execution.reports`` for the
example's account and order (the engine keeps no memory of orders: the venue echoes the
account). Only then is the pact written to ``contracts/pacts/``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from pact import Pact
from pact_orders import (
    AMEND_REQUESTED,
    CANCEL_REQUESTED,
    COMMANDS,
    SUBMITTED_LIMIT,
    SUBMITTED_MARKET,
    expect,
    on_commands,
    without_numbers,
)
from pact_support import ACCOUNT_ID, ORDER_ID, message_examples, write_pact

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.execution.engine import ExecutionEngine
from tradewind.application.execution.gateway import BrokerGateway
from tradewind.application.messaging import order_event_handler
from tradewind.application.topics import DEAD_LETTER, EXECUTION_REPORTS, ORDER_COMMANDS
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote
from tradewind.domain.orders.events import parse_order_event

Eventually = Callable[..., Awaitable[Any]]
CONSUMER, PROVIDER = "tradewind-execution-engine", "tradewind-web"

#: what the consumer must do with each message: the kind of venue report it then publishes
EFFECT = {
    on_commands(SUBMITTED_MARKET): "new",
    on_commands(SUBMITTED_LIMIT): "new",
    on_commands(CANCEL_REQUESTED): "canceled",
    on_commands(AMEND_REQUESTED): "replaced",
}
#: messages the consumer has already handled when the message arrives (its state)
SEEN_BEFORE = {
    on_commands(CANCEL_REQUESTED): (on_commands(SUBMITTED_LIMIT),),
    on_commands(AMEND_REQUESTED): (on_commands(SUBMITTED_LIMIT),),
}


def engine_pact() -> Pact:
    return expect(Pact(CONSUMER, PROVIDER), COMMANDS, keep=without_numbers)


class Desk:
    """The consumer as the gateway runs it, on in-process twins."""

    def __init__(self) -> None:
        self.broker = PaperBroker(latency=0.0)
        self.bus = MemoryBus()
        self.engine = ExecutionEngine(BrokerGateway(self.broker), self.bus)
        self.handle = order_event_handler(self.engine.handle, consumer="execution-engine")

    async def start(self) -> None:
        await self.engine.start()
        price = Decimal("100.00")
        self.broker.on_quote(Quote("AAPL", price, price + Decimal("0.02"), price, utcnow()))

    def reported(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """The venue reports of ``kind`` about the example order, with their keys."""
        found = [(key, json.loads(payload)) for key, payload in self.bus.records(EXECUTION_REPORTS)]
        return [(k, r) for k, r in found if r.get("kind") == kind and r.get("order_id") == ORDER_ID]


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
        assert metadata["topic"] == ORDER_COMMANDS, f"{description}: topic {metadata['topic']} is not consumed"
        assert metadata["key"] == ACCOUNT_ID, f"{description}: key must be the account id"
        desk = await desks()
        for earlier in SEEN_BEFORE.get(description, ()):
            await desk.handle(examples[earlier][0])
        if extra_field:  # a producer of a later minor change: one more field, same version
            body = json.dumps(json.loads(body) | {"venue_hint": {"mic": "XNAS"}}).encode()
        await desk.handle(body)
        kind = EFFECT[description]

        async def effect(desk: Desk = desk, kind: str = kind) -> bool:
            return bool(desk.reported(kind))

        await eventually(effect, timeout=10, what=f"a {kind} report after {description!r}")
        assert desk.bus.records(DEAD_LETTER) == [], f"{description}: sent to dead_letter"
        [(key, report)] = desk.reported(kind)
        assert key == report["account_id"] == ACCOUNT_ID, f"{description}: the report names another account"


async def test_the_engine_acts_on_every_message_it_states_then_writes_the_pact(
    desks: Callable[[], Awaitable[Desk]], eventually: Eventually
) -> None:
    pact = engine_pact()
    examples = message_examples(pact)
    assert set(examples) == set(COMMANDS)
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
