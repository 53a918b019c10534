"""The worker on real servers: fills on ``order.events`` into the DynamoDB positions view (A, B, A
applied once: the redelivered A carries an ``account_seq`` the position has already applied; flips right), ``position.updated`` published and archived, every event archived to S3 as
Parquet within the flush interval; then the positions and orders views rebuilt from nothing,
from the audit archive and from Kafka, equal the live ones; and SQL runs over the archive."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from tradewind.adapters.aws.audit.parquet import ParquetAuditArchive
from tradewind.adapters.aws.kafka.publisher import KafkaEventPublisher
from tradewind.adapters.aws.settings import Settings
from tradewind.application.topics import ORDER_EVENTS
from tradewind.apps.cli.replay import audit_query, replay
from tradewind.apps.worker.main import WorkerProcess, build_container
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.events import OrderEvent, OrderFilled, OrderSubmitted
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

pytestmark = pytest.mark.integration
Eventually = Callable[..., Awaitable[Any]]
D = Decimal


@pytest.fixture
async def worker(aws_stack: Settings, eventually: Eventually) -> AsyncIterator[tuple[WorkerProcess, Settings]]:
    settings = aws_stack.model_copy(
        update={
            "kafka_group_prefix": f"test-{uuid.uuid4().hex[:8]}-",
            "kafka_new_group_offset": "latest",
            "audit_max_age_s": 1.0,
        }
    )
    process = WorkerProcess(build_container(settings), settings, health=False)
    await process.start()

    async def ready() -> bool:
        checks = await process.readiness()
        return checks["consumers"] == "ok" and checks["audit"] == "ok"

    try:
        await eventually(ready, timeout=60, what="the worker's consumers to be assigned")
        yield process, settings
    finally:
        await process.stop()


def submitted(account: uuid.UUID, symbol: str, side: str, qty: int) -> OrderSubmitted:
    """A limit order no broker would fill (the topics are shared: a gateway of another test stack
    executes whatever is submitted while it runs), so the fills below are the only ones."""
    order_id = uuid.uuid4()
    return OrderSubmitted(
        account_id=account,
        correlation_id=order_id,
        order_id=order_id,
        symbol=symbol,
        client_order_id=f"c-{order_id.hex[:8]}",
        side=OrderSide(side),
        qty=qty,
        order_type=OrderType.LIMIT,
        limit_price=D("0.01") if side == "buy" else D("999999"),
        time_in_force=TimeInForce.GTC,
        created_at=utcnow(),
    )


def filled(order: OrderSubmitted, price: str) -> OrderFilled:
    return OrderFilled(
        account_id=order.account_id,
        correlation_id=order.correlation_id,
        order_id=order.order_id,
        symbol=order.symbol,
        fill_id=f"E-{uuid.uuid4().hex[:8]}",
        side=order.side,
        fill_qty=order.qty,
        fill_price=D(price),
        cum_qty=order.qty,
        avg_price=D(price),
        leaves_qty=0,
        order_qty=order.qty,
        broker_order_id=f"B-{order.order_id.hex[:8]}",
    )


async def test_fills_become_positions_and_every_view_rebuilds_equal(
    worker: tuple[WorkerProcess, Settings], eventually: Eventually
) -> None:
    process, settings = worker
    account = uuid.uuid4()
    orders = [
        submitted(account, "AAPL", "buy", 10),
        submitted(account, "AAPL", "buy", 10),
        submitted(account, "AAPL", "sell", 25),  # flips to short 5
        submitted(account, "MSFT", "sell", 3),
    ]
    fills = [filled(orders[0], "100"), filled(orders[1], "110"), filled(orders[2], "120"), filled(orders[3], "300")]
    publisher = KafkaEventPublisher(settings.kafka_bootstrap)
    await publisher.start()
    try:
        # As the ledger numbers them: the submissions 1-4, the fills 5-8.
        numbered: list[OrderEvent] = [o.numbered(1, i) for i, o in enumerate(orders, start=1)]
        numbered += [f.numbered(2, i) for i, f in enumerate(fills, start=5)]
        a, b = numbered[4], numbered[5]
        stream = [*numbered[:4], a, b, a, *numbered[6:]]  # A, B, A: a redelivery of A after B
        for event in stream:
            await publisher.publish(ORDER_EVENTS, str(account), event.to_json())
    finally:
        await publisher.stop()
    positions = process.adapters.positions()

    async def settled() -> bool:
        held = {p.symbol: p for p in await positions.list(account)}
        return "MSFT" in held and held["AAPL"].fills == 3

    await eventually(settled, timeout=30, what="the fills in the positions view")
    aapl = await positions.get(account, "AAPL")
    assert aapl is not None
    assert (aapl.qty, aapl.avg_entry_price, aapl.realized_pl, aapl.version) == (-5, D("120"), D("300"), 3)

    archive: ParquetAuditArchive = process.adapters.audit_archive()

    async def archived() -> set[str]:
        types = set()
        for key in await archive.keys("events/"):
            for row in await archive.read(key):
                if row.account_id == str(account):
                    types.add(row.event_type)
        return types if {"order.submitted", "order.filled", "position.updated"} <= types else set()

    await eventually(archived, timeout=30, what="the account's events in the audit archive")

    for source in ("audit", "kafka"):
        for view in ("positions", "orders"):

            async def rebuilt_equal(source: str = source, view: str = view) -> bool:
                report = await replay(settings, source, view, {account}, lambda _: None)
                return report.events > 0 and not report.differences  # the live order view may lag

            await eventually(rebuilt_equal, timeout=30, what=f"{view} rebuilt from {source} to equal the live view")

    columns, rows = await audit_query(
        settings,
        f"SELECT count(*) AS records, count(DISTINCT event_id) AS events FROM events "
        f"WHERE type = 'order.filled' AND account_id = '{account}'",
        dt_from=None,
        dt_to=None,
        types=None,
    )
    assert columns == ["records", "events"] and rows == [(5, 4)]  # A was published twice: two records, one event
