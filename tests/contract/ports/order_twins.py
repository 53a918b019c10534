"""The order store's two twins side by side, and builders for what the contract suites feed them.

The order ports (``UnitOfWork``, ``OrderReadModel``, ``OutboxStore``) share one store: the
in-memory twins a ``MemoryStore``, the PostgreSQL twins a database. A suite gets both as one
``OrderTwins`` so a fill applied through the read model shows in the unit of work's exposure.

``someone_waits`` answers "is a task blocked on a lock of this store right now?": the suites use
it to see that a second unit of work (or relay) really waits, instead of sleeping a while.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import asyncpg

from tradewind.adapters.aws.memory.orders import MemoryUnitOfWork
from tradewind.adapters.aws.memory.outbox import MemoryOutboxStore
from tradewind.adapters.aws.memory.read_model import MemoryOrderReadModel
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.adapters.aws.postgres.orders import PgUnitOfWork
from tradewind.adapters.aws.postgres.outbox import PgOutboxStore
from tradewind.adapters.aws.postgres.read_model import PgOrderReadModel
from tradewind.application.ports import OrderReadModel, OutboxStore, UnitOfWork
from tradewind.domain.accounts import Account
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.events import OrderFilled, OrderRejected, OrderSubmitted
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

D = Decimal
TWINS = ["memory", "postgres"]


@dataclass(frozen=True)
class OrderTwins:
    uow: Callable[[], UnitOfWork]
    read_model: OrderReadModel
    outbox: OutboxStore
    someone_waits: Callable[[], Awaitable[bool]]


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
        someone_waits=someone_waits,
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
        someone_waits=someone_waits,
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
