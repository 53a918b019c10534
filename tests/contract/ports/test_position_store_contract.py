"""The ``PositionStore`` contract, run against the in-memory twin and DynamoDB (moto) alike.

What the position service relies on (invariant 2): fills of an account arrive in ``account_seq``
order (one partition per account), so a position keeps the number of the last fill applied to
it and a fill is applied exactly once: one numbered at or below it is a redelivery, changes
nothing and returns the position as it is; a fill without a number (``UnnumberedFill``) is
refused and changes nothing; two writers of one position working the same partition at once
(a rebalance) lose no update and apply none twice; numbers count per account, so one symbol's
position skips the numbers of another's fills; flips keep the average right; ``list`` holds
only the account's positions, flat ones included. Every test uses accounts of its own: the
DynamoDB table is shared between runs.

Polls (``apply_fills``) must equal their fills applied one at a time, across more positions
than one DynamoDB transaction holds, and two consumers writing polls at once lose nothing. The
moto of ``scripts/services`` makes DynamoDB's writes atomic as DynamoDB does (its own
transactions restored a whole-table snapshot, erasing other threads' writes:
``scripts/services.d/moto_serve.py``), so the writers here reach it as a real client would.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from aws_resources import fresh_table

from tradewind.adapters.aws.aws_clients import AwsClients
from tradewind.adapters.aws.dynamodb.positions import DynamoPositionStore
from tradewind.adapters.aws.memory.positions import MemoryPositionStore
from tradewind.adapters.aws.settings import Settings
from tradewind.application.positions.ports import PositionStore, UnnumberedFill
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.events import OrderFilled
from tradewind.domain.orders.status import OrderSide
from tradewind.domain.positions.position import Fill, Position

D = Decimal
MakeStore = Callable[[], PositionStore]


@pytest.fixture(scope="module")
def positions_table(services: Settings) -> Iterator[str]:
    with fresh_table(services) as name:
        yield name


@pytest.fixture(params=["memory", "dynamodb"])
async def make_store(request: pytest.FixtureRequest, positions_table: str) -> AsyncIterator[MakeStore]:
    """``make_store()``: a writer of one shared view (a second call is a second consumer)."""
    if request.param == "memory":
        shared = MemoryPositionStore()
        yield lambda: shared
        return
    settings: Settings = request.getfixturevalue("services")
    opened: list[AwsClients] = []

    def dynamo() -> PositionStore:
        clients = AwsClients(
            region=settings.aws_region,
            access_key_id=settings.aws_access_key_id,
            secret_access_key=settings.aws_secret_access_key,
            endpoint_url=settings.aws_endpoint_url,
        )
        opened.append(clients)
        return DynamoPositionStore(clients, positions_table)

    try:
        yield dynamo
    finally:
        for clients in opened:
            await clients.close()


def fill(
    account_id: uuid.UUID, side: str, qty: int, price: str, *, seq: int | None, symbol: str = "AAPL"
) -> OrderFilled:
    """A fill as the OMS ledger numbers it: ``seq`` is its ``account_seq`` (``None``: unnumbered)."""
    order_id = uuid.uuid4()
    return OrderFilled(
        account_id=account_id,
        account_seq=seq,
        order_seq=None if seq is None else 2,
        correlation_id=order_id,
        order_id=order_id,
        symbol=symbol,
        occurred_at=utcnow() + timedelta(milliseconds=seq or 0),
        fill_id=f"exec-{uuid.uuid4().hex[:8]}",
        side=OrderSide(side),
        fill_qty=qty,
        fill_price=D(price),
        cum_qty=qty,
        avg_price=D(price),
        leaves_qty=0,
        order_qty=qty,
        broker_order_id=f"B-{order_id.hex[:8]}",
    )


def expected(account_id: uuid.UUID, fills: list[OrderFilled]) -> Position:
    position = Position(account_id, fills[0].symbol)
    for f in fills:
        position = position.apply(Fill.of(f))
    return position


def same(a: Position | None, b: Position) -> bool:
    """Equal as stored: the fill time may come back in another (equal) tz spelling."""
    return a is not None and a == b


async def test_a_fill_is_applied_once_and_a_repeat_returns_the_first_record(make_store: MakeStore) -> None:
    store = make_store()
    account = uuid.uuid4()
    a = fill(account, "buy", 10, "101.25", seq=1)

    first = await store.apply_fill(a)
    again = await store.apply_fill(a)

    assert first.applied and not again.applied
    assert again.position == first.position and again.applied_at == first.applied_at
    stored = await store.get(account, "AAPL")
    assert stored is not None and (stored.qty, stored.cost_basis, stored.version, stored.fills) == (
        10,
        D("1012.50"),
        1,
        1,
    )
    # a fresh consumer (a restarted process, no cache) recognises it too
    assert not (await make_store().apply_fill(a)).applied


#: redeliveries of fills A, B, C (numbered 1, 2, 3): Kafka hands a partition out in order and
#: starts again from the last committed offset, so a fill comes back only after its predecessors
DELIVERIES = ["AA", "ABA", "AAB", "ABB", "ABAB", "ABCA", "ABCBA", "ABCABC", "AABBCC", "ABACBC", "ABCCBA"]


@pytest.mark.parametrize("delivery", DELIVERIES)
async def test_redelivery_applies_each_fill_once(make_store: MakeStore, delivery: str) -> None:
    store = make_store()
    account = uuid.uuid4()
    by_name = {
        "A": fill(account, "buy", 10, "100", seq=1),
        "B": fill(account, "sell", 25, "120", seq=2),  # a flip to short
        "C": fill(account, "buy", 5, "90.5", seq=3),
    }
    applied = [name for name in delivery if (await store.apply_fill(by_name[name])).applied]

    assert applied == list(dict.fromkeys(delivery))  # each once, the first time it came
    first_seen = [by_name[n] for n in dict.fromkeys(delivery)]
    assert same(await store.get(account, "AAPL"), expected(account, first_seen))


async def test_a_fill_numbered_below_the_last_one_applied_changes_nothing(make_store: MakeStore) -> None:
    store = make_store()
    account = uuid.uuid4()
    await store.apply_fill(fill(account, "buy", 10, "100", seq=5))
    now = await store.get(account, "AAPL")

    late = await store.apply_fill(fill(account, "buy", 99, "1", seq=4))  # another id, an older number

    assert now is not None and not late.applied and late.position == now
    assert same(await store.get(account, "AAPL"), now)


async def test_numbers_count_per_account_so_a_position_skips_other_symbols_fills(make_store: MakeStore) -> None:
    store = make_store()
    account = uuid.uuid4()
    fills = [
        fill(account, "buy", 10, "100", seq=1),
        fill(account, "buy", 3, "50", seq=2, symbol="MSFT"),
        fill(account, "sell", 4, "110", seq=3),
        fill(account, "sell", 3, "55", seq=4, symbol="MSFT"),
        fill(account, "buy", 1, "105", seq=7),  # 5 and 6 were other order events
    ]
    assert [(await store.apply_fill(f)).applied for f in fills] == [True] * 5
    assert same(await store.get(account, "AAPL"), expected(account, [fills[0], fills[2], fills[4]]))
    assert same(await store.get(account, "MSFT"), expected(account, [fills[1], fills[3]]))
    other = uuid.uuid4()  # another account's numbers start from 1 on their own
    assert (await store.apply_fill(fill(other, "buy", 1, "100", seq=1))).applied


async def test_an_unnumbered_fill_is_refused_and_changes_nothing(make_store: MakeStore) -> None:
    store = make_store()
    account = uuid.uuid4()
    with pytest.raises(UnnumberedFill):
        await store.apply_fill(fill(account, "buy", 10, "100", seq=None))
    assert await store.get(account, "AAPL") is None
    assert await store.list(account) == []
    await store.apply_fill(fill(account, "buy", 10, "100", seq=1))
    with pytest.raises(UnnumberedFill):
        await store.apply_fill(fill(account, "buy", 5, "100", seq=None))
    stored = await store.get(account, "AAPL")
    assert stored is not None and (stored.qty, stored.fills) == (10, 1)


async def test_two_consumers_of_one_partition_lose_nothing_and_apply_nothing_twice(make_store: MakeStore) -> None:
    """A rebalance: the old owner is still working the partition while the new one starts again
    from the last committed offset; both write the same positions at once."""
    one, two = make_store(), make_store()
    account = uuid.uuid4()
    fills = [fill(account, "buy" if i % 3 else "sell", 1 + i % 7, f"{100 + i % 5}.25", seq=i + 1) for i in range(40)]

    committed = asyncio.Event()  # the old owner's offset after its first three fills

    async def consume(store: PositionStore, batch: list[OrderFilled], *, commit_after: int | None = None) -> int:
        applied = 0
        for i, f in enumerate(batch):  # a consumer works its partition in order, one message at a time
            applied += (await store.apply_fill(f)).applied
            if i + 1 == commit_after:
                committed.set()
        return applied

    async def new_owner() -> int:
        await committed.wait()  # it starts from the offset the old owner committed
        return await consume(two, fills[3:])

    counts = await asyncio.gather(consume(one, fills, commit_after=3), new_owner())

    assert sum(counts) == 40  # between them, every fill once
    stored = await one.get(account, "AAPL")
    assert stored is not None
    signed = sum(f.fill_qty if f.side is OrderSide.BUY else -f.fill_qty for f in fills)
    cash = -sum((f.fill_qty if f.side is OrderSide.BUY else -f.fill_qty) * f.fill_price for f in fills)
    assert (stored.qty, stored.fills, stored.version, stored.cash_flow) == (signed, 40, 40, cash)
    assert stored.cash_flow == stored.realized_pl - stored.cost_basis  # the books balance
    assert same(stored, expected(account, fills))
    if isinstance(one, DynamoPositionStore) and isinstance(two, DynamoPositionStore):
        assert one.conflicts + two.conflicts > 0  # the writers really raced on the version


async def test_flips_keep_the_average_entry_right(make_store: MakeStore) -> None:
    store = make_store()
    account = uuid.uuid4()
    for i, f in enumerate([("buy", 10, "100"), ("sell", 25, "120"), ("buy", 20, "110")], start=1):
        await store.apply_fill(fill(account, *f, seq=i))

    stored = await store.get(account, "AAPL")
    assert stored is not None
    assert (stored.qty, stored.avg_entry_price, stored.realized_pl, stored.cost_basis) == (5, D("110"), 350, 550)


async def test_list_holds_the_accounts_positions_only_flat_ones_included(make_store: MakeStore) -> None:
    store = make_store()
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    await store.apply_fill(fill(mine, "buy", 3, "50", seq=1, symbol="MSFT"))
    await store.apply_fill(fill(mine, "buy", 2, "10", seq=2, symbol="KO"))
    await store.apply_fill(fill(mine, "sell", 2, "11", seq=3, symbol="KO"))
    await store.apply_fill(fill(theirs, "buy", 1, "10", seq=1, symbol="KO"))

    listed = await store.list(mine)

    assert [(p.symbol, p.qty, p.realized_pl) for p in listed] == [("KO", 0, D("2")), ("MSFT", 3, D("0"))]
    assert await store.get(mine, "AMD") is None
    assert await store.list(uuid.uuid4()) == []


# -- a poll at once (apply_fills): the consumer's path; one transaction per 100 positions on DynamoDB


async def test_a_poll_at_once_equals_its_fills_one_by_one(make_store: MakeStore) -> None:
    """Two accounts, three positions, several fills of one position in the poll, a redelivery
    of the poll before it and one inside it: the same results, in the same order, and the same
    positions as the fills applied one at a time to a fresh view."""
    store = make_store()
    a, b = uuid.uuid4(), uuid.uuid4()
    earlier = [fill(a, "buy", 10, "100", seq=1), fill(b, "buy", 4, "20", seq=1, symbol="KO")]
    poll = [
        earlier[0],  # redelivered from the previous poll
        fill(a, "sell", 25, "120", seq=2),  # a flip to short
        fill(b, "sell", 1, "21", seq=2, symbol="KO"),
        fill(a, "buy", 3, "50", seq=3, symbol="MSFT"),
        fill(a, "buy", 5, "90.5", seq=4),
        earlier[1],  # an older number of b's, later in the poll
    ]
    poll.append(poll[2])  # the same fill twice in one poll
    reference = MemoryPositionStore()
    expected_results = [await reference.apply_fill(f) for f in earlier + poll][len(earlier) :]

    assert [r.applied for r in await store.apply_fills(earlier)] == [True, True]
    results = await store.apply_fills(poll)

    assert [r.applied for r in results] == [r.applied for r in expected_results] == [
        False, True, True, True, True, False, False,
    ]  # fmt: skip
    assert [r.position for r in results] == [r.position for r in expected_results]
    for account, symbol in [(a, "AAPL"), (a, "MSFT"), (b, "KO")]:
        assert same(await store.get(account, symbol), await reference.get(account, symbol) or Position(a, "none"))
    # the same poll again, by a consumer without a cache: nothing new
    again = await make_store().apply_fills(poll)
    assert [r.applied for r in again] == [False] * len(poll)
    assert [r.position for r in again][-1] == results[-1].position


async def test_a_poll_of_more_positions_than_one_transaction_holds(make_store: MakeStore) -> None:
    """DynamoDB takes 100 actions per transaction: 130 positions are two, all applied once."""
    store = make_store()
    accounts = [uuid.uuid4() for _ in range(130)]
    poll = [fill(account, "buy", 1 + i % 5, "10", seq=1) for i, account in enumerate(accounts)]

    assert all(r.applied for r in await store.apply_fills(poll))
    assert not any(r.applied for r in await make_store().apply_fills(poll))
    for i in (0, 99, 100, 129):
        stored = await store.get(accounts[i], "AAPL")
        assert stored is not None and (stored.qty, stored.fills) == (1 + i % 5, 1)


async def test_an_unnumbered_fill_refuses_its_whole_poll_before_any_write(make_store: MakeStore) -> None:
    store = make_store()
    account, other = uuid.uuid4(), uuid.uuid4()
    with pytest.raises(UnnumberedFill):
        await store.apply_fills([fill(other, "buy", 1, "10", seq=1), fill(account, "buy", 10, "100", seq=None)])
    assert await store.get(other, "AAPL") is None


async def test_two_consumers_applying_polls_at_once_lose_nothing_and_apply_nothing_twice(make_store: MakeStore) -> None:
    """A rebalance with polls: the old owner goes on with its polls of ten while the new one
    starts from the offset committed after the first, in polls of seven; both write the same two
    positions at once, and between them each fill is applied once."""
    one, two = make_store(), make_store()
    account = uuid.uuid4()
    fills = [
        fill(
            account,
            "buy" if i % 3 else "sell",
            1 + i % 7,
            f"{100 + i % 5}.25",
            seq=i + 1,
            symbol="KO" if i % 4 else "GE",
        )
        for i in range(60)
    ]

    committed = asyncio.Event()  # the old owner's offset after its first poll

    async def old_owner() -> int:
        applied = 0
        for start in range(0, len(fills), 10):
            applied += sum(r.applied for r in await one.apply_fills(fills[start : start + 10]))
            committed.set()
        return applied

    async def new_owner() -> int:
        await committed.wait()  # from the committed offset, in polls of its own size
        applied = 0
        for start in range(10, len(fills), 7):
            applied += sum(r.applied for r in await two.apply_fills(fills[start : start + 7]))
        return applied

    counts = await asyncio.gather(old_owner(), new_owner())

    assert sum(counts) == 60
    for symbol in ("KO", "GE"):
        assert same(
            await make_store().get(account, symbol), expected(account, [f for f in fills if f.symbol == symbol])
        )
    if isinstance(one, DynamoPositionStore) and isinstance(two, DynamoPositionStore):
        assert one.conflicts + two.conflicts > 0  # the writers really raced on the version
