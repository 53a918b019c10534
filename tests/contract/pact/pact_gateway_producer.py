"""The gateway as a producer of Kafka messages, built with its own code end to end.

Each message comes from the real ``ExecutionEngine`` handling an order request over the paper
broker (its own thread, reports crossing into the loop), published through the ``EventPublisher``
port to the Kafka twin: ``to_event`` for the broker's reports, the engine's own events for a
timeout (``unknown``), a broker that cannot be reached, and a cancel that overtook its order.
The requests fed in are the consumer side of the web's pact (what the engine is handed).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from pact_orders import (
    ACCEPTED,
    BROKER_UNAVAILABLE,
    CANCELED,
    CANCELED_BEFORE_BROKER,
    EXPIRED,
    FILLED,
    REJECTED,
    REPLACED,
    UNKNOWN,
)
from pact_support import kafka_message

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.orders import MemoryOrderLookup
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.execution.engine import ExecutionEngine
from tradewind.application.execution.gateway import BrokerGateway
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote
from tradewind.domain.orders.events import OrderAmendRequested, OrderCancelRequested, OrderSubmitted
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

Eventually = Callable[..., Awaitable[Any]]
ACCOUNT = uuid.uuid4()


def submitted(
    order_type: OrderType, *, symbol: str = "AAPL", limit: str | None = None, tif: str = "gtc"
) -> OrderSubmitted:
    now = utcnow()
    return OrderSubmitted(
        correlation_id=uuid.uuid4(),
        account_id=ACCOUNT,
        order_id=uuid.uuid4(),
        symbol=symbol,
        client_order_id=f"c-{uuid.uuid4().hex[:8]}",
        side=OrderSide.BUY,
        qty=10,
        order_type=order_type,
        time_in_force=TimeInForce(tif),
        limit_price=None if limit is None else Decimal(limit),
        created_at=now,
        occurred_at=now,
    )


def cancel_of(order: OrderSubmitted) -> OrderCancelRequested:
    return OrderCancelRequested(
        correlation_id=order.correlation_id, account_id=ACCOUNT, order_id=order.order_id, symbol=order.symbol
    )


def amend_of(order: OrderSubmitted) -> OrderAmendRequested:
    return OrderAmendRequested(
        correlation_id=order.correlation_id,
        account_id=ACCOUNT,
        order_id=order.order_id,
        symbol=order.symbol,
        qty=20,
        limit_price=Decimal("91.25"),
    )


class Gateway:
    """One gateway on its own paper broker and bus."""

    def __init__(self, eventually: Eventually, *, broker: PaperBroker | None = None, ack_timeout: float = 5.0) -> None:
        self.broker = broker or PaperBroker(latency=0.0)
        self.bus = MemoryBus()
        self.engine = ExecutionEngine(
            BrokerGateway(self.broker),
            self.bus,
            MemoryOrderLookup(MemoryStore()),
            ack_timeout=ack_timeout,
            reconcile_after=3600.0,  # this scenario ends before any reconciliation would run
        )
        self._eventually = eventually

    async def __aenter__(self) -> Gateway:
        await self.engine.start()
        price = Decimal("100.00")
        self.broker.on_quote(Quote("AAPL", price, price + Decimal("0.02"), price, utcnow()))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.engine.stop()

    async def published(self, topic: str, event_type: str, order: OrderSubmitted) -> dict[str, Any]:
        """The first record of ``event_type`` about ``order`` on ``topic``, as a pact message."""

        async def find() -> dict[str, Any] | None:
            for key, payload in self.bus.records(topic):
                event = json.loads(payload)
                if event["type"] == event_type and event["order_id"] == str(order.order_id):
                    return kafka_message(topic, key, payload)
            return None

        found: dict[str, Any] = await self._eventually(find, timeout=10, what=f"{event_type} on {topic}")
        return found


async def produce_gateway_messages(eventually: Eventually) -> dict[str, dict[str, Any]]:
    """One message per description of ``pact_orders.FROM_GATEWAY``, as the gateway produces it."""
    out: dict[str, dict[str, Any]] = {}
    async with Gateway(eventually) as gw:
        market = submitted(OrderType.MARKET)
        await gw.engine.handle(market)
        out[ACCEPTED] = await gw.published("order.accepted", "order.accepted", market)
        out[FILLED] = await gw.published("order.filled", "order.filled", market)

        resting = submitted(OrderType.LIMIT, limit="90.00")
        await gw.engine.handle(resting)
        await gw.engine.handle(amend_of(resting))
        out[REPLACED] = await gw.published("order.amended", "order.replaced", resting)
        await gw.engine.handle(cancel_of(resting))
        out[CANCELED] = await gw.published("order.canceled", "order.canceled", resting)

        overtaken = submitted(OrderType.LIMIT, limit="90.00")
        await gw.engine.handle(cancel_of(overtaken))  # the cancel arrives before its submission
        out[CANCELED_BEFORE_BROKER] = await gw.published("order.canceled", "order.canceled", overtaken)

        day = submitted(OrderType.LIMIT, limit="90.00", tif="day")
        await gw.engine.handle(day)
        await asyncio.to_thread(gw.broker.expire_day_orders)  # the session closes
        out[EXPIRED] = await gw.published("order.expired", "order.expired", day)

    async with Gateway(eventually, broker=PaperBroker(latency=0.0, symbols={"AAPL"})) as gw:
        unlisted = submitted(OrderType.MARKET, symbol="MSFT")  # a symbol this venue does not list
        await gw.engine.handle(unlisted)
        out[REJECTED] = await gw.published("order.rejected", "order.rejected", unlisted)

    async with Gateway(eventually, ack_timeout=0.05) as gw:
        await asyncio.to_thread(gw.broker.hold_reports)  # the broker goes quiet
        quiet = submitted(OrderType.MARKET)
        await gw.engine.handle(quiet)
        out[UNKNOWN] = await gw.published("order.accepted", "order.unknown", quiet)

    async with Gateway(eventually) as gw:
        await asyncio.to_thread(gw.broker.stop)  # the venue is down
        unreachable = submitted(OrderType.MARKET)
        await gw.engine.handle(unreachable)
        out[BROKER_UNAVAILABLE] = await gw.published("order.rejected", "order.broker_unavailable", unreachable)
    return out
