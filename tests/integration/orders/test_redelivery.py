"""Invariant 2 on real Kafka and PostgreSQL: every order event type of ``order.events``, delivered
twice (a redelivery replays a partition from an earlier offset, so the copies come again in
order), is applied exactly once to the read model; the result equals applying each event once,
in order, to the in-memory twin."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import asyncpg

from tradewind.adapters.aws.kafka.consumers import KafkaSubscriptions
from tradewind.adapters.aws.kafka.publisher import KafkaEventPublisher
from tradewind.adapters.aws.memory.notifier import MemoryNotifier
from tradewind.adapters.aws.memory.read_model import MemoryOrderReadModel
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.adapters.aws.postgres.orders import PgUnitOfWork
from tradewind.adapters.aws.postgres.read_model import PgOrderReadModel
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.application.messaging import order_event_handler
from tradewind.application.projections.order_projection import OrderProjection
from tradewind.application.topics import ORDER_EVENTS
from tradewind.domain.orders import events as ev
from tradewind.domain.orders.commands import PlaceOrder
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

from .kafka_reading import group_lag, start_group_at_end


def lifecycle_events(order: Order) -> list[ev.OrderEvent]:
    """One event of every type, for orders of one account."""
    base = {
        "correlation_id": order.correlation_id,
        "account_id": order.account_id,
        "order_id": order.id,
        "symbol": order.symbol,
    }
    fill = {"side": order.side, "broker_order_id": "B-1", "order_qty": order.qty}
    return [
        order.events[0],
        ev.OrderAccepted(**base, broker_order_id="B-1"),
        ev.OrderAmendRequested(**base, qty=12),
        ev.OrderReplaced(**base, qty=12, limit_price=Decimal("101.00")),
        ev.OrderFilled(
            **base,
            **fill,
            fill_id="f1",
            fill_qty=4,
            fill_price=Decimal("100.5"),
            cum_qty=4,
            avg_price=Decimal("100.5"),
            leaves_qty=8,
        ),
        ev.OrderCancelRequested(**base),
        ev.OrderCancelRejected(**base, reason="filling"),
        ev.OrderFilled(
            **base,
            **fill,
            fill_id="f2",
            fill_qty=8,
            fill_price=Decimal("100.25"),
            cum_qty=12,
            avg_price=Decimal("100.3333"),
            leaves_qty=0,
        ),
        ev.OrderReplaceRejected(**base, reason="already filled"),
    ]


def numbered(events: list[ev.OrderEvent]) -> list[ev.OrderEvent]:
    """The numbers the OMS ledger gives: account_seq 1, 2, 3, ...; order_seq per order."""
    per_order: dict[uuid.UUID, int] = {}
    out = []
    for i, event in enumerate(events, start=1):
        per_order[event.order_id] = per_order.get(event.order_id, 0) + 1
        out.append(event.numbered(per_order[event.order_id], i))
    return out


def terminal_events(orders: list[Order]) -> list[ev.OrderEvent]:
    kinds = [
        lambda b: ev.OrderRejected(**b, reason="no"),
        lambda b: ev.OrderExpired(**b, reason="day over"),
        lambda b: ev.OrderUnknown(**b, reason="timeout"),
        lambda b: ev.OrderAccepted(**b, broker_order_id="B-2"),
        lambda b: ev.OrderBrokerUnavailable(**b, reason="down"),
        lambda b: ev.OrderCanceled(**b, reason="by you"),
    ]
    out: list[ev.OrderEvent] = []
    for order, make in zip(orders, kinds, strict=True):
        out += [
            order.events[0],
            make(
                {
                    "correlation_id": order.correlation_id,
                    "account_id": order.account_id,
                    "order_id": order.id,
                    "symbol": order.symbol,
                }
            ),
        ]
    return out


async def write_orders(uow_factory: Any, account_id: uuid.UUID, orders: list[Order]) -> None:
    for order in orders:
        async with uow_factory() as uow:
            await uow.orders.add(order)
            await uow.commit()


def new_orders(account_id: uuid.UUID, n: int) -> list[Order]:
    return [
        Order.submit(
            PlaceOrder(
                account_id,
                "AAPL",
                OrderSide.BUY,
                12,
                OrderType.LIMIT,
                TimeInForce.GTC,
                f"r{i}",
                limit_price=Decimal("100"),
            )
        )
        for i in range(n)
    ]


async def test_every_event_type_redelivered_is_applied_once(
    local_settings: Settings, pg_pool: asyncpg.Pool, eventually: Any
) -> None:
    account = (await CreateUser(lambda: PgUnitOfWork(pool=pg_pool))(f"redeliver-{uuid.uuid4().hex[:6]}", "1")).account
    orders = new_orders(account.id, 7)
    await write_orders(lambda: PgUnitOfWork(pg_pool), account.id, orders)
    events = numbered(lifecycle_events(orders[0]) + terminal_events(orders[1:]))
    assert {e.type for e in events} >= {t for t in ev.ORDER_EVENT_TYPES}

    # The reference: each event once, in order, on the in-memory twin.
    reference = MemoryOrderReadModel(MemoryStore())
    for event in events:
        await reference.apply(event)

    publisher = KafkaEventPublisher(local_settings.kafka_bootstrap)
    await publisher.start()
    subscriptions = KafkaSubscriptions(local_settings.kafka_bootstrap, dead_letters=publisher)
    read_model = PgOrderReadModel(pg_pool)
    group = f"redelivery-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(local_settings.kafka_bootstrap, group, [ORDER_EVENTS])
    subscriptions.subscribe(
        [ORDER_EVENTS],
        group,
        order_event_handler(OrderProjection(read_model, MemoryNotifier()), consumer=group),
    )
    try:
        # Every event twice: the copies replay the stream from its start (a redelivery storm).
        for event in [*events, *events[2:], *events]:
            await publisher.publish(ORDER_EVENTS, str(account.id), event.to_json())
        await subscriptions.start()

        async def all_applied() -> bool:
            n = await pg_pool.fetchval(
                "SELECT last_seq FROM projection_progress WHERE consumer = 'order-projection' AND account_id = $1",
                account.id,
            )
            return n == len(events)

        await eventually(all_applied, timeout=60, what="every event to be applied")

        async def duplicates_consumed() -> bool:  # every copy consumed and committed, not just the first
            return await group_lag(local_settings.kafka_bootstrap, group, [ORDER_EVENTS]) == 0

        await eventually(duplicates_consumed, timeout=60, what="the redelivered copies to be consumed")
        for order in orders:
            got = await read_model.get(account.id, order.id)
            want = await reference.get(account.id, order.id)
            assert got is not None and want is not None
            assert (got.status, got.filled_qty, got.filled_avg_price, got.qty) == (
                want.status,
                want.filled_qty,
                want.filled_avg_price,
                want.qty,
            )
        # Each fill reached the trader's stream exactly once; every event is in the log once, by number.
        logged = await read_model.log_since(account.id, 0)
        assert sorted(e.data["id"] for e in logged if e.kind == "fill") == ["f1", "f2"]
        assert [e.seq for e in logged if e.kind == "order"] == list(range(1, len(events) + 1))
        assert read_model.gaps == 0 and read_model.misfits == 0
    finally:
        await subscriptions.stop()
        await publisher.stop()
