"""The order store's two twins side by side, and builders for what the contract suites feed them.

The order ports (``UnitOfWork`` with the OMS ledger, ``OrderLookup``, ``OrderReadModel``,
``OutboxStore``) share one store: the in-memory twins a ``MemoryStore``, the PostgreSQL twins a
database. A suite gets them as one ``OrderTwins`` so what a unit of work commits shows in the
outbox and through the lookup.

``someone_waits`` answers "is a task blocked on a lock of this store right now?": the suites use
it to see that a second unit of work (or relay) really waits, instead of sleeping a while.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

import asyncpg

from tradewind.adapters.aws.memory.orders import MemoryLedgerOpenOrders, MemoryOrderLookup, MemoryUnitOfWork
from tradewind.adapters.aws.memory.outbox import MemoryOutboxStore
from tradewind.adapters.aws.memory.read_model import MemoryOrderReadModel
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.adapters.aws.postgres.orders import PgLedgerOpenOrders, PgOrderLookup, PgUnitOfWork
from tradewind.adapters.aws.postgres.outbox import PgOutboxStore
from tradewind.adapters.aws.postgres.read_model import PgOrderReadModel
from tradewind.application.execution.reconcile import LedgerOpenOrders
from tradewind.application.orders.sequencing import number_events
from tradewind.application.ports import OrderLookup, OrderReadModel, OutboxStore, UnitOfWork
from tradewind.domain.accounts import Account
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.events import OrderAccepted, OrderEvent, OrderFilled, OrderRejected, OrderSubmitted
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

D = Decimal
TWINS = ["memory", "postgres"]


class CountingReadModel(OrderReadModel, Protocol):
    """Both read-model twins count what they could not apply in order (for operators)."""

    gaps: int
    misfits: int


@dataclass(frozen=True)
class OrderTwins:
    uow: Callable[[], UnitOfWork]
    read_model: CountingReadModel
    outbox: OutboxStore
    lookup: OrderLookup
    someone_waits: Callable[[], Awaitable[bool]]
    open_orders: LedgerOpenOrders


def memory_twins() -> OrderTwins:
    store = MemoryStore()

    async def someone_waits() -> bool:
        # asyncio.Lock keeps its queue in ``_waiters`` (CPython 3.11); no public way to ask.
        locks = [*store.account_locks.values(), store.relay_lock]
        return any(lock._waiters for lock in locks)

    return OrderTwins(
        uow=lambda: MemoryUnitOfWork(store),
        read_model=MemoryOrderReadModel(store),
        outbox=MemoryOutboxStore(store),
        lookup=MemoryOrderLookup(store),
        someone_waits=someone_waits,
        open_orders=MemoryLedgerOpenOrders(store),
    )


def postgres_twins(pool: asyncpg.Pool) -> OrderTwins:
    async def someone_waits() -> bool:
        # Row locks (FOR UPDATE) and advisory locks both show as an ungranted pg_locks entry.
        return bool(
            await pool.fetchval(
                "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE NOT l.granted AND a.datname = current_database())"
            )
        )

    return OrderTwins(
        uow=lambda: PgUnitOfWork(pool),
        read_model=PgOrderReadModel(pool),
        outbox=PgOutboxStore(pool),
        lookup=PgOrderLookup(pool),
        someone_waits=someone_waits,
        open_orders=PgLedgerOpenOrders(pool),
    )


def new_account(cash: str = "100000") -> tuple[Account, str]:
    """A fresh account and its token hash; names are unique so runs never collide."""
    suffix = uuid.uuid4().hex[:12]
    return Account(id=uuid.uuid4(), name=f"trader-{suffix}", cash=D(cash), created_at=utcnow()), f"h-{suffix}"


async def open_account(twins: OrderTwins, cash: str = "100000") -> Account:
    account, token_hash = new_account(cash)
    async with twins.uow() as uow:
        await uow.accounts.add(account, token_hash)
        await uow.commit()
    return account


def submitted(
    account_id: uuid.UUID,
    *,
    symbol: str = "AAPL",
    side: OrderSide = OrderSide.BUY,
    qty: int = 10,
    limit_price: str | None = "150.25",
    client_order_id: str | None = None,
    created_at: datetime | None = None,
) -> OrderSubmitted:
    at = created_at or utcnow()
    return OrderSubmitted(
        correlation_id=uuid.uuid4(),
        account_id=account_id,
        order_id=uuid.uuid4(),
        symbol=symbol,
        client_order_id=client_order_id or f"c-{uuid.uuid4().hex[:12]}",
        side=side,
        qty=qty,
        order_type=OrderType.LIMIT if limit_price else OrderType.MARKET,
        time_in_force=TimeInForce.DAY,
        limit_price=None if limit_price is None else D(limit_price),
        created_at=at,
        occurred_at=at,
    )


def order_of(event: OrderSubmitted) -> Order:
    """The order as ``Order.submit`` makes it: the row plus its ``OrderSubmitted`` for the outbox."""
    order = Order.from_submitted(event)
    order.events.append(event)
    return order


async def place(twins: OrderTwins, event: OrderSubmitted) -> Order:
    """What the command side does: under the account lock, number the submission and add the order."""
    order = order_of(event)
    async with twins.uow() as uow:
        await uow.accounts.lock(event.account_id)
        await number_events(uow, order)
        await uow.orders.add(order)
        await uow.commit()
    return order


async def move(twins: OrderTwins, account_id: uuid.UUID, order_id: uuid.UUID, event: OrderEvent) -> Order:
    """What the OMS ledger does with a venue report: under the lock, apply the event to the order
    as the ledger has it, number it, book a fill's shares and cash, save."""
    async with twins.uow() as uow:
        await uow.accounts.lock(account_id)
        order = await uow.orders.get(account_id, order_id)
        assert order is not None, f"no order {order_id} in the ledger"
        order.apply(event)
        order.events = [event]
        await number_events(uow, order)
        if isinstance(event, OrderFilled):
            sign = 1 if event.side is OrderSide.BUY else -1
            await uow.orders.book_fills(
                [(account_id, order.symbol, sign * event.fill_qty, -sign * event.fill_qty * event.fill_price)]
            )
        await uow.orders.save(order)
        await uow.commit()
    return order


def accepted(order: OrderSubmitted, *, after: int = 1) -> OrderAccepted:
    return OrderAccepted(
        correlation_id=order.correlation_id,
        account_id=order.account_id,
        order_id=order.order_id,
        symbol=order.symbol,
        broker_order_id=f"b-{order.order_id.hex[:8]}",
        occurred_at=order.occurred_at + timedelta(seconds=after),
    )


def filled(
    order: OrderSubmitted, *, cum_qty: int, avg_price: str, fill_qty: int | None = None, after: int = 1
) -> OrderFilled:
    """The broker's report with running totals ``cum_qty`` at ``avg_price``; ``after`` seconds
    after submission, so later reports carry later times."""
    return OrderFilled(
        correlation_id=order.correlation_id,
        account_id=order.account_id,
        order_id=order.order_id,
        symbol=order.symbol,
        fill_id=f"f-{uuid.uuid4().hex[:8]}",
        side=order.side,
        fill_qty=fill_qty or cum_qty,
        fill_price=D(avg_price),
        cum_qty=cum_qty,
        avg_price=D(avg_price),
        leaves_qty=order.qty - cum_qty,
        order_qty=order.qty,
        broker_order_id=f"b-{order.order_id.hex[:8]}",
        occurred_at=order.occurred_at + timedelta(seconds=after),
    )


def rejected(order: OrderSubmitted, reason: str = "no liquidity") -> OrderRejected:
    return OrderRejected(
        correlation_id=order.correlation_id,
        account_id=order.account_id,
        order_id=order.order_id,
        symbol=order.symbol,
        reason=reason,
        occurred_at=order.occurred_at + timedelta(seconds=1),
    )
