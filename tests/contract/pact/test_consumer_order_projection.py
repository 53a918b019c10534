"""Consumer: the order read-model projection (worker, group ``order-projection``, topic ``order.events``).

It relies on the web's requests and on every outcome the OMS ledger writes, each numbered
(``order_seq``, ``account_seq``) and keyed by the account. Each example message is fed to the
real consumer path (``order_event_handler`` around ``OrderProjection`` over the read model's
in-memory twin, which passes the PostgreSQL read model's contract suite) after the messages of
the same order that come before it (``pact_orders.STORY``), then redelivered: it must move the
order view to the status the message means, once (no gap, nothing that does not fit), and tell
the live stream under the event's ``account_seq`` (the SSE id); nothing may go to
``dead_letter``. Then both pacts are written.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from pact import Pact
from pact_orders import (
    ACCEPTED,
    AMEND_REQUESTED,
    BROKER_UNAVAILABLE,
    CANCEL_REJECTED,
    CANCEL_REQUESTED,
    CANCELED,
    EXPIRED,
    FILLED,
    FROM_LEDGER,
    REJECTED,
    REPLACE_REJECTED,
    REPLACED,
    REQUESTS,
    STORY,
    SUBMITTED_LIMIT,
    SUBMITTED_MARKET,
    UNKNOWN,
    expect,
    seq_of,
)
from pact_support import ACCOUNT_ID, ORDER_ID, message_examples, write_pact

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.notifier import MemoryNotifier
from tradewind.adapters.aws.memory.read_model import MemoryOrderReadModel
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.application.messaging import order_event_handler
from tradewind.application.projections.order_projection import OrderProjection
from tradewind.application.topics import DEAD_LETTER, ORDER_EVENTS

CONSUMER = "tradewind-order-projection"

#: the status the view must have after the message (and what came before it, ``STORY``)
OUTCOME: dict[str, str] = {
    SUBMITTED_MARKET: "pending",
    SUBMITTED_LIMIT: "pending",
    CANCEL_REQUESTED: "pending_cancel",
    AMEND_REQUESTED: "pending_replace",
    ACCEPTED: "accepted",
    FILLED: "filled",
    CANCELED: "canceled",
    REPLACED: "accepted",
    CANCEL_REJECTED: "accepted",
    REPLACE_REJECTED: "accepted",
    REJECTED: "rejected",
    EXPIRED: "expired",
    UNKNOWN: "unknown",
    BROKER_UNAVAILABLE: "broker_unavailable",
}


def projection_pacts() -> dict[str, Pact]:
    return {
        "tradewind-web": expect(Pact(CONSUMER, "tradewind-web"), REQUESTS),
        "tradewind-oms-ledger": expect(Pact(CONSUMER, "tradewind-oms-ledger"), FROM_LEDGER),
    }


class Projection:
    """The consumer as the worker runs it, on in-process twins, recording its notifications."""

    def __init__(self) -> None:
        self.store = MemoryStore()
        self.read_model = MemoryOrderReadModel(self.store)
        self.bus = MemoryBus()
        self.notified: list[dict[str, object]] = []
        notifier = MemoryNotifier()

        async def record(message: dict[str, object]) -> None:
            self.notified.append(message)

        notifier.listen(record)
        self.handle = order_event_handler(OrderProjection(self.read_model, notifier), consumer="order-projection")


async def project_all(examples: dict[str, tuple[bytes, dict[str, Any]]], *, extra_field: bool = False) -> None:
    for description, (body, metadata) in examples.items():
        assert metadata["topic"] == ORDER_EVENTS, f"{description}: topic {metadata['topic']} is not consumed"
        assert metadata["key"] == ACCOUNT_ID, f"{description}: key must be the account id"
        projection = Projection()
        for earlier in STORY[description]:
            await projection.handle(examples[earlier][0])
        if extra_field:  # a producer of a later minor change: one more field, same version
            body = json.dumps(json.loads(body) | {"venue_hint": {"mic": "XNAS"}}).encode()
        projection.notified.clear()
        await projection.handle(body)
        await projection.handle(body)  # a redelivery changes nothing
        assert projection.bus.records(DEAD_LETTER) == [], f"{description}: sent to dead_letter"
        assert (projection.read_model.gaps, projection.read_model.misfits) == (0, 0), description
        view = await projection.read_model.get(uuid.UUID(ACCOUNT_ID), uuid.UUID(ORDER_ID))
        status = OUTCOME[description]
        assert view is not None and view.status.value == status, f"{description}: view is {view and view.status}"
        assert view.order_seq == seq_of(description), description
        kinds = [m["kind"] for m in projection.notified]
        assert "order" in kinds, f"{description}: the live stream was not told"
        assert {m["seq"] for m in projection.notified} == {seq_of(description)}, f"{description}: not under its number"
        log = await projection.read_model.log_since(uuid.UUID(ACCOUNT_ID), 0)
        assert [e.seq for e in log] == sorted(e.seq for e in log) and log[-1].seq == seq_of(description)
        if description == FILLED:
            assert kinds.count("fill") == 2 and view.filled_avg_price == Decimal("100.02")  # twice: redelivered
        if description == REPLACED:
            assert (view.qty, view.limit_price) == (20, Decimal("99.75"))


async def test_the_projection_applies_every_message_it_states_then_writes_the_pacts() -> None:
    pacts = projection_pacts()
    examples = {d: m for pact in pacts.values() for d, m in message_examples(pact).items()}
    assert set(examples) == set(OUTCOME)
    await project_all(examples)
    for pact in pacts.values():
        write_pact(pact)


async def test_an_unknown_extra_field_is_tolerated() -> None:
    """Schema evolution: within ``schema_version`` 1 a producer may add fields; the consumer
    ignores them and projects exactly as before."""
    pacts = projection_pacts()
    await project_all({d: m for pact in pacts.values() for d, m in message_examples(pact).items()}, extra_field=True)
