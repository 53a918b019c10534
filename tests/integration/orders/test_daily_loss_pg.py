"""The daily loss limit on the real PostgreSQL ledger (issue 13): the session start is kept by
the first check and read back with the exposure, a loss above the account's limit refuses a buy
and commits the move to ``reducing`` with its ``risk.events`` record although the order itself
was rolled back, and the worker's sweep finds an idle account that crossed its limit."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

import asyncpg
import pytest

from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.postgres.orders import PgUnitOfWork
from tradewind.application.accounts.users import CreateUser
from tradewind.application.orders.place_order import PlaceOrderHandler
from tradewind.application.risk.check import RiskCheck
from tradewind.application.risk.rules import BuyingPower
from tradewind.application.risk.session import SessionSweep
from tradewind.domain.errors import RiskRejected
from tradewind.domain.market import Quote
from tradewind.domain.orders.commands import PlaceOrder
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

D = Decimal


async def mark(prices: MemoryPriceCache, last: str) -> None:
    await prices.put(Quote("AAPL", D(last) - D("0.01"), D(last) + D("0.01"), D(last), datetime.now(UTC)))


def buy(account_id: uuid.UUID, qty: int) -> PlaceOrder:
    return PlaceOrder(account_id, "AAPL", OrderSide.BUY, qty, OrderType.MARKET, TimeInForce.DAY, uuid.uuid4().hex)


async def state_of(pool: asyncpg.Pool, account_id: uuid.UUID) -> tuple[str, str | None]:
    row = await pool.fetchrow("SELECT trading_state, trading_state_reason FROM accounts WHERE id = $1", account_id)
    return row["trading_state"], row["trading_state_reason"]


async def state_changes(pool: asyncpg.Pool, account_id: uuid.UUID) -> list[dict[str, object]]:
    rows = await pool.fetch("SELECT payload FROM outbox WHERE topic = 'risk.events' AND key = $1", str(account_id))
    payloads = [json.loads(r["payload"]) for r in rows]
    return [p for p in payloads if p["type"] == "risk.trading_state_changed"]


@pytest.fixture
async def holder(pg_pool: asyncpg.Pool) -> uuid.UUID:
    """100,000 funding, then 100 AAPL at 100 as the ledger books a fill; limit 1,000 a day."""
    uow = partial(PgUnitOfWork, pg_pool)
    account = (await CreateUser(uow)(f"loss-{uuid.uuid4().hex[:6]}", "100000")).account
    async with uow() as u:
        await u.accounts.lock(account.id)
        await u.accounts.set_limits(account.id, {"daily_loss_limit": D("1000")}, "test")
        await u.orders.book_fills([(account.id, "AAPL", 100, D("-10000"))])
        await u.commit()
    return account.id


async def test_a_refused_buy_still_commits_the_move_to_reducing(pg_pool: asyncpg.Pool, holder: uuid.UUID) -> None:
    prices = MemoryPriceCache()
    place = PlaceOrderHandler(partial(PgUnitOfWork, pg_pool), RiskCheck(prices, [BuyingPower()]))
    await mark(prices, "100")
    await place(buy(holder, 1))  # the session's first check keeps 100,000
    start = await pg_pool.fetchval("SELECT start_equity FROM account_sessions WHERE account_id = $1", holder)
    assert start == D("100000")
    await mark(prices, "89.98")  # 100 shares x 10.02 = 1,002 lost (the first buy never filled)
    with pytest.raises(RiskRejected) as caught:
        await place(buy(holder, 1))
    assert caught.value.rule == "daily_loss_limit" and "lost 1002.00" in str(caught.value)
    state, why = await state_of(pg_pool, holder)
    assert state == "reducing" and why is not None and "the limit is 1000.00" in why
    assert [c["changed_by"] for c in await state_changes(pg_pool, holder)] == ["risk:daily_loss_limit"]
    assert await pg_pool.fetchval("SELECT count(*) FROM orders WHERE account_id = $1", holder) == 1


async def test_the_sweep_moves_an_idle_account(pg_pool: asyncpg.Pool, holder: uuid.UUID) -> None:
    prices = MemoryPriceCache()
    sweep = SessionSweep(partial(PgUnitOfWork, pg_pool), prices, None)
    await mark(prices, "100")
    await sweep()  # takes the start: 90,000 + 100 x 100
    assert await pg_pool.fetchval("SELECT start_equity FROM account_sessions WHERE account_id = $1", holder) == D(
        "100000"
    )
    await mark(prices, "89.99")
    await sweep()
    assert (await state_of(pg_pool, holder))[0] == "reducing"
