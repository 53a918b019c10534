"""The order path of the ``memory`` profile, in process, each hop done by production code: the
web's use cases (the web container: place, cancel, amend, risk), the outbox relay, the gateway's
execution engine over the paper broker (its own thread) as the consumer of ``order.commands``,
and the OMS ledger as the consumer of ``execution.reports``, whose numbered events the relay
publishes to ``order.events``.

Kafka's part is played by the ``MemoryBus`` of the adapters, consumed by hand: ``commands()``
hands what the relay published on ``order.commands`` to the engine, ``reports()`` hands the
venue's reports to the ledger. So a scenario can hold a request back while the venue moves on
(a cancel that reaches the venue after the order filled). ``until`` waits for the ledger to
reach a state (polled, with a deadline): the paper broker reports on its own thread.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from pact_support import kafka_message

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.accounts.users import CreateUser
from tradewind.application.execution.broker import BrokerOrder, BrokerUnavailableError
from tradewind.application.execution.engine import ExecutionEngine
from tradewind.application.execution.gateway import BrokerGateway
from tradewind.application.messaging import order_event_handler, venue_report_handler
from tradewind.application.orders.ledger import OrderLedger
from tradewind.application.outbox_relay import OutboxRelay
from tradewind.application.topics import DEAD_LETTER, EXECUTION_REPORTS, ORDER_COMMANDS, ORDER_EVENTS
from tradewind.apps.web.main import build_container
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote
from tradewind.domain.orders.commands import AmendOrder, CancelOrder, parse_place_order
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderStatus

DEADLINE = 10.0


class OrderEntryDown(PaperBroker):
    """A venue whose order entry cannot be reached while its status queries still answer. (A
    stopped paper broker will not do: the engine asks the venue about the order before it
    submits, and that question already fails, so the command is retried instead.)"""

    def submit(self, order: BrokerOrder) -> None:
        raise BrokerUnavailableError("order entry is not reachable")


PRICES = {"AAPL": Decimal("100.00"), "MSFT": Decimal("300.00")}


class Oms:
    """Start with ``async with``; ``account_id`` is a funded account with a token (``token``)."""

    def __init__(self, *, adapters: Any | None = None, broker: PaperBroker | None = None, ack_timeout: float = 5.0):
        self.settings = Settings(profile="memory")
        self.adapters: Any = adapters or build_adapters(self.settings)
        self.web = build_container(self.settings, self.adapters)
        self.bus = self.adapters.publisher()
        self.relay = OutboxRelay(self.adapters.outbox(), self.bus)
        self.broker = broker or PaperBroker(latency=0.0)
        self.engine = ExecutionEngine(
            BrokerGateway(self.broker),
            self.bus,
            ack_timeout=ack_timeout,
            reconcile_after=3600.0,  # a scenario ends before any reconciliation would run
        )
        self.ledger = OrderLedger(self.adapters.uow)
        self._to_engine = order_event_handler(self.engine.handle, consumer="execution-engine")
        self._to_ledger = venue_report_handler(self.ledger, consumer="oms-ledger")
        self._read = {ORDER_COMMANDS: 0, EXECUTION_REPORTS: 0}
        self.account_id = uuid.UUID(int=0)
        self.token = ""

    async def __aenter__(self) -> Oms:
        await self.engine.start()
        await self.quote()
        name = f"pact-oms-{uuid.uuid4().hex[:10]}"
        created = await CreateUser(self.adapters.uow)(name, "100000", token=f"tw_{name}")
        self.account_id, self.token = created.account.id, created.token
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.engine.stop()

    async def quote(self, symbol: str = "AAPL", bid: Decimal | None = None, ask: Decimal | None = None) -> None:
        """A fresh quote for risk (every listed symbol) and for the venue (``symbol``)."""
        for sym, price in PRICES.items():
            b = bid if sym == symbol and bid is not None else price
            a = ask if sym == symbol and ask is not None else b + Decimal("0.02")
            quote = Quote(sym, b, a, (b + a) / 2, utcnow())
            await self.adapters.prices().put(quote)
            if sym == symbol:
                self.broker.on_quote(quote)

    # -- the command side (the web's use cases) -----------------------------------------------------
    async def place(self, body: dict[str, Any]) -> uuid.UUID:
        await self.quote()  # risk refuses a price older than 5 s
        placed = await self.web.place_order()(parse_place_order(self.account_id, body))
        return placed.order.id

    async def cancel(self, order_id: uuid.UUID) -> None:
        await self.web.cancel_order()(CancelOrder(self.account_id, order_id))

    async def amend(self, order_id: uuid.UUID, qty: int, limit_price: str) -> None:
        await self.quote()
        await self.web.amend_order()(AmendOrder(self.account_id, order_id, qty=qty, limit_price=Decimal(limit_price)))

    # -- Kafka's part -------------------------------------------------------------------------------
    async def commands(self) -> None:
        """Publish the outbox, then hand every new ``order.commands`` record to the engine."""
        await self.relay.run_once()
        for payload in self._new(ORDER_COMMANDS):
            await self._to_engine(payload)

    async def reports(self) -> None:
        """Hand every new venue report to the ledger, then publish the outbox."""
        for payload in self._new(EXECUTION_REPORTS):
            await self._to_ledger(payload)
        await self.relay.run_once()

    def _new(self, topic: str) -> list[bytes]:
        records = self.bus.records(topic)[self._read[topic] :]
        self._read[topic] += len(records)
        return [payload for _, payload in records]

    async def until(self, condition: Callable[[], Awaitable[bool]], what: str) -> None:
        """Feed the ledger until ``condition`` holds; fail after ``DEADLINE`` seconds."""
        deadline = time.monotonic() + DEADLINE
        while True:
            await self.reports()
            if await condition():
                assert self.bus.records(DEAD_LETTER) == [], self.bus.records(DEAD_LETTER)
                assert self.ledger.flagged == 0, f"the ledger flagged a report while waiting for {what}"
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {DEADLINE}s waiting for {what}")
            await asyncio.sleep(0.01)  # polling the ledger with a deadline, not synchronising on time

    # -- what the ledger holds and wrote ------------------------------------------------------------
    async def order(self, order_id: uuid.UUID) -> Order:
        order = await self.adapters.order_lookup().get(self.account_id, order_id)
        assert order is not None, f"no order {order_id} in the ledger"
        return order

    def status_is(self, order_id: uuid.UUID, *statuses: OrderStatus) -> Callable[[], Awaitable[bool]]:
        async def condition() -> bool:
            return (await self.order(order_id)).status in statuses

        return condition

    def event_written(self, order_id: uuid.UUID, event_type: str) -> Callable[[], Awaitable[bool]]:
        async def condition() -> bool:
            return self.published(ORDER_EVENTS, event_type, order_id) is not None

        return condition

    def published(self, topic: str, event_type: str, order_id: uuid.UUID) -> dict[str, Any] | None:
        """The first record of ``event_type`` about the order on ``topic``, as a pact message."""
        for key, payload in self.bus.records(topic):
            event = json.loads(payload)
            if event["type"] == event_type and event["order_id"] == str(order_id):
                return kafka_message(topic, key, payload)
        return None

    def message(self, topic: str, event_type: str, order_id: uuid.UUID) -> dict[str, Any]:
        found = self.published(topic, event_type, order_id)
        assert found is not None, f"no {event_type} of {order_id} on {topic}"
        return found
