"""The ``UnitOfWork`` contract (with its ``OrderRepository`` and ``AccountRepository``), run
against the in-memory twin and PostgreSQL alike.

What the application relies on: commit makes the account, the order and its outbox rows visible
together; leaving the block without ``commit()`` (normally or by an exception) leaves nothing;
``client_order_id`` is unique per account; an account sees only its own orders; ``exposure``
counts the read model's fills; ``accounts.lock`` serialises one account's units of work and
only that account's.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from typing import Any

import asyncpg
import pytest
from order_twins import (
    TWINS,
    D,
    OrderTwins,
    filled,
    memory_twins,
    new_account,
    open_account,
    order_of,
    postgres_twins,
    rejected,
    submitted,
)

from tradewind.domain.orders.commands import CancelOrder
from tradewind.domain.orders.status import OrderSide, OrderStatus

Eventually = Callable[..., Awaitable[Any]]
#: the port names no error for a duplicate; each twin raises its store's own
DUPLICATE = (ValueError, asyncpg.UniqueViolationError)


@pytest.fixture(params=TWINS)
def twins(request: pytest.FixtureRequest) -> OrderTwins:
    if request.param == "memory":
        return memory_twins()
    return postgres_twins(request.getfixturevalue("pg_pool"))


async def outbox_ids(twins: OrderTwins) -> set[uuid.UUID]:
    return {r.event_id for r in await twins.outbox.unsent(100_000)}


async def test_commit_makes_account_order_and_outbox_row_visible(twins: OrderTwins) -> None:
    account, token_hash = new_account()
    event = submitted(account.id)
    async with twins.uow() as uow:
        await uow.accounts.add(account, token_hash)
        await uow.orders.add(order_of(event))
        await uow.commit()

    async with twins.uow() as uow:
        assert await uow.accounts.by_token_hash(token_hash) == account
        assert await uow.accounts.lock(account.id) == account
        order = await uow.orders.get(account.id, event.order_id)
    assert order is not None
    assert (order.client_order_id, order.symbol, order.qty, order.limit_price) == (
        event.client_order_id,
        "AAPL",
        10,
        D("150.25"),
    )
    assert order.status is OrderStatus.PENDING and order.filled_qty == 0
    assert order.created_at == event.created_at
    assert order.events == []
    assert event.event_id in await outbox_ids(twins)


@pytest.mark.parametrize("leave", ["normally", "by_exception"])
async def test_leaving_without_commit_rolls_back_everything(twins: OrderTwins, leave: str) -> None:
    account, token_hash = new_account()
    event = submitted(account.id)

    class Boom(Exception):
        pass

    with pytest.raises(Boom) if leave == "by_exception" else nullcontext():
        async with twins.uow() as uow:
            await uow.accounts.add(account, token_hash)
            await uow.orders.add(order_of(event))
            if leave == "by_exception":
                raise Boom

    async with twins.uow() as uow:
        assert await uow.accounts.by_token_hash(token_hash) is None
        assert await uow.accounts.lock(account.id) is None
        assert await uow.orders.get(account.id, event.order_id) is None
        assert await uow.orders.by_client_order_id(account.id, event.client_order_id) is None
    assert event.event_id not in await outbox_ids(twins)


async def test_record_writes_request_events_to_the_outbox_on_commit_only(twins: OrderTwins) -> None:
    account = await open_account(twins)
    event = submitted(account.id)
    async with twins.uow() as uow:
        await uow.orders.add(order_of(event))
        await uow.commit()

    async def request_cancel(commit: bool) -> uuid.UUID:
        async with twins.uow() as uow:
            order = await uow.orders.get(account.id, event.order_id)
            assert order is not None
            cancel = order.request_cancel(CancelOrder(account.id, order.id))
            await uow.orders.record(order)
            if commit:
                await uow.commit()
        return cancel.event_id

    dropped = await request_cancel(commit=False)
    kept = await request_cancel(commit=True)
    ids = await outbox_ids(twins)
    assert kept in ids and dropped not in ids


async def test_client_order_id_is_unique_per_account(twins: OrderTwins) -> None:
    account = await open_account(twins)
    other = await open_account(twins)
    first = submitted(account.id, client_order_id="dup-1")
    async with twins.uow() as uow:
        await uow.orders.add(order_of(first))
        await uow.commit()

    again = submitted(account.id, client_order_id="dup-1")
    with pytest.raises(DUPLICATE):  # at the insert (PostgreSQL) or at commit (memory)
        async with twins.uow() as uow:
            await uow.orders.add(order_of(again))
            await uow.commit()

    elsewhere = submitted(other.id, client_order_id="dup-1")
    async with twins.uow() as uow:
        await uow.orders.add(order_of(elsewhere))
        await uow.commit()

    async with twins.uow() as uow:
        mine = await uow.orders.by_client_order_id(account.id, "dup-1")
        theirs = await uow.orders.by_client_order_id(other.id, "dup-1")
        assert await uow.orders.get(account.id, again.order_id) is None
    assert mine is not None and mine.id == first.order_id
    assert theirs is not None and theirs.id == elsewhere.order_id
    ids = await outbox_ids(twins)
    assert {first.event_id, elsewhere.event_id} <= ids
    assert again.event_id not in ids


async def test_a_failed_commit_leaves_nothing_of_that_unit_of_work(twins: OrderTwins) -> None:
    account = await open_account(twins)
    taken = submitted(account.id, client_order_id="taken")
    async with twins.uow() as uow:
        await uow.orders.add(order_of(taken))
        await uow.commit()

    fresh = submitted(account.id, client_order_id="fresh")
    clash = submitted(account.id, client_order_id="taken")
    with pytest.raises(DUPLICATE):
        async with twins.uow() as uow:
            await uow.orders.add(order_of(fresh))
            await uow.orders.add(order_of(clash))
            await uow.commit()

    async with twins.uow() as uow:
        assert await uow.orders.get(account.id, fresh.order_id) is None
        assert await uow.orders.by_client_order_id(account.id, "fresh") is None
    assert not {fresh.event_id, clash.event_id} & await outbox_ids(twins)


async def test_an_account_sees_only_its_own_orders(twins: OrderTwins) -> None:
    account = await open_account(twins)
    stranger = await open_account(twins)
    event = submitted(account.id)
    async with twins.uow() as uow:
        await uow.orders.add(order_of(event))
        await uow.commit()

    async with twins.uow() as uow:
        assert await uow.orders.get(stranger.id, event.order_id) is None
        assert await uow.orders.by_client_order_id(stranger.id, event.client_order_id) is None
        assert await uow.orders.get(account.id, uuid.uuid4()) is None
        assert await uow.orders.by_client_order_id(account.id, "never-used") is None
        found = await uow.orders.by_client_order_id(account.id, event.client_order_id)
    assert found is not None and found.id == event.order_id


async def test_by_token_hash_finds_the_account_or_none(twins: OrderTwins) -> None:
    account, token_hash = new_account("2500.50")
    async with twins.uow() as uow:
        await uow.accounts.add(account, token_hash)
        await uow.commit()
    async with twins.uow() as uow:
        found = await uow.accounts.by_token_hash(token_hash)
        assert await uow.accounts.by_token_hash("h-nobody") is None
        assert await uow.accounts.lock(uuid.uuid4()) is None
    assert found == account and found.cash == D("2500.50")


async def test_exposure_counts_read_model_fills_and_open_orders(twins: OrderTwins) -> None:
    account = await open_account(twins, cash="100000")
    stranger = await open_account(twins)
    bought = submitted(account.id, symbol="AAPL", qty=10)
    shorted = submitted(account.id, symbol="MSFT", side=OrderSide.SELL, qty=4, limit_price="300")
    waiting = submitted(account.id, symbol="AAPL", qty=5)
    refused = submitted(account.id, symbol="NVDA", qty=1)
    theirs = submitted(stranger.id, symbol="AAPL", qty=7)
    for event in (bought, shorted, waiting, refused, theirs):
        async with twins.uow() as uow:
            await uow.orders.add(order_of(event))
            await uow.commit()
    # the projection has seen fills and a rejection, never the OrderSubmitted events
    await twins.read_model.apply(filled(bought, cum_qty=10, avg_price="150.25"))
    await twins.read_model.apply(filled(shorted, cum_qty=3, avg_price="300.00"))
    await twins.read_model.apply(rejected(refused))
    await twins.read_model.apply(filled(theirs, cum_qty=7, avg_price="1.00"))

    async with twins.uow() as uow:
        exposure = await uow.orders.exposure(account.id)

    assert exposure.positions == {"AAPL": 10, "MSFT": -3}
    assert exposure.cash == D("100000") - 10 * D("150.25") + 3 * D("300")
    open_orders = {o.id: o for o in exposure.open_orders}
    assert set(open_orders) == {shorted.order_id, waiting.order_id}
    assert open_orders[shorted.order_id].status is OrderStatus.PARTIALLY_FILLED
    assert open_orders[shorted.order_id].filled_qty == 3
    assert open_orders[waiting.order_id].status is OrderStatus.PENDING


async def test_exposure_omits_a_position_closed_to_zero(twins: OrderTwins) -> None:
    account = await open_account(twins, cash="10000")
    bought = submitted(account.id, symbol="AAPL", qty=10)
    sold = submitted(account.id, symbol="AAPL", side=OrderSide.SELL, qty=10)
    for event in (bought, sold):
        async with twins.uow() as uow:
            await uow.orders.add(order_of(event))
            await uow.commit()
    await twins.read_model.apply(filled(bought, cum_qty=10, avg_price="100"))
    await twins.read_model.apply(filled(sold, cum_qty=10, avg_price="101.5"))

    async with twins.uow() as uow:
        exposure = await uow.orders.exposure(account.id)

    assert (exposure.cash, exposure.positions, exposure.open_orders) == (D("10015"), {}, [])


async def test_exposure_of_a_new_account_is_its_cash(twins: OrderTwins) -> None:
    account = await open_account(twins, cash="1234.5678")
    async with twins.uow() as uow:
        exposure = await uow.orders.exposure(account.id)
    assert (exposure.cash, exposure.positions, exposure.open_orders) == (D("1234.5678"), {}, [])


async def test_lock_serialises_units_of_work_on_one_account(twins: OrderTwins, eventually: Eventually) -> None:
    account = await open_account(twins)
    steps: list[str] = []
    first_holds, first_may_leave = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with twins.uow() as uow:
            await uow.accounts.lock(account.id)
            steps.append("first locked")
            first_holds.set()
            await first_may_leave.wait()
            steps.append("first leaves")

    async def second() -> None:
        await first_holds.wait()
        async with twins.uow() as uow:
            assert await uow.accounts.lock(account.id) == account
            steps.append("second locked")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    try:
        await eventually(twins.someone_waits, timeout=5, what="the second unit of work to wait for the lock")
        assert steps == ["first locked"]
        first_may_leave.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    finally:
        first_may_leave.set()
        for task in tasks:
            task.cancel()
    assert steps == ["first locked", "first leaves", "second locked"]


async def test_lock_does_not_serialise_different_accounts(twins: OrderTwins) -> None:
    one = await open_account(twins)
    other = await open_account(twins)
    first_holds, first_may_leave = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with twins.uow() as uow:
            await uow.accounts.lock(one.id)
            first_holds.set()
            await first_may_leave.wait()

    async def second() -> str:
        await first_holds.wait()
        async with twins.uow() as uow:
            locked = await uow.accounts.lock(other.id)
        assert locked == other
        return "second done"

    holder = asyncio.create_task(first())
    try:
        # completes while the first still holds its own account's lock
        assert await asyncio.wait_for(second(), timeout=5) == "second done"
        assert not holder.done()
        first_may_leave.set()
        await asyncio.wait_for(holder, timeout=5)
    finally:
        first_may_leave.set()
        holder.cancel()
