"""Reconciliation on real PostgreSQL and Kafka, as the gateway wires it (the ledger's open orders
through ``PgLedgerOpenOrders``, reports to ``execution.reports``, the OMS ledger applying them):
an order left ``unknown`` by an ack timeout is resolved to its fill, once, however often it is
told; an accepted order the venue never saw ends ``rejected`` with the reason; a venue order the
ledger does not have is listed by ``tradewind ledger external``."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from tradewind.adapters.aws.kafka.publisher import KafkaEventPublisher
from tradewind.adapters.aws.postgres.orders import PgLedgerOpenOrders, PgUnitOfWork
from tradewind.adapters.aws.settings import Settings
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.accounts.users import CreateUser
from tradewind.application.execution.broker import BrokerOrder
from tradewind.application.execution.engine import ExecutionEngine
from tradewind.application.execution.gateway import BrokerGateway
from tradewind.application.execution.reconcile import Reconciler
from tradewind.application.orders.ledger import OrderLedger
from tradewind.application.orders.sequencing import number_events
from tradewind.domain.market import Quote
from tradewind.domain.orders.commands import PlaceOrder
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.reports import ReportKind, VenueReport, parse_venue_report, report_id_for
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

from .kafka_reading import read_key

TRADEWIND = str(Path(sys.executable).with_name("tradewind"))


async def committed(pool: asyncpg.Pool, account_id: uuid.UUID, order_type: OrderType, limit: str | None) -> Order:
    order = Order.submit(
        PlaceOrder(
            account_id, "MSFT", OrderSide.BUY, 10, order_type, TimeInForce.GTC, uuid.uuid4().hex[:8],
            None if limit is None else Decimal(limit),
        )
    )  # fmt: skip
    async with PgUnitOfWork(pool) as uow:
        await uow.accounts.lock(account_id)
        await number_events(uow, order)
        await uow.orders.add(order)
        await uow.commit()
    return order


async def test_reconciliation_resolves_unknown_rejects_the_lost_and_keeps_the_external(
    local_settings: Settings, pg_pool: asyncpg.Pool
) -> None:
    account = (await CreateUser(lambda: PgUnitOfWork(pg_pool))(f"recon-{uuid.uuid4().hex[:6]}", "100000")).account
    key = str(account.id)
    timed_out = await committed(pg_pool, account.id, OrderType.MARKET, None)
    lost = await committed(pg_pool, account.id, OrderType.LIMIT, "200")
    ledger = OrderLedger(lambda: PgUnitOfWork(pg_pool))
    await ledger(
        VenueReport(
            report_id=report_id_for(lost.id, "ack"), account_id=account.id, order_id=lost.id, kind=ReportKind.NEW,
            exec_id="ack", broker_order_id="B-lost", symbol="MSFT", order_qty=10, leaves_qty=10,
        )
    )  # fmt: skip

    broker = PaperBroker(latency=0.0)
    publisher = KafkaEventPublisher(local_settings.kafka_bootstrap)
    await publisher.start()
    gateway = BrokerGateway(broker)
    engine = ExecutionEngine(gateway, publisher, ack_timeout=0.2, reconcile_after=3600)
    reconciler = Reconciler(
        gateway, PgLedgerOpenOrders(pg_pool), publish=engine.publish_reconciled, send=engine.send, grace=0.0
    )
    await engine.start()
    applied = 0

    async def consume() -> list[dict[str, Any]]:
        nonlocal applied
        raw = await read_key(local_settings.kafka_bootstrap, "execution.reports", key)
        for payload in raw[applied:]:
            await ledger(parse_venue_report(payload))
        applied = len(raw)
        return [json.loads(p) for p in raw]

    try:
        broker.on_quote(Quote("MSFT", Decimal("300.00"), Decimal("300.10"), Decimal("300.05"), datetime.now(UTC)))
        broker.hold_reports()  # the venue fills the order; no report reaches the gateway
        await engine.handle(timed_out.events[0])
        await consume()
        assert await pg_pool.fetchval("SELECT status FROM orders WHERE id = $1", timed_out.id) == "unknown"
        stranger = BrokerOrder(
            client_order_id=str(uuid.uuid4()), symbol="MSFT", side=OrderSide.BUY, qty=1, order_type=OrderType.LIMIT,
            time_in_force=TimeInForce.GTC, limit_price=Decimal("1"), account=key,
        )  # fmt: skip
        await asyncio.to_thread(broker.submit, stranger)  # someone else's order at the venue

        await reconciler.run_once()
        await reconciler.run_once()  # a second pass (or a restart) tells nothing twice that counts
        reports = await consume()

        rows = {
            r["id"]: r for r in await pg_pool.fetch("SELECT * FROM orders WHERE id = ANY($1)", [timed_out.id, lost.id])
        }
        assert (rows[timed_out.id]["status"], rows[timed_out.id]["filled_qty"]) == ("filled", 10)
        assert rows[lost.id]["status"] == "rejected" and "no record of the order" in rows[lost.id]["reason"]
        held = await pg_pool.fetchval(
            "SELECT qty FROM ledger_positions WHERE account_id = $1 AND symbol = 'MSFT'", account.id
        )
        assert held == 10, "the fill booked once"
        recon = [r for r in reports if r["reconciliation"]]
        assert {r["kind"] for r in recon} >= {"new", "fill", "rejected"}

        broker.release_reports()  # the normal path's late reports: the same ids, applied once
        await engine.stop()  # publishes what the broker already reported
        late = await consume()
        assert len(late) > len(reports), "the late reports were published"
        assert await pg_pool.fetchval("SELECT filled_qty FROM orders WHERE id = $1", timed_out.id) == 10
        assert await pg_pool.fetchval(
            "SELECT qty FROM ledger_positions WHERE account_id = $1 AND symbol = 'MSFT'", account.id
        ) == 10  # fmt: skip
        outcomes = await pg_pool.fetch(
            "SELECT kind, outcome FROM venue_reports WHERE order_id = $1", timed_out.id
        )  # each fill's id once in the journal, never flagged: the copies were seen as duplicates
        assert [r["kind"] for r in outcomes].count("fill") == 1 and "flagged" not in {r["outcome"] for r in outcomes}

        env = {**os.environ, "TRADEWIND_PROFILE": "local", "TRADEWIND_PG_DATABASE": local_settings.pg_database}
        out = await asyncio.to_thread(
            subprocess.run, [TRADEWIND, "ledger", "external", "--limit", "500"], env=env, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip
        assert out.returncode == 1, out.stderr
        assert stranger.client_order_id in {json.loads(line)["order_id"] for line in out.stdout.splitlines()}
    finally:
        await engine.stop()
        await publisher.stop()
