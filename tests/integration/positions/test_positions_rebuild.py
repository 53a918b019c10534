"""Invariant 12 on the real servers: the positions view's table is lost (moto restarts empty, as
after ``scripts/services down`` and ``up``) while the ledger has fills; the worker's next start
recreates it and rebuilds the view from ``order.events``, equal to what it was."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import asyncpg

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.kafka.publisher import KafkaEventPublisher
from tradewind.adapters.aws.postgres.orders import PgUnitOfWork
from tradewind.adapters.aws.provisioning import aws_session
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.application.topics import ORDER_EVENTS
from tradewind.apps.worker.main import WorkerProcess, build_container
from tradewind.domain.orders.events import OrderEvent, OrderFilled

from .test_position_pipeline import filled, submitted


async def start_worker(settings: Settings, eventually: Any) -> WorkerProcess:
    process = WorkerProcess(build_container(settings), settings, health=False)
    await process.start()

    async def ready() -> bool:
        return (await process.readiness())["consumers"] == "ok"

    await eventually(ready, timeout=60, what="the worker's consumers to be assigned")
    return process


async def test_an_empty_positions_view_is_rebuilt_on_start(
    aws_stack: Settings, pg_pool: asyncpg.Pool, eventually: Any
) -> None:
    settings = aws_stack.model_copy(
        update={"kafka_group_prefix": f"rebuild-{uuid.uuid4().hex[:8]}-", "kafka_new_group_offset": "latest"}
    )
    account = (await CreateUser(lambda: PgUnitOfWork(pg_pool))(f"rebuild-{uuid.uuid4().hex[:6]}", "1")).account
    async with PgUnitOfWork(pg_pool) as uow:  # the ledger has the fills (as the OMS ledger books them)
        await uow.accounts.lock(account.id)
        await uow.orders.book_fills([(account.id, "AAPL", 10, Decimal("-1000"))])
        await uow.commit()
    orders = [submitted(account.id, "AAPL", "buy", 4), submitted(account.id, "AAPL", "buy", 6)]
    events: list[OrderEvent] = [o.numbered(1, i) for i, o in enumerate(orders, start=1)]
    events += [filled(orders[0], "99").numbered(2, 3), filled(orders[1], "101").numbered(2, 4)]

    # Live: the fills on order.events and in the view (the store the position service writes with).
    publisher = KafkaEventPublisher(settings.kafka_bootstrap)
    await publisher.start()
    try:
        for event in events:
            await publisher.publish(ORDER_EVENTS, str(account.id), event.to_json())
    finally:
        await publisher.stop()
    store = build_adapters(settings).positions()
    for event in events:
        if isinstance(event, OrderFilled):
            await store.apply_fill(event)
    before = await store.get(account.id, "AAPL")
    assert before is not None and before.qty == 10

    # moto restarted empty: the table is gone
    async with aws_session(settings).client("dynamodb", endpoint_url=settings.aws_endpoint_url) as ddb:
        await ddb.delete_table(TableName=settings.positions_table)

    worker = await start_worker(settings, eventually)
    try:
        assert worker.rebuilt_positions is not None and worker.rebuilt_positions >= len(events)
        print(f"rebuilding from {worker.rebuilt_positions} message(s) of order.events")
        positions = worker.adapters.positions()

        async def rebuilt() -> bool:
            return await positions.get(account.id, "AAPL") == before

        await eventually(rebuilt, timeout=120, what="the positions view rebuilt from order.events")
        assert before is not None and before.avg_entry_price == Decimal("100.2")
    finally:
        await worker.stop()
