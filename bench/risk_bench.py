"""The pre-trade risk check alone, and the ledger read it needs (issue 13).

    scripts/services up && uv run tradewind infra init
    uv run python bench/risk_bench.py [--iterations 2000]

For an account with 1, 100 and 1,000 open orders, prints p50/p99 in µs of:

* ``RiskCheck.check`` (every rule of the web's list, with the price lookup on an in-memory
  cache, so what is measured is the rules' arithmetic), and
* the ledger read it needs (``exposure`` on the real PostgreSQL, inside a transaction with the
  account row locked, as the place use case does it),

beside one PostgreSQL round trip (``SELECT 1``) measured in the same run. Target: check p99 <= 1 ms
at 100 open orders. Not a test: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg

from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.postgres.orders import PgUnitOfWork
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.application.orders.sequencing import number_events
from tradewind.application.risk.check import RiskCheck
from tradewind.application.risk.rules import (
    BuyingPower,
    FatFinger,
    MaxConcentration,
    MaxGrossExposure,
    MaxOpenOrders,
    MaxOrderNotional,
    MaxPositionNotional,
)
from tradewind.domain.instruments import SYMBOLS
from tradewind.domain.market import Quote
from tradewind.domain.orders.commands import PlaceOrder
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce
from tradewind.domain.risk.limits import RiskLimits


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1e6


async def main(iterations: int) -> None:
    settings = Settings(profile="local")
    pool = await asyncpg.create_pool(settings.pg_dsn, min_size=1, max_size=4)
    prices = MemoryPriceCache()
    for symbol in sorted(SYMBOLS):
        await prices.put(Quote(symbol, Decimal("99.99"), Decimal("100.01"), Decimal("100"), datetime.now(UTC)))
    risk = RiskCheck(
        prices,
        [
            MaxOpenOrders(),
            FatFinger(),
            MaxOrderNotional(Decimal("250000")),
            BuyingPower(),
            MaxPositionNotional(),
            MaxGrossExposure(),
            MaxConcentration(),
        ],
        RiskLimits(
            max_order_notional=Decimal("250000"),
            max_position_notional=Decimal("1000000000"),
            max_gross_exposure=Decimal("1000000000"),
            max_concentration=Decimal("0.99"),
            max_open_orders=100_000,
            fat_finger_pct=Decimal("20"),
        ),
    )
    symbols = sorted(SYMBOLS)
    print(f"{'open orders':>12} {'check p50 µs':>13} {'check p99 µs':>13} {'ledger read p50 µs':>19} {'p99 µs':>9}")
    try:
        for open_count in (1, 100, 1000):
            account = (await CreateUser(lambda: PgUnitOfWork(pool))(f"riskbench-{uuid.uuid4().hex[:6]}", "1e9")).account
            for i in range(open_count):  # resting limit buys far below the market
                order = Order.submit(
                    PlaceOrder(
                        account.id,
                        symbols[i % len(symbols)],
                        OrderSide.BUY,
                        1,
                        OrderType.LIMIT,
                        TimeInForce.GTC,
                        f"b{i}",
                        limit_price=Decimal("1.00"),
                    )
                )
                async with PgUnitOfWork(pool) as uow:
                    await uow.accounts.lock(account.id)
                    await number_events(uow, order)
                    await uow.orders.add(order)
                    await uow.commit()
            candidate = Order.submit(
                PlaceOrder(
                    account.id,
                    "AAPL",
                    OrderSide.BUY,
                    10,
                    OrderType.LIMIT,
                    TimeInForce.DAY,
                    "x",
                    limit_price=Decimal("100"),
                )
            )
            for symbol in symbols:  # fresh marks (the check refuses a price older than 5 s)
                await prices.put(Quote(symbol, Decimal("99.99"), Decimal("100.01"), Decimal("100"), datetime.now(UTC)))
            reads: list[float] = []
            checks: list[float] = []
            for _ in range(max(50, iterations // (10 if open_count == 1000 else 1))):
                async with PgUnitOfWork(pool) as uow:
                    t0 = time.perf_counter()
                    await uow.accounts.lock(account.id)
                    exposure = await uow.orders.exposure(account.id)
                    reads.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                await risk.check(candidate, exposure)
                checks.append(time.perf_counter() - t0)
            print(
                f"{open_count:>12} {pct(checks, 0.5):>13.0f} {pct(checks, 0.99):>13.0f} "
                f"{pct(reads, 0.5):>19.0f} {pct(reads, 0.99):>9.0f}"
            )
        floor = []
        for _ in range(iterations):
            t0 = time.perf_counter()
            await pool.fetchval("SELECT 1")
            floor.append(time.perf_counter() - t0)
        print(f"floor: one PostgreSQL round trip p50 {pct(floor, 0.5):.0f} µs, p99 {pct(floor, 0.99):.0f} µs")
    finally:
        await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=2000)
    asyncio.run(main(parser.parse_args().iterations))
