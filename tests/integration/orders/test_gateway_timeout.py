"""Invariant 3 on real Kafka and PostgreSQL: a broker that does not answer in time makes the order
``unknown``; the fill that arrives after the timeout is still published, reconciliation publishes
the broker's truth with the same report ids, and the OMS ledger applies the fill once."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from tradewind.adapters.aws.kafka.publisher import KafkaEventPublisher
from tradewind.adapters.aws.postgres.orders import PgUnitOfWork
from tradewind.adapters.aws.settings import Settings
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.accounts.users import CreateUser
from tradewind.application.execution.engine import ExecutionEngine
from tradewind.application.execution.gateway import BrokerGateway
from tradewind.application.orders.ledger import OrderLedger
from tradewind.application.orders.sequencing import number_events
from tradewind.domain.market import Quote
from tradewind.domain.orders.commands import PlaceOrder
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.reports import parse_venue_report
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

from .kafka_reading import read_key


async def test_a_fill_after_the_timeout_is_recorded_and_reconciled(
    local_settings: Settings, pg_pool: asyncpg.Pool, eventually: Any
) -> None:
    account = (await CreateUser(lambda: PgUnitOfWork(pg_pool))(f"timeout-{uuid.uuid4().hex[:6]}", "1")).account
    order = Order.submit(PlaceOrder(account.id, "MSFT", OrderSide.BUY, 10, OrderType.MARKET, TimeInForce.DAY, "t1"))
    async with PgUnitOfWork(pg_pool) as uow:
        await uow.accounts.lock(account.id)
        await number_events(uow, order)
        await uow.orders.add(order)
        await uow.commit()

    broker = PaperBroker(latency=0.0)
    publisher = KafkaEventPublisher(local_settings.kafka_bootstrap)
    await publisher.start()
    # reconciliation 3 s after the timeout: reading the topic back on a loaded box can take
    # longer than half a second, and the check below is of what came before reconciliation
    engine = ExecutionEngine(BrokerGateway(broker), publisher, ack_timeout=0.3, reconcile_after=3.0)
    await engine.start()
    key = str(account.id)
    try:
        broker.on_quote(Quote("MSFT", Decimal("300.00"), Decimal("300.10"), Decimal("300.05"), datetime.now(UTC)))
        broker.hold_reports()  # the broker works the order but its reports do not reach us
        await engine.handle(order.events[0])  # returns after the timeout, having published `unknown`

        async def reports() -> list[dict[str, Any]]:
            raw = await read_key(local_settings.kafka_bootstrap, "execution.reports", key)
            return [json.loads(p) for p in raw]

        assert [r["kind"] for r in await reports()] == ["unknown"]

        broker.release_reports()  # the late acknowledgement and fill arrive

        async def reconciled() -> bool:
            fills = [r for r in await reports() if r["kind"] == "fill"]
            return len(fills) >= 2 and any(f["reconciliation"] for f in fills)

        await eventually(reconciled, timeout=30, what="the late fill and its reconciled copy")
        fills = [r for r in await reports() if r["kind"] == "fill"]
        assert {f["report_id"] for f in fills} == {fills[0]["report_id"]}, "one fill, one report id, however often"
        assert fills[0]["cum_qty"] == 10 and Decimal(fills[0]["last_price"]) == Decimal("300.10")

        # The ledger takes every report as it came (the copies included) and applies the fill once.
        ledger = OrderLedger(lambda: PgUnitOfWork(pg_pool))
        for raw in await read_key(local_settings.kafka_bootstrap, "execution.reports", key):
            await ledger(parse_venue_report(raw))
        row = await pg_pool.fetchrow("SELECT status, filled_qty FROM orders WHERE id = $1", order.id)
        assert (row["status"], row["filled_qty"]) == ("filled", 10)
        held = await pg_pool.fetchval(
            "SELECT qty FROM ledger_positions WHERE account_id = $1 AND symbol = 'MSFT'", account.id
        )
        assert held == 10 and ledger.duplicates >= 1 and ledger.flagged == 0
    finally:
        await engine.stop()
        await publisher.stop()
