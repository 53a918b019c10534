"""Invariant 1 on the real servers: every committed order reaches Kafka, in order per account,
even when the relay is killed (SIGKILL) in the middle of a batch, and when no relay ran at all
between the commit and a later start."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from tradewind.adapters.aws.postgres.orders import PgUnitOfWork
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.domain.orders.commands import PlaceOrder
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

from .kafka_reading import read_key

CHILD = Path(__file__).with_name("relay_child.py")
N = 1000
ROWS_PER_ORDER = 2  # order.submitted goes to order.commands and to order.events


async def commit_orders(pool: asyncpg.Pool, n: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    account = (await CreateUser(lambda: PgUnitOfWork(pool))(f"relay-{uuid.uuid4().hex[:8]}", "1000")).account
    event_ids = []
    for i in range(n):
        async with PgUnitOfWork(pool) as uow:
            order = Order.submit(
                PlaceOrder(account.id, "AAPL", OrderSide.BUY, 1 + i, OrderType.MARKET, TimeInForce.DAY, f"k{i}")
            )
            await uow.orders.add(order)
            await uow.commit()
        event_ids.append(order.events[0].event_id)
    return account.id, event_ids


def start_relay(settings: Settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), settings.pg_dsn, settings.kafka_bootstrap],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def sent_count(pool: asyncpg.Pool, account_id: uuid.UUID) -> int:
    return int(
        await pool.fetchval("SELECT count(*) FROM outbox WHERE key = $1 AND sent_at IS NOT NULL", str(account_id))
    )


def in_first_seen_order(payloads: list[bytes]) -> list[str]:
    seen: dict[str, None] = {}
    for raw in payloads:
        seen.setdefault(json.loads(raw)["event_id"], None)
    return list(seen)


async def test_a_relay_killed_mid_batch_loses_and_reorders_nothing(
    local_settings: Settings, pg_pool: asyncpg.Pool, eventually: Any
) -> None:
    # No relay runs while these commit: "killed after commit, before publish" for all of them.
    account_id, event_ids = await commit_orders(pg_pool, N)
    first = start_relay(local_settings)
    try:
        # Kill it as soon as it has marked a first batch: it is in the middle of the work.
        async def started() -> bool:
            return await sent_count(pg_pool, account_id) > 0

        await eventually(started, timeout=60, interval=0.002, what="the relay to publish a first batch")
    finally:
        first.kill()
        first.wait()
    assert await sent_count(pg_pool, account_id) < N * ROWS_PER_ORDER, "the relay was killed before it finished"

    second = start_relay(local_settings)
    try:

        async def all_sent() -> bool:
            return await sent_count(pg_pool, account_id) == N * ROWS_PER_ORDER

        await eventually(all_sent, timeout=60, what="the restarted relay to publish everything")
    finally:
        second.terminate()
        second.wait()

    for topic in ("order.commands", "order.events"):
        payloads = await read_key(local_settings.kafka_bootstrap, topic, str(account_id))
        assert len(payloads) >= N  # duplicates are allowed (at least once) ...
        assert in_first_seen_order(payloads) == [str(e) for e in event_ids]  # ... loss and reordering are not
    payloads = await read_key(local_settings.kafka_bootstrap, "order.commands", str(account_id))
    assert len(payloads) >= N  # duplicates are allowed (at least once) ...
    assert in_first_seen_order(payloads) == [str(e) for e in event_ids]  # ... loss and reordering are not


async def test_two_relays_never_publish_out_of_order(
    local_settings: Settings, pg_pool: asyncpg.Pool, eventually: Any
) -> None:
    account_id, event_ids = await commit_orders(pg_pool, 100)
    relays = [start_relay(local_settings), start_relay(local_settings)]
    try:

        async def all_sent() -> bool:
            return await sent_count(pg_pool, account_id) == 100 * ROWS_PER_ORDER

        await eventually(all_sent, timeout=60, what="one of two relays to publish everything")
    finally:
        for relay in relays:
            relay.terminate()
        for relay in relays:
            relay.wait()
    payloads = await read_key(local_settings.kafka_bootstrap, "order.events", str(account_id))
    assert in_first_seen_order(payloads) == [str(e) for e in event_ids]
