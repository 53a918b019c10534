"""Issue 13 on the real PostgreSQL: 50 orders and amends of one account at once never jointly
breach a limit each passes alone (the account lock serialises them; the ledger is read in the
same transaction), and every refusal names its rule."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

import asyncpg

from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.postgres.orders import PgUnitOfWork
from tradewind.application.accounts.users import CreateUser
from tradewind.application.orders.amend_order import AmendOrderHandler
from tradewind.application.orders.place_order import PlaceOrderHandler
from tradewind.application.risk.check import RiskCheck
from tradewind.application.risk.rules import BuyingPower, MaxConcentration, MaxOpenOrders, MaxOrderNotional
from tradewind.domain.errors import DomainError, RiskRejected
from tradewind.domain.market import Quote
from tradewind.domain.orders.commands import AmendOrder, PlaceOrder
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce
from tradewind.domain.risk.limits import RiskLimits

D = Decimal
RULES = {"buying_power", "short_sale", "max_open_orders", "max_order_notional", "max_concentration"}


async def test_fifty_concurrent_orders_and_amends_never_jointly_breach_a_limit(pg_pool: asyncpg.Pool) -> None:
    uow = partial(PgUnitOfWork, pg_pool)
    account = (await CreateUser(uow)(f"conc-{uuid.uuid4().hex[:6]}", "20000")).account
    async with uow() as u:  # 100 AAPL held (as the ledger books a fill), 10,000 spent on them
        await u.accounts.lock(account.id)
        await u.orders.book_fills([(account.id, "AAPL", 100, D("-10000"))])
        await u.commit()
    prices = MemoryPriceCache()
    for symbol in ("AAPL", "MSFT", "KO", "PG", "JPM"):
        await prices.put(Quote(symbol, D("99.99"), D("100"), D("100"), datetime.now(UTC)))
    risk = RiskCheck(
        prices,
        [MaxOpenOrders(), MaxOrderNotional(D("5000")), BuyingPower(), MaxConcentration(D("0.9"))],
        RiskLimits(max_open_orders=25, max_order_notional=D("5000"), max_concentration=D("0.9")),
    )
    place, amend = PlaceOrderHandler(uow, risk), AmendOrderHandler(uow, risk)
    symbols = ["MSFT", "KO", "PG", "JPM"]

    resting = []
    for i in range(5):  # five resting buys of 10 at 50 (500 each) to amend
        cmd = PlaceOrder(
            account.id,
            symbols[i % 4],
            OrderSide.BUY,
            10,
            OrderType.LIMIT,
            TimeInForce.GTC,
            f"r{i}",
            limit_price=D("50"),
        )
        resting.append((await place(cmd)).order)
    async with uow() as u:  # the venue acknowledged them (amends need a working order)
        await u.accounts.lock(account.id)
        for order in resting:
            await pg_pool.execute("UPDATE orders SET status = 'accepted' WHERE id = $1", order.id)
        await u.commit()

    async def attempt(i: int) -> tuple[str, object]:
        try:
            if i % 5 == 0:
                target = resting[(i // 5) % len(resting)]
                return "amend", await amend(AmendOrder(account.id, target.id, qty=40 + i))
            side = OrderSide.SELL if i % 2 else OrderSide.BUY
            symbol = "AAPL" if side is OrderSide.SELL else symbols[i % 4]
            cmd = PlaceOrder(account.id, symbol, side, 12, OrderType.MARKET, TimeInForce.DAY, f"c{i}")
            return "placed", (await place(cmd)).order
        except RiskRejected as exc:
            return "rejected", exc.rule
        except DomainError as exc:  # an amend of an order with an amend in flight: 409, not a breach
            return "refused", exc.code

    outcomes = await asyncio.gather(*(attempt(i) for i in range(50)))
    rejected = [r for kind, r in outcomes if kind == "rejected"]
    assert rejected and set(rejected) <= RULES  # every refusal names its rule

    async with uow() as u:
        exposure = await u.orders.exposure(account.id)
    quotes = await prices.get_many(["AAPL", *symbols])
    assert len(exposure.open_orders) <= 25
    sells = sum(o.leaves_qty for o in exposure.open_orders if o.side is OrderSide.SELL)
    assert sells <= 100  # never offered more than held (cash account)
    reserved = sum(
        Decimal(o.leaves_qty) * (o.limit_price if o.limit_price is not None else quotes[o.symbol].ask)
        for o in exposure.open_orders
        if o.side is OrderSide.BUY
    )
    assert reserved <= exposure.cash  # open buys at their worst price never exceed the cash
    assert exposure.cash == D("10000")
