"""Consumer: the OMS ledger (worker, group ``oms-ledger``, topic ``execution.reports``).

It relies on the gateway's venue reports: every kind the engine publishes, keyed by the account,
naming the account and the order (the ledger looks the order up by both), with a ``report_id``
it dedupes on. Each example is fed to the real consumer path (``venue_report_handler`` around
``OrderLedger`` over the ledger's in-memory twin, which passes the PostgreSQL ledger's contract
suite) after the ledger has seen what comes before it (``pact_reports.STORY``), twice, as Kafka
may redeliver it. It must be applied once, never flagged: the order moves to the status the
report means, a fill moves the ledger's position and cash, and exactly one numbered order event
(its event id the report id) goes to the outbox for ``order.events``. Then the pact is written.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from pact import Pact
from pact_reports import (
    FROM_GATEWAY,
    KIND,
    REPORT_BROKER_UNAVAILABLE,
    REPORT_CANCEL_REJECTED,
    REPORT_CANCELED,
    REPORT_CANCELED_BEFORE_BROKER,
    REPORT_EXPIRED,
    REPORT_FILL,
    REPORT_NEW,
    REPORT_RECONCILED_FILL,
    REPORT_REJECTED,
    REPORT_REPLACE_REJECTED,
    REPORT_REPLACED,
    REPORT_UNKNOWN,
    STORY,
    expect_reports,
)
from pact_support import ACCOUNT_ID, ORDER_ID, message_examples, write_pact

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.orders import MemoryUnitOfWork
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.application.messaging import venue_report_handler
from tradewind.application.orders.ledger import OrderLedger
from tradewind.application.orders.sequencing import number_events
from tradewind.application.topics import DEAD_LETTER, EXECUTION_REPORTS, ORDER_EVENTS
from tradewind.domain.accounts import Account
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.commands import AmendOrder, CancelOrder, PlaceOrder
from tradewind.domain.orders.events import parse_order_event
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.reports import parse_venue_report
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

CONSUMER, PROVIDER = "tradewind-oms-ledger", "tradewind-gateway"
ACCOUNT, ORDER = uuid.UUID(ACCOUNT_ID), uuid.UUID(ORDER_ID)
CASH = Decimal("100000")

#: the ledger's order after the report: status, qty, limit price
OUTCOME: dict[str, tuple[str, int, Decimal | None]] = {
    REPORT_NEW: ("accepted", 10, None),
    REPORT_FILL: ("filled", 10, None),
    REPORT_RECONCILED_FILL: ("filled", 10, None),
    REPORT_CANCELED: ("canceled", 10, Decimal("99.50")),
    REPORT_CANCELED_BEFORE_BROKER: ("canceled", 10, Decimal("99.50")),
    REPORT_REPLACED: ("accepted", 20, Decimal("99.75")),
    REPORT_CANCEL_REJECTED: ("accepted", 10, Decimal("99.50")),
    REPORT_REPLACE_REJECTED: ("accepted", 10, Decimal("99.50")),
    REPORT_REJECTED: ("rejected", 10, None),
    REPORT_EXPIRED: ("expired", 10, Decimal("99.50")),
    REPORT_UNKNOWN: ("unknown", 10, None),
    REPORT_BROKER_UNAVAILABLE: ("broker_unavailable", 10, None),
}


def ledger_pact() -> Pact:
    return expect_reports(Pact(CONSUMER, PROVIDER))


class Ledger:
    """The consumer as the worker runs it, on the ledger's in-memory twin."""

    def __init__(self) -> None:
        self.store = MemoryStore()
        self.bus = MemoryBus()
        self.ledger = OrderLedger(lambda: MemoryUnitOfWork(self.store))
        self.handle = venue_report_handler(self.ledger, consumer="oms-ledger")

    def uow(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store)

    async def open_account(self) -> None:
        async with self.uow() as uow:
            await uow.accounts.add(Account(id=ACCOUNT, name="pact-ledger", cash=CASH, created_at=utcnow()), "h")
            await uow.commit()

    async def place(self, order_type: str) -> None:
        """The example order, as the command side writes it: buy 10 AAPL, market or a limit at 99.50."""
        limit = order_type == "limit"
        cmd = PlaceOrder(
            account_id=ACCOUNT,
            symbol="AAPL",
            side=OrderSide.BUY,
            qty=10,
            order_type=OrderType.LIMIT if limit else OrderType.MARKET,
            time_in_force=TimeInForce.GTC if limit else TimeInForce.DAY,
            client_order_id="c-20260102-0001",
            limit_price=Decimal("99.50") if limit else None,
        )
        async with self.uow() as uow:
            await uow.accounts.lock(ACCOUNT)
            order = Order.submit(cmd, order_id=ORDER)
            await number_events(uow, order)
            await uow.orders.add(order)
            await uow.commit()

    async def request(self, what: str) -> None:
        """A cancel, or an amend to 20 @ 99.75, as the command side writes it."""
        async with self.uow() as uow:
            await uow.accounts.lock(ACCOUNT)
            order = await uow.orders.get(ACCOUNT, ORDER)
            assert order is not None
            if what == "cancel":
                order.request_cancel(CancelOrder(ACCOUNT, ORDER))
            else:
                order.request_amend(AmendOrder(ACCOUNT, ORDER, qty=20, limit_price=Decimal("99.75")))
            await number_events(uow, order)
            await uow.orders.save(order)
            await uow.commit()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(r.payload) for r in self.store.outbox if r.topic == ORDER_EVENTS]


async def consume_all(examples: dict[str, tuple[bytes, dict[str, Any]]], *, extra_field: bool = False) -> None:
    for description, (body, metadata) in examples.items():
        assert metadata["topic"] == EXECUTION_REPORTS, f"{description}: topic {metadata['topic']} is not consumed"
        assert metadata["key"] == ACCOUNT_ID, f"{description}: key must be the account id"
        oms = Ledger()
        await oms.open_account()
        earlier_reports = 0
        for step in STORY[description]:
            if step in ("market", "limit"):
                await oms.place(step)
            elif step in ("cancel", "amend"):
                await oms.request(step)
            else:
                await oms.handle(examples[step][0])
                earlier_reports += 1
        before = oms.events()
        if extra_field:  # a producer of a later minor change: one more field, same version
            body = json.dumps(json.loads(body) | {"venue_hint": {"mic": "XNAS"}}).encode()
        await oms.handle(body)
        await oms.handle(body)  # a redelivery changes nothing

        assert oms.bus.records(DEAD_LETTER) == [], f"{description}: sent to dead_letter"
        assert (oms.ledger.applied, oms.ledger.flagged, oms.ledger.duplicates) == (earlier_reports + 1, 0, 1), (
            description
        )
        report = parse_venue_report(body)
        [event] = oms.events()[len(before) :]  # one order event, once
        _, event_type = KIND[description]
        assert (event["type"], event["event_id"]) == (event_type, str(report.report_id)), description
        assert (event["account_id"], event["order_id"]) == (ACCOUNT_ID, ORDER_ID), description
        assert (event["order_seq"], event["account_seq"]) == (len(before) + 1, len(before) + 1), description
        parse_order_event(json.dumps(event))
        async with oms.uow() as uow:
            order = await uow.orders.get(ACCOUNT, ORDER)
            exposure = await uow.orders.exposure(ACCOUNT)
            assert report.report_id in await uow.reports.seen_many([report.report_id])
        status, qty, limit = OUTCOME[description]
        assert order is not None and (order.status.value, order.qty, order.limit_price) == (status, qty, limit), (
            description,
            order,
        )
        if report.kind.value == "fill":
            assert order.filled_qty == 10 and order.filled_avg_price == Decimal("100.02"), description
            assert exposure.positions == {"AAPL": 10} and exposure.cash == CASH - 10 * Decimal("100.02"), description
        else:
            assert (exposure.positions, exposure.cash) == ({}, CASH), description


async def test_the_ledger_applies_every_report_it_states_once_then_writes_the_pact() -> None:
    pact = ledger_pact()
    examples = message_examples(pact)
    assert set(examples) == set(FROM_GATEWAY)
    for body, _ in examples.values():
        parse_venue_report(body)  # the consumer's own decoder reads every example
    await consume_all(examples)
    write_pact(pact)


async def test_an_unknown_extra_field_is_tolerated() -> None:
    """Schema evolution: within ``schema_version`` 1 a producer may add fields; the consumer
    ignores them and applies exactly as before."""
    await consume_all(message_examples(ledger_pact()), extra_field=True)
