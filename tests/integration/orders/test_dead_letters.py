"""Dead letters on real Kafka and PostgreSQL, through the consumer wiring the worker uses: a
venue report of a schema version the ledger does not read yet lands in ``dead_letter`` with its
topic, partition, offset, key, headers, error and attempts, and is kept in ``dead_letters``; the
partition keeps flowing (the next report, same account, same partition, is applied); once a
ledger that reads the version runs, ``tradewind dlq replay`` re-drives the letter, it is applied
once, and the letter cannot be replayed a second time."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from tradewind.adapters.aws.containers import AwsAdapters, build_adapters
from tradewind.adapters.aws.postgres.orders import PgUnitOfWork
from tradewind.adapters.aws.provisioning import init_kafka
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.application.dead_letters import DeadLetterRecorder
from tradewind.application.messaging import venue_report_handler
from tradewind.application.orders.ledger import OrderLedger
from tradewind.application.orders.sequencing import number_events
from tradewind.application.topics import DEAD_LETTER, EXECUTION_REPORTS
from tradewind.domain.orders.commands import PlaceOrder
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.reports import ReportKind, VenueReport, report_id_for
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

TRADEWIND = str(Path(sys.executable).with_name("tradewind"))


async def pending_order(pool: asyncpg.Pool, account_id: uuid.UUID, client_id: str) -> Order:
    order = Order.submit(
        PlaceOrder(account_id, "AAPL", OrderSide.BUY, 5, OrderType.LIMIT, TimeInForce.GTC, client_id, Decimal("90"))
    )
    async with PgUnitOfWork(pool) as uow:
        await uow.accounts.lock(account_id)
        await number_events(uow, order)
        await uow.orders.add(order)
        await uow.commit()
    return order


def ack(order: Order, *, schema_version: int = 1) -> VenueReport:
    return VenueReport(
        report_id=report_id_for(order.id, f"new-{order.id}"),
        account_id=order.account_id,
        order_id=order.id,
        kind=ReportKind.NEW,
        exec_id=f"new-{order.id}",
        broker_order_id=f"B-{order.id.hex[:6]}",
        symbol="AAPL",
        side=OrderSide.BUY,
        order_qty=5,
        leaves_qty=5,
        schema_version=schema_version,
    )


async def status_of(pool: asyncpg.Pool, order: Order) -> str:
    return str(await pool.fetchval("SELECT status FROM orders WHERE id = $1", order.id))


def tradewind(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRADEWIND_PROFILE": "local", "TRADEWIND_PG_DATABASE": settings.pg_database}
    return subprocess.run([TRADEWIND, *args], env=env, capture_output=True, text=True, timeout=120)


async def consumers(adapters: AwsAdapters, settings: Settings, ledger: OrderLedger, reads: int) -> Any:
    """The worker's wiring of the ledger consumer and the dead-letter store (a release that reads
    report schema versions up to ``reads``)."""
    subscriptions: Any = adapters.subscriptions()
    group = f"{settings.kafka_group_prefix}oms-ledger"
    subscriptions.subscribe(
        [EXECUTION_REPORTS], group, venue_report_handler(ledger, consumer=group, max_schema_version=reads)
    )
    subscriptions.subscribe_deliveries(
        [DEAD_LETTER], f"{settings.kafka_group_prefix}dead-letters", DeadLetterRecorder(adapters.dead_letters())
    )
    await subscriptions.start()
    return subscriptions


async def test_a_poison_report_is_dead_lettered_the_partition_flows_and_replay_redrives_it(
    local_settings: Settings, pg_pool: asyncpg.Pool, eventually: Any
) -> None:
    settings = local_settings.model_copy(
        update={"kafka_group_prefix": f"dlq-{uuid.uuid4().hex[:8]}-", "kafka_new_group_offset": "latest"}
    )
    await init_kafka(settings, lambda line: None)
    account = (await CreateUser(lambda: PgUnitOfWork(pg_pool))(f"dlq-{uuid.uuid4().hex[:6]}", "1000")).account
    newer, older = await pending_order(pg_pool, account.id, "newer"), await pending_order(pg_pool, account.id, "ok")

    adapters: Any = build_adapters(settings)
    await adapters.lifecycle().start(kafka=True)
    ledger = OrderLedger(adapters.uow)
    subscriptions = await consumers(adapters, settings, ledger, reads=1)
    try:
        await eventually(subscriptions.ready, timeout=60, what="the consumers to be assigned")
        publisher = adapters.publisher()
        key = str(account.id)
        poison = ack(newer, schema_version=2).to_json()
        await publisher.publish(EXECUTION_REPORTS, key, poison, {"trace": "t-42"})
        await publisher.publish(EXECUTION_REPORTS, key, ack(older).to_json())

        async def flowed() -> bool:
            return await status_of(pg_pool, older) == "accepted"

        await eventually(flowed, timeout=30, what="the report after the poison to be applied")
        assert await status_of(pg_pool, newer) == "pending"

        async def kept() -> Any:
            return await pg_pool.fetchrow(
                "SELECT * FROM dead_letters WHERE source_topic = $1 AND source_key = $2", EXECUTION_REPORTS, key
            )

        row = await eventually(kept, timeout=30, what="the dead letter in PostgreSQL")
        assert bytes(row["payload"]) == poison  # byte for byte
        assert row["consumer"] == f"{settings.kafka_group_prefix}oms-ledger" and row["attempts"] == 1
        assert "schema_version 2" in row["error"] and json.loads(row["headers"]) == {"trace": "t-42"}
        assert row["source_partition"] >= 0 and row["source_offset"] >= 0 and row["replayed_at"] is None

        shown = await asyncio.to_thread(tradewind, settings, "dlq", "show", str(row["id"]))
        assert shown.returncode == 0, shown.stderr
        whole = json.loads(shown.stdout)
        assert (whole["source_topic"], whole["partition"], whole["offset"]) == (
            EXECUTION_REPORTS,
            row["source_partition"],
            row["source_offset"],
        )
        listed = await asyncio.to_thread(tradewind, settings, "dlq", "list", "--limit", "500")
        assert row["id"] in [json.loads(line)["id"] for line in listed.stdout.splitlines()]

        # The fix is deployed: a ledger that reads version 2 takes over the group.
        await subscriptions.stop()
        subscriptions = await consumers(adapters, settings, ledger, reads=2)
        await eventually(subscriptions.ready, timeout=60, what="the new release's consumers")
        replayed = await asyncio.to_thread(tradewind, settings, "dlq", "replay", str(row["id"]))
        assert replayed.returncode == 0, replayed.stderr
        assert json.loads(replayed.stdout) == {"replayed": row["id"], "to": EXECUTION_REPORTS, "key": key}

        async def redriven() -> bool:
            return await status_of(pg_pool, newer) == "accepted"

        await eventually(redriven, timeout=30, what="the replayed report to be applied")
        again = await asyncio.to_thread(tradewind, settings, "dlq", "replay", str(row["id"]))
        assert again.returncode == 1 and "already replayed" in again.stderr
        assert await pg_pool.fetchval("SELECT replayed_at FROM dead_letters WHERE id = $1", row["id"]) is not None
        applied = await pg_pool.fetchval(
            "SELECT count(*) FROM venue_reports WHERE order_id = $1 AND outcome = 'applied'", newer.id
        )
        assert applied == 1
    finally:
        await subscriptions.stop()
        await adapters.lifecycle().stop()
