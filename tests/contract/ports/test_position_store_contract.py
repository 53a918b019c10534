"""The ``PositionStore`` contract, run against the in-memory twin and DynamoDB (moto) alike.

What the position service relies on (invariant 2): a fill is applied exactly once, whatever
the redelivery order (A, B, A included); a repeat returns what was recorded the first time;
two writers on interleaved fills of one position lose nothing; flips keep the average right;
``list`` holds only the account's positions, flat ones included. Every test uses accounts of its
own: the DynamoDB table is shared between runs.

moto is not atomic across its request threads: ``TransactWriteItems`` snapshots the whole table,
checks, writes, and on a failed condition restores the snapshot, erasing whatever another thread
committed meanwhile (moto 5.2, ``dynamodb/models/__init__.py``). Real DynamoDB is atomic. So the
DynamoDB writers here reach moto through ``OneAtATime``: moto serves one request at a time, as
atomicity would let it appear, while the consumers still interleave their read-modify-write
cycles freely between requests; the conflict counter proves they did.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from aws_resources import fresh_table

from tradewind.adapters.aws.aws_clients import AwsClients
from tradewind.adapters.aws.dynamodb.positions import DynamoPositionStore
from tradewind.adapters.aws.memory.positions import MemoryPositionStore
from tradewind.adapters.aws.settings import Settings
from tradewind.application.positions.ports import PositionStore
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.events import OrderFilled
from tradewind.domain.orders.status import OrderSide
from tradewind.domain.positions.position import Fill, Position

D = Decimal
MakeStore = Callable[[], PositionStore]


class OneAtATime(AwsClients):
    """Real clients whose requests reach moto one at a time (see the module docstring)."""

    def __init__(self, server: asyncio.Lock, **kw: Any) -> None:
        super().__init__(**kw)
        self._server = server

    async def client(self, service: str) -> Any:
        real = await super().client(service)
        server = self._server

        class Serialized:
            def __getattr__(self, name: str) -> Any:
                method = getattr(real, name)

                async def call(*args: Any, **kwargs: Any) -> Any:
                    async with server:
                        return await method(*args, **kwargs)

                return call

        return Serialized()


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
    server = asyncio.Lock()

    def dynamo() -> PositionStore:
        clients = OneAtATime(
            server,
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


def fill(account_id: uuid.UUID, side: str, qty: int, price: str, *, symbol: str = "AAPL", seq: int = 0) -> OrderFilled:
    order_id = uuid.uuid4()
    return OrderFilled(
        account_id=account_id,
        correlation_id=order_id,
        order_id=order_id,
        symbol=symbol,
        occurred_at=utcnow() + timedelta(milliseconds=seq),
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
    a = fill(account, "buy", 10, "101.25")

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


DELIVERIES = [
    "AA",
    "ABA",
    "AAB",
    "ABB",
    "BAB",
    "ABCA",
    "ABCBA",
    "ACBCAB",
    *("".join(p) for p in itertools.permutations("ABC")),
]


@pytest.mark.parametrize("delivery", DELIVERIES)
async def test_redelivery_in_any_order_applies_each_fill_once(make_store: MakeStore, delivery: str) -> None:
    store = make_store()
    account = uuid.uuid4()
    by_name = {
        "A": fill(account, "buy", 10, "100"),
        "B": fill(account, "sell", 25, "120"),  # a flip to short
        "C": fill(account, "buy", 5, "90.5"),
    }
    for name in delivery:
        await store.apply_fill(by_name[name])

    first_seen = [by_name[n] for n in dict.fromkeys(delivery)]
    assert same(await store.get(account, "AAPL"), expected(account, first_seen))


async def test_two_consumers_on_interleaved_fills_lose_nothing(make_store: MakeStore) -> None:
    one, two = make_store(), make_store()
    account = uuid.uuid4()
    fills = [fill(account, "buy" if i % 3 else "sell", 1 + i % 7, f"{100 + i % 5}.25", seq=i) for i in range(40)]

    async def consume(store: PositionStore, batch: list[OrderFilled]) -> None:
        for f in batch:  # a consumer works its partition in order, one message at a time
            await store.apply_fill(f)

    # each consumer gets every other fill, and both also see a few of the other's (redelivery)
    await asyncio.gather(consume(one, fills[0::2] + fills[1:8:2]), consume(two, fills[1::2] + fills[0:8:2]))

    stored = await one.get(account, "AAPL")
    assert stored is not None
    signed = sum(f.fill_qty if f.side is OrderSide.BUY else -f.fill_qty for f in fills)
    cash = -sum((f.fill_qty if f.side is OrderSide.BUY else -f.fill_qty) * f.fill_price for f in fills)
    assert (stored.qty, stored.fills, stored.version, stored.cash_flow) == (signed, 40, 40, cash)
    assert stored.cash_flow == stored.realized_pl - stored.cost_basis  # the books balance whatever the order
    if isinstance(one, DynamoPositionStore) and isinstance(two, DynamoPositionStore):
        assert one.conflicts + two.conflicts > 0  # the writers really raced on the version


async def test_flips_keep_the_average_entry_right(make_store: MakeStore) -> None:
    store = make_store()
    account = uuid.uuid4()
    for f in [fill(account, "buy", 10, "100"), fill(account, "sell", 25, "120"), fill(account, "buy", 20, "110")]:
        await store.apply_fill(f)

    stored = await store.get(account, "AAPL")
    assert stored is not None
    assert (stored.qty, stored.avg_entry_price, stored.realized_pl, stored.cost_basis) == (5, D("110"), 350, 550)


async def test_list_holds_the_accounts_positions_only_flat_ones_included(make_store: MakeStore) -> None:
    store = make_store()
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    await store.apply_fill(fill(mine, "buy", 3, "50", symbol="MSFT"))
    await store.apply_fill(fill(mine, "buy", 2, "10", symbol="KO"))
    await store.apply_fill(fill(mine, "sell", 2, "11", symbol="KO"))
    await store.apply_fill(fill(theirs, "buy", 1, "10", symbol="KO"))

    listed = await store.list(mine)

    assert [(p.symbol, p.qty, p.realized_pl) for p in listed] == [("KO", 0, D("2")), ("MSFT", 3, D("0"))]
    assert await store.get(mine, "AMD") is None
    assert await store.list(uuid.uuid4()) == []
