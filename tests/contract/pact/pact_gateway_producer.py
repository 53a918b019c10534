"""The gateway as a producer of Kafka messages, built with its own code end to end.

Each message comes from the real ``ExecutionEngine`` handling an order request over the paper
broker (its own thread, reports crossing into the loop), published through the ``EventPublisher``
port to the Kafka twin on ``execution.reports``: ``to_venue_report`` for the broker's reports
(the account echoed by the venue), ``reconciliation_reports`` for a redelivered submit the venue
already has, and the engine's own reports for a timeout (``unknown``), an order entry that cannot
be reached, a cancel of an order the venue never had and a cancel or amend the venue refused.
The requests fed in are the consumer side of the web's pact (what the engine is handed).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from pact_oms import OrderEntryDown
from pact_reports import (
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
)
from pact_support import kafka_message

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.execution.engine import ExecutionEngine
from tradewind.application.execution.gateway import BrokerGateway
from tradewind.application.topics import EXECUTION_REPORTS
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

    async def published(self, kind: str, order: OrderSubmitted, *, reconciliation: bool = False) -> dict[str, Any]:
        """The first report of ``kind`` about ``order`` on ``execution.reports``, as a pact message."""

        async def find() -> dict[str, Any] | None:
            for key, payload in self.bus.records(EXECUTION_REPORTS):
                report = json.loads(payload)
                if (report["kind"], report["order_id"], report["reconciliation"]) == (
                    kind,
                    str(order.order_id),
                    reconciliation,
                ):
                    return kafka_message(EXECUTION_REPORTS, key, payload)
            return None

        found: dict[str, Any] = await self._eventually(find, timeout=10, what=f"a {kind} report")
        return found


async def produce_gateway_messages(eventually: Eventually) -> dict[str, dict[str, Any]]:
    """One message per description of ``pact_reports.FROM_GATEWAY``, as the gateway produces it."""
    out: dict[str, dict[str, Any]] = {}
    async with Gateway(eventually) as gw:
        market = submitted(OrderType.MARKET)
        await gw.engine.handle(market)
        out[REPORT_NEW] = await gw.published("new", market)
        out[REPORT_FILL] = await gw.published("fill", market)
        await gw.engine.handle(market)  # redelivered: the venue has it, and tells again what it knows
        out[REPORT_RECONCILED_FILL] = await gw.published("fill", market, reconciliation=True)
        await gw.engine.handle(cancel_of(market))  # too late: it filled
        out[REPORT_CANCEL_REJECTED] = await gw.published("cancel_rejected", market)
        await gw.engine.handle(amend_of(market))
        out[REPORT_REPLACE_REJECTED] = await gw.published("replace_rejected", market)

        resting = submitted(OrderType.LIMIT, limit="90.00")
        await gw.engine.handle(resting)
        await gw.engine.handle(amend_of(resting))
        out[REPORT_REPLACED] = await gw.published("replaced", resting)
        await gw.engine.handle(cancel_of(resting))
        out[REPORT_CANCELED] = await gw.published("canceled", resting)

        never_sent = submitted(OrderType.LIMIT, limit="90.00")
        await gw.engine.handle(cancel_of(never_sent))  # the venue has no record of it
        out[REPORT_CANCELED_BEFORE_BROKER] = await gw.published("canceled", never_sent)

        day = submitted(OrderType.LIMIT, limit="90.00", tif="day")
        await gw.engine.handle(day)
        await asyncio.to_thread(gw.broker.expire_day_orders)  # the session closes
        out[REPORT_EXPIRED] = await gw.published("expired", day)

    async with Gateway(eventually, broker=PaperBroker(latency=0.0, symbols={"AAPL"})) as gw:
        unlisted = submitted(OrderType.MARKET, symbol="MSFT")  # a symbol this venue does not list
        await gw.engine.handle(unlisted)
        out[REPORT_REJECTED] = await gw.published("rejected", unlisted)

    async with Gateway(eventually, ack_timeout=0.05) as gw:
        await asyncio.to_thread(gw.broker.hold_reports)  # the broker goes quiet
        quiet = submitted(OrderType.MARKET)
        await gw.engine.handle(quiet)
        out[REPORT_UNKNOWN] = await gw.published("unknown", quiet)

    async with Gateway(eventually, broker=OrderEntryDown(latency=0.0)) as gw:
        unreachable = submitted(OrderType.MARKET)
        await gw.engine.handle(unreachable)
        out[REPORT_BROKER_UNAVAILABLE] = await gw.published("broker_unavailable", unreachable)
    return out
