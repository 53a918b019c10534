"""The ``UnitOfWork`` contract (with its ``OrderRepository`` and ``AccountRepository``), run
against the in-memory twin and PostgreSQL alike.

What the command side and the OMS ledger rely on: commit makes the account, the order and its
outbox rows visible together; leaving the block without ``commit()`` (normally or by an
exception) leaves nothing, numbers and booked fills included; ``client_order_id`` is unique per
account; an account sees only its own orders; ``save`` keeps the ledger's whole state (status,
fills, a pending amend, the last ``order_seq``) and ``get``/``OrderLookup`` read it back; a
request goes to ``order.commands`` and ``order.events`` with one event id, a venue outcome to
``order.events`` only; ``exposure`` counts open orders at their largest and the fills the ledger
booked, never a projection; ``next_seq`` is gap-free per account and in commit order;
the ``ReportJournal`` remembers every report once and lists the flagged ones; ``accounts.lock``
serialises one account's units of work and only that account's.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest
from order_twins import (
    TWINS,
    D,
    OrderTwins,
    accepted,
    filled,
    memory_twins,
    move,
    new_account,
    open_account,
    order_of,
    place,
    postgres_twins,
    rejected,
    submitted,
)

from tradewind.application.orders.sequencing import number_events
from tradewind.application.ports import JournalEntry, OutboxRecord
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.commands import AmendOrder, CancelOrder
from tradewind.domain.orders.events import OrderReplaced, parse_order_event
from tradewind.domain.orders.reports import ReportKind, VenueReport, report_id_for
from tradewind.domain.orders.status import OrderSide, OrderStatus
from tradewind.domain.risk.daily_loss import session_of
from tradewind.domain.risk.trading_state import TradingState

Eventually = Callable[..., Awaitable[Any]]
#: the port names no error for a duplicate; each twin raises its store's own
DUPLICATE = (ValueError, asyncpg.UniqueViolationError)


@pytest.fixture(params=TWINS)
def twins(request: pytest.FixtureRequest) -> OrderTwins:
    if request.param == "memory":
        return memory_twins()
    return postgres_twins(request.getfixturevalue("pg_pool"))


async def outbox_rows(twins: OrderTwins) -> list[OutboxRecord]:
    return await twins.outbox.unsent(100_000)


async def outbox_ids(twins: OrderTwins) -> set[uuid.UUID]:
    return {r.event_id for r in await outbox_rows(twins)}


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


async def test_requests_go_to_order_commands_and_order_events_outcomes_to_order_events_only(
    twins: OrderTwins,
) -> None:
    account = await open_account(twins)
    event = submitted(account.id)
    await place(twins, event)
    ack = accepted(event)
    await move(twins, account.id, event.order_id, ack)

    async def request_cancel(commit: bool) -> uuid.UUID:
        async with twins.uow() as uow:
            await uow.accounts.lock(account.id)
            order = await uow.orders.get(account.id, event.order_id)
            assert order is not None
            cancel = order.request_cancel(CancelOrder(account.id, order.id))
            await number_events(uow, order)
            await uow.orders.save(order)
            if commit:
                await uow.commit()
        return cancel.event_id

    dropped = await request_cancel(commit=False)
    kept = await request_cancel(commit=True)
    rows = await outbox_rows(twins)
    assert dropped not in {r.event_id for r in rows}
    topics = {(r.event_id, r.topic) for r in rows}
    for request in (event.event_id, kept):  # the same event, the same id, on both topics
        assert {t for i, t in topics if i == request} == {"order.commands", "order.events"}
    assert {t for i, t in topics if i == ack.event_id} == {"order.events"}
    mine = [r for r in rows if r.event_id in {event.event_id, ack.event_id, kept}]
    assert {r.key for r in mine} == {str(account.id)}
    by_id: dict[uuid.UUID, set[bytes]] = {}
    for r in mine:
        by_id.setdefault(r.event_id, set()).add(r.payload)
    assert all(len(payloads) == 1 for payloads in by_id.values())  # one payload, whatever the topic
    numbers = [parse_order_event(next(iter(by_id[i]))) for i in (event.event_id, ack.event_id, kept)]
    assert [(e.order_seq, e.account_seq) for e in numbers] == [(1, 1), (2, 2), (3, 3)]  # the rollback lost no number


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


async def test_save_writes_the_ledgers_state_and_get_reads_it_back(twins: OrderTwins) -> None:
    account = await open_account(twins)
    event = submitted(account.id, qty=10, limit_price="150.25")
    await place(twins, event)
    await move(twins, account.id, event.order_id, accepted(event))
    await move(twins, account.id, event.order_id, filled(event, cum_qty=4, avg_price="150.10"))
    async with twins.uow() as uow:
        await uow.accounts.lock(account.id)
        order = await uow.orders.get(account.id, event.order_id)
        assert order is not None
        order.request_amend(AmendOrder(account.id, order.id, qty=15, limit_price=D("151")))
        await number_events(uow, order)
        await uow.orders.save(order)
        await uow.commit()

    async with twins.uow() as uow:
        amending = await uow.orders.get(account.id, event.order_id)
    looked_up = await twins.lookup.get(account.id, event.order_id)
    assert amending is not None and looked_up == amending  # the lookup reads the same ledger
    assert (amending.status, amending.filled_qty, amending.filled_avg_price, amending.broker_order_id) == (
        OrderStatus.PENDING_REPLACE,
        4,
        D("150.10"),
        f"b-{event.order_id.hex[:8]}",
    )
    assert (amending.qty, amending.limit_price, amending.pending_qty, amending.pending_limit_price) == (
        10,
        D("150.25"),
        15,
        D("151"),
    )
    assert (amending.order_seq, amending.placed_qty) == (4, 10)

    replaced = OrderReplaced(
        correlation_id=event.correlation_id,
        account_id=account.id,
        order_id=event.order_id,
        symbol=event.symbol,
        qty=15,
        limit_price=D("151"),
    )
    await move(twins, account.id, event.order_id, replaced)
    after = await twins.lookup.get(account.id, event.order_id)
    assert after is not None
    assert (after.status, after.qty, after.limit_price, after.pending_qty, after.pending_limit_price) == (
        OrderStatus.PARTIALLY_FILLED,
        15,
        D("151"),
        None,
        None,
    )
    assert (after.order_seq, after.placed_qty) == (5, 10)  # placed as 10: a retry of the 10 is the same order
    assert await twins.lookup.get(uuid.uuid4(), event.order_id) is None  # another account's order is absent


async def test_exposure_counts_open_orders_at_their_largest_and_the_fills_the_ledger_booked(
    twins: OrderTwins,
) -> None:
    account = await open_account(twins, cash="100000")
    stranger = await open_account(twins)
    bought = submitted(account.id, symbol="AAPL", qty=10)
    shorted = submitted(account.id, symbol="MSFT", side=OrderSide.SELL, qty=4, limit_price="300")
    waiting = submitted(account.id, symbol="AAPL", qty=5)
    growing = submitted(account.id, symbol="NVDA", qty=10, limit_price="100")
    shrinking = submitted(account.id, symbol="NVDA", qty=10, limit_price="100")
    refused = submitted(account.id, symbol="NVDA", qty=1)
    theirs = submitted(stranger.id, symbol="AAPL", qty=7)
    for event in (bought, shorted, waiting, growing, shrinking, refused, theirs):
        await place(twins, event)
    for event in (bought, shorted, growing, shrinking, theirs):
        await move(twins, event.account_id, event.order_id, accepted(event))
    await move(twins, account.id, bought.order_id, filled(bought, cum_qty=10, avg_price="150.25"))
    await move(twins, account.id, shorted.order_id, filled(shorted, cum_qty=3, avg_price="300.00"))
    await move(twins, account.id, refused.order_id, rejected(refused))
    await move(twins, stranger.id, theirs.order_id, filled(theirs, cum_qty=7, avg_price="1.00"))
    for event, qty, limit in ((growing, 15, "101"), (shrinking, 5, "99")):
        async with twins.uow() as uow:
            await uow.accounts.lock(account.id)
            order = await uow.orders.get(account.id, event.order_id)
            assert order is not None
            order.request_amend(AmendOrder(account.id, order.id, qty=qty, limit_price=D(limit)))
            await number_events(uow, order)
            await uow.orders.save(order)
            await uow.commit()

    async with twins.uow() as uow:
        exposure = await uow.orders.exposure(account.id)

    assert exposure.positions == {"AAPL": 10, "MSFT": -3}
    assert exposure.cash == D("100000") - 10 * D("150.25") + 3 * D("300")
    open_orders = {o.id: o for o in exposure.open_orders}
    assert set(open_orders) == {shorted.order_id, waiting.order_id, growing.order_id, shrinking.order_id}
    assert (open_orders[shorted.order_id].status, open_orders[shorted.order_id].leaves_qty) == (
        OrderStatus.PARTIALLY_FILLED,
        1,
    )
    assert open_orders[waiting.order_id].status is OrderStatus.PENDING
    # a pending amend counts at the larger of its old and new size and the higher limit
    assert (open_orders[growing.order_id].qty, open_orders[growing.order_id].limit_price) == (15, D("101"))
    assert (open_orders[shrinking.order_id].qty, open_orders[shrinking.order_id].limit_price) == (10, D("100"))


async def test_exposure_omits_a_position_closed_to_zero(twins: OrderTwins) -> None:
    account = await open_account(twins, cash="10000")
    bought = submitted(account.id, symbol="AAPL", qty=10)
    sold = submitted(account.id, symbol="AAPL", side=OrderSide.SELL, qty=10)
    for event in (bought, sold):
        await place(twins, event)
    await move(twins, account.id, bought.order_id, filled(bought, cum_qty=10, avg_price="100"))
    await move(twins, account.id, sold.order_id, filled(sold, cum_qty=10, avg_price="101.5"))

    async with twins.uow() as uow:
        exposure = await uow.orders.exposure(account.id)

    assert (exposure.cash, exposure.positions, exposure.open_orders) == (D("10015"), {}, [])


async def test_booked_fills_are_rolled_back_with_the_transaction(twins: OrderTwins) -> None:
    account = await open_account(twins, cash="1000")
    async with twins.uow() as uow:
        await uow.accounts.lock(account.id)
        await uow.orders.book_fills([(account.id, "AAPL", 5, D("-500.50"))])
        await uow.commit()
    async with twins.uow() as uow:
        await uow.accounts.lock(account.id)
        await uow.orders.book_fills([(account.id, "AAPL", -5, D("600"))])  # never committed
    async with twins.uow() as uow:
        exposure = await uow.orders.exposure(account.id)
    assert (exposure.cash, exposure.positions) == (D("499.50"), {"AAPL": 5})


async def test_exposure_of_a_new_account_is_its_cash(twins: OrderTwins) -> None:
    account = await open_account(twins, cash="1234.5678")
    async with twins.uow() as uow:
        exposure = await uow.orders.exposure(account.id)
    assert (exposure.cash, exposure.positions, exposure.open_orders) == (D("1234.5678"), {}, [])


async def test_the_session_start_equity_is_kept_once_per_session_and_read_with_the_exposure(twins: OrderTwins) -> None:
    account = await open_account(twins, cash="1000")
    today = session_of(utcnow())
    async with twins.uow() as uow:
        assert (await uow.orders.exposure(account.id)).session_start_equity is None
        await uow.accounts.lock(account.id)
        await uow.accounts.record_session_start(account.id, today, D("1000.25"))
        # never committed: a refused order's transaction takes no snapshot with it
    async with twins.uow() as uow:
        assert (await uow.orders.exposure(account.id)).session_start_equity is None
        await uow.accounts.lock(account.id)
        await uow.accounts.record_session_start(account.id, today - timedelta(days=1), D("5"))
        await uow.accounts.record_session_start(account.id, today, D("1000.25"))
        await uow.commit()
    async with twins.uow() as uow:
        await uow.accounts.lock(account.id)
        await uow.accounts.record_session_start(account.id, today, D("1"))  # the first one stays
        await uow.commit()
    async with twins.uow() as uow:
        assert (await uow.orders.exposure(account.id)).session_start_equity == D("1000.25")


async def test_to_sweep_lists_the_holders_the_session_sweep_may_change(twins: OrderTwins) -> None:
    """Holders without today's start, or active with a daily loss limit (their own, or the
    platform's); never a flat account or one holding only cash."""
    today = date(2026, 12, 1)
    unstarted, started, limited, reducing, yesterday, flat, cash_only = [
        await open_account(twins, cash="1000") for _ in range(7)
    ]
    async with twins.uow() as uow:
        for account, qty in (
            (unstarted, 5),
            (started, 5),
            (limited, 5),
            (reducing, 5),
            (yesterday, 5),
            (flat, 5),
            (flat, -5),
        ):
            await uow.accounts.lock(account.id)
            await uow.orders.book_fills([(account.id, "AAPL", qty, D("-1") * qty)])
        for account in (started, limited, reducing, flat):
            await uow.accounts.record_session_start(account.id, today, D("1000"))
        await uow.accounts.record_session_start(yesterday.id, date(2026, 11, 30), D("1000"))
        for account in (limited, reducing):
            await uow.accounts.set_limits(account.id, {"daily_loss_limit": D("50")}, "test")
        await uow.accounts.set_trading_state(reducing.id, TradingState.REDUCING, "test")
        await uow.commit()
    mine = {a.id for a in (unstarted, started, limited, reducing, yesterday, flat, cash_only)}
    async with twins.uow() as uow:
        without_default = set(await uow.accounts.to_sweep(today, default_limit=False)) & mine
        with_default = set(await uow.accounts.to_sweep(today, default_limit=True)) & mine
    assert without_default == {unstarted.id, limited.id, yesterday.id}
    assert with_default == {unstarted.id, started.id, limited.id, yesterday.id}


async def test_next_seq_is_gap_free_per_account_and_rolled_back_with_the_transaction(twins: OrderTwins) -> None:
    account = await open_account(twins)
    other = await open_account(twins)

    async def reserve(account_id: uuid.UUID, count: int, *, commit: bool) -> int:
        async with twins.uow() as uow:
            await uow.accounts.lock(account_id)
            first = await uow.accounts.next_seq(account_id, count)
            if commit:
                await uow.commit()
        return first

    assert await reserve(account.id, 3, commit=True) == 1  # 1, 2, 3
    assert await reserve(account.id, 2, commit=False) == 4  # 4, 5: rolled back, never used
    assert await reserve(account.id, 1, commit=True) == 4  # so the next number is 4 again
    assert await reserve(other.id, 1, commit=True) == 1  # every account counts on its own
    async with twins.uow() as uow:
        await uow.accounts.lock(account.id)
        assert [await uow.accounts.next_seq(account.id) for _ in range(3)] == [5, 6, 7]  # within one unit
    with pytest.raises(LookupError):
        async with twins.uow() as uow:
            await uow.accounts.next_seq(uuid.uuid4())


async def test_next_seq_under_the_lock_numbers_concurrent_units_consecutively(twins: OrderTwins) -> None:
    account = await open_account(twins)
    taken: list[tuple[int, int]] = []

    async def unit(count: int) -> None:
        async with twins.uow() as uow:
            await uow.accounts.lock(account.id)
            first = await uow.accounts.next_seq(account.id, count)
            taken.append((first, count))  # still holding the lock: in the order the units held it
            await uow.commit()

    await asyncio.wait_for(asyncio.gather(*(unit(1 + i % 3) for i in range(12))), timeout=30)
    numbers = sorted(n for first, count in taken for n in range(first, first + count))
    assert numbers == list(range(1, 1 + sum(1 + i % 3 for i in range(12))))  # no gap, no number twice
    assert [first for first, _ in taken] == sorted(first for first, _ in taken)  # in lock (so commit) order


def venue_report(account_id: uuid.UUID, kind: ReportKind = ReportKind.NEW) -> VenueReport:
    order_id, exec_id = uuid.uuid4(), uuid.uuid4().hex
    return VenueReport(
        report_id=report_id_for(order_id, exec_id),
        account_id=account_id,
        order_id=order_id,
        kind=kind,
        exec_id=exec_id,
        symbol="AAPL",
    )


async def test_the_report_journal_remembers_a_report_once_committed(twins: OrderTwins) -> None:
    account = await open_account(twins)
    report = venue_report(account.id)
    async with twins.uow() as uow:
        await uow.reports.record(report, outcome="applied", account_seq=7, detail=None)  # rolled back
    async with twins.uow() as uow:
        assert not await uow.reports.seen_many([report.report_id])
        await uow.reports.record(report, outcome="applied", account_seq=7, detail=None)
        await uow.commit()
    async with twins.uow() as uow:
        assert await uow.reports.seen_many([report.report_id, uuid.uuid4()]) == {report.report_id}  # not the unknown
        # recorded again (a redelivery that raced): the first outcome stands, nothing is flagged
        await uow.reports.record(report, outcome="flagged", account_seq=None, detail="again")
        await uow.commit()
    async with twins.uow() as uow:
        flagged = await uow.reports.flagged(limit=100_000)
    assert report.report_id not in {row["report_id"] for row in flagged}


async def test_the_report_journal_lists_flagged_reports_newest_first_with_why(twins: OrderTwins) -> None:
    account = await open_account(twins)
    ignored = venue_report(account.id)
    first, second = venue_report(account.id, ReportKind.FILL), venue_report(account.id, ReportKind.CANCELED)
    for report, outcome, detail in (
        (first, "flagged", "no order in the ledger"),
        (ignored, "ignored", "reconciliation told nothing new"),
        (second, "flagged", "an order in status filled cannot become canceled"),
    ):
        async with twins.uow() as uow:
            await uow.reports.record(report, outcome=outcome, account_seq=None, detail=detail)
            await uow.commit()

    async with twins.uow() as uow:
        flagged = await uow.reports.flagged(limit=100_000)
        newest = await uow.reports.flagged(limit=1)
        assert ignored.report_id in await uow.reports.seen_many([ignored.report_id])
    mine = [row for row in flagged if row["account_id"] == account.id]
    assert [(row["report_id"], row["order_id"], row["kind"], row["detail"]) for row in mine] == [
        (second.report_id, second.order_id, "canceled", "an order in status filled cannot become canceled"),
        (first.report_id, first.order_id, "fill", "no order in the ledger"),
    ]
    assert [row["report_id"] for row in newest] == [second.report_id]


async def test_the_report_journal_lists_reports_for_orders_it_does_not_have_as_external(twins: OrderTwins) -> None:
    account = await open_account(twins)
    ours = await place(twins, submitted(account.id))
    foreign = venue_report(account.id)  # an order id the ledger has never had
    misfit = venue_report(account.id, ReportKind.CANCELED).model_copy(update={"order_id": ours.id})
    for report, detail in ((foreign, "no order in the ledger"), (misfit, "cannot become canceled")):
        async with twins.uow() as uow:
            await uow.reports.record(report, outcome="flagged", account_seq=None, detail=detail)
            await uow.commit()
    async with twins.uow() as uow:
        external = await uow.reports.external(limit=100_000)
    mine = [row for row in external if row["account_id"] == account.id]
    assert [(row["report_id"], row["order_id"]) for row in mine] == [(foreign.report_id, foreign.order_id)]


async def test_the_ledger_open_orders_are_every_open_order_oldest_first(twins: OrderTwins) -> None:
    account = await open_account(twins)
    events = [submitted(account.id, symbol=s) for s in ("AAPL", "MSFT", "NVDA")]
    first, second, done = [await place(twins, e) for e in events]
    await move(twins, account.id, done.id, rejected(events[2]))
    open_ids = [o.id for o in await twins.open_orders.open_orders(limit=100_000) if o.account_id == account.id]
    assert open_ids == [first.id, second.id]
    [oldest] = await twins.open_orders.open_orders(limit=1)
    assert oldest.created_at <= first.created_at


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


# -- the OMS ledger's batch methods (issue 15): one statement each, the same outcome as one by one


async def test_the_batch_reads_lock_and_find_what_exists(twins: OrderTwins) -> None:
    a, b = await open_account(twins), await open_account(twins)
    placed = submitted(a.id, qty=10, limit_price="150")
    await place(twins, placed)
    report = venue_report(a.id)
    async with twins.uow() as uow:
        await uow.reports.record(report, outcome="applied", account_seq=2, detail=None)
        await uow.commit()
    async with twins.uow() as uow:
        stranger = uuid.uuid4()
        locked = await uow.accounts.lock_many([b.id, a.id, stranger, a.id])
        assert set(locked) == {a.id, b.id} and locked[a.id].id == a.id
        assert await uow.reports.seen_many([report.report_id, uuid.uuid4()]) == {report.report_id}
        found = await uow.orders.get_many([(a.id, placed.order_id), (b.id, placed.order_id), (a.id, uuid.uuid4())])
        assert list(found) == [placed.order_id] and found[placed.order_id].qty == 10  # only the owner's pair
        assert await uow.orders.get_many([(b.id, placed.order_id)]) == {}  # another account's order is not found


async def test_next_seqs_reserve_a_block_per_account_like_next_seq(twins: OrderTwins) -> None:
    a, b = await open_account(twins), await open_account(twins)
    async with twins.uow() as uow:
        await uow.accounts.lock_many([a.id, b.id])
        assert await uow.accounts.next_seq(a.id, 2) == 1
        assert await uow.accounts.next_seqs({a.id: 3, b.id: 1}) == {a.id: 3, b.id: 1}  # a: 3..5, b: 1
        await uow.commit()
    async with twins.uow() as uow:
        await uow.accounts.lock(a.id)
        assert await uow.accounts.next_seqs({a.id: 1}) == {a.id: 6}
        # rolled back
    async with twins.uow() as uow:
        assert await uow.accounts.next_seqs({a.id: 1}) == {a.id: 6}
        assert await uow.accounts.next_seqs({}) == {}
        with pytest.raises(LookupError):
            await uow.accounts.next_seqs({uuid.uuid4(): 1})


async def test_save_many_writes_states_and_the_events_in_the_order_given(twins: OrderTwins) -> None:
    """Two orders of one account, their events interleaved in account_seq order: the outbox
    holds them in that order (the relay publishes by outbox order), and each state is saved."""
    account = await open_account(twins)
    one, two = submitted(account.id, qty=10, limit_price="150"), submitted(account.id, qty=5, limit_price="20")
    await place(twins, one)
    await place(twins, two)
    before = {r.event_id for r in await outbox_rows(twins)}
    async with twins.uow() as uow:
        await uow.accounts.lock(account.id)
        first = await uow.orders.get(account.id, one.order_id)
        second = await uow.orders.get(account.id, two.order_id)
        assert first is not None and second is not None
        events = []
        for order, event in ((first, accepted(one)), (second, accepted(two)), (first, rejected(one))):
            order.apply(event)
            order.order_seq += 1
            events.append(event.numbered(order.order_seq, await uow.accounts.next_seq(account.id)))
        await uow.orders.save_many([first, second], events)
        await uow.commit()
    new = [r for r in await outbox_rows(twins) if r.event_id not in before]
    order_events = [parse_order_event(r.payload) for r in new if r.topic == "order.events"]
    assert [(e.order_id, e.account_seq) for e in order_events] == [
        (one.order_id, 3),
        (two.order_id, 4),
        (one.order_id, 5),
    ]
    async with twins.uow() as uow:
        saved_one = await uow.orders.get(account.id, one.order_id)
        saved_two = await uow.orders.get(account.id, two.order_id)
        open_ids = {o.id for o in await uow.orders.open_orders(account.id)}
    assert saved_one is not None and saved_one.status is OrderStatus.REJECTED and saved_one.order_seq == 3
    assert saved_two is not None and saved_two.status is OrderStatus.ACCEPTED and saved_two.order_seq == 2
    assert open_ids == {two.order_id}  # the final one left the open set


async def test_book_fills_sums_moves_of_one_position_and_record_many_journals_each(twins: OrderTwins) -> None:
    account = await open_account(twins, cash="1000")
    reports = [venue_report(account.id) for _ in range(3)]
    async with twins.uow() as uow:
        await uow.accounts.lock(account.id)
        await uow.orders.book_fills(
            [
                (account.id, "AAPL", 3, D("-300")),
                (account.id, "MSFT", 1, D("-50")),
                (account.id, "AAPL", -1, D("110")),  # the same position twice in one batch
            ]
        )
        await uow.orders.book_fills([])
        await uow.reports.record_many(
            [
                JournalEntry(reports[0], "applied", 9, None),
                JournalEntry(reports[1], "flagged", None, "no order in the ledger"),
                JournalEntry(reports[2], "ignored", None, "nothing new"),
                JournalEntry(reports[0], "flagged", None, "again"),  # twice: the first stands
            ]
        )
        await uow.commit()
    async with twins.uow() as uow:
        exposure = await uow.orders.exposure(account.id)
        seen = await uow.reports.seen_many([r.report_id for r in reports])
        flagged = {row["report_id"] for row in await uow.reports.flagged(limit=100_000)}
    assert exposure.positions == {"AAPL": 2, "MSFT": 1}
    assert exposure.cash == D("1000") - 300 - 50 + 110
    assert seen == {r.report_id for r in reports}
    assert reports[1].report_id in flagged and reports[0].report_id not in flagged
