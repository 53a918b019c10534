"""The account and positions API on the memory profile: P&L arithmetic, marks and the ``stale``
flag, buying power held back by open buys, 4xx naming the field, and owner-only scoping."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.application.topics import ORDER_EVENTS
from tradewind.apps.web.main import build_app
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote
from tradewind.domain.orders.events import OrderFilled, parse_order_event
from tradewind.domain.orders.status import OrderSide

D = Decimal
ALICE, BOB = "alice-token", "bob-token"
#: the OMS ledger numbers every event of an account; fills reach the positions view in that order
ACCOUNT_SEQ = itertools.count(1)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def quote(adapters: Any, symbol: str, last: str, age: float = 0.0) -> None:
    price = D(last)
    await adapters.prices().put(Quote(symbol, price, price, price, utcnow() - timedelta(seconds=age)))


async def fill(
    adapters: Any, account_id: uuid.UUID, symbol: str, side: str, qty: int, price: str, age: float = 0.0
) -> OrderFilled:
    """A fill as the ledger numbers it, applied to the positions view (the position service's job)."""
    order_id = uuid.uuid4()
    event = OrderFilled(
        account_id=account_id,
        correlation_id=order_id,
        order_id=order_id,
        symbol=symbol,
        fill_id=f"E-{order_id.hex[:6]}",
        side=OrderSide(side),
        fill_qty=qty,
        fill_price=D(price),
        cum_qty=qty,
        avg_price=D(price),
        leaves_qty=0,
        order_qty=qty,
        broker_order_id="B",
        occurred_at=utcnow() - timedelta(seconds=age),
    ).numbered(1, next(ACCOUNT_SEQ))
    assert isinstance(event, OrderFilled)
    await adapters.positions().apply_fill(event)
    return event


@pytest.fixture
async def env() -> AsyncIterator[tuple[AsyncTestClient[Any], Any, uuid.UUID]]:
    settings = Settings(profile="memory")
    adapters: Any = build_adapters(settings)
    alice = await CreateUser(adapters.uow)("alice", "100000", token=ALICE)
    await CreateUser(adapters.uow)("bob", "50000", token=BOB)
    async with AsyncTestClient(build_app(settings, adapters)) as client:
        yield client, adapters, alice.account.id


async def test_account_of_a_new_trader_is_its_funding(env: Any) -> None:
    client, _, _ = env
    r = await client.get("/api/v1/account", headers=auth(BOB))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["cash"], body["equity"], body["buying_power"], body["realized_pl"]) == ("50000", "50000", "50000", "0")
    assert body["stale"] is False and (await client.get("/api/v1/positions", headers=auth(BOB))).json() == []


async def test_cash_equity_and_pl_follow_the_fills_and_the_marks(env: Any) -> None:
    client, adapters, alice = env
    await fill(adapters, alice, "AAPL", "buy", 10, "100")
    await fill(adapters, alice, "AAPL", "buy", 10, "110")
    await fill(adapters, alice, "AAPL", "sell", 5, "120")  # realizes 5 x (120 - 105) = 75
    await fill(adapters, alice, "MSFT", "sell", 4, "300")  # a short
    await quote(adapters, "AAPL", "130")
    await quote(adapters, "MSFT", "290")

    account = (await client.get("/api/v1/account", headers=auth(ALICE))).json()
    positions = (await client.get("/api/v1/positions", headers=auth(ALICE))).json()

    cash = D(100000) - 2100 + 600 + 1200
    assert D(account["cash"]) == cash
    assert (D(account["long_market_value"]), D(account["short_market_value"])) == (D(1950), D(-1160))
    assert D(account["equity"]) == cash + 1950 - 1160
    assert (D(account["realized_pl"]), D(account["unrealized_pl"])) == (D(75), 15 * D(25) + 40)
    assert D(account["equity"]) - D(account["funding"]) == D(account["realized_pl"]) + D(account["unrealized_pl"])
    assert [p["symbol"] for p in positions] == ["MSFT", "AAPL"]  # most recently traded first
    aapl = positions[1]
    assert (aapl["qty"], aapl["avg_entry_price"], aapl["current_price"], aapl["unrealized_pl"]) == (
        15,
        "105",
        "130",
        "375",
    )
    assert (aapl["realized_pl"], aapl["market_value"], aapl["stale"], aapl["side"]) == ("75", "1950", False, "long")


async def test_a_mark_older_than_five_seconds_is_flagged_stale(env: Any) -> None:
    client, adapters, alice = env
    await fill(adapters, alice, "KO", "buy", 3, "60")
    await quote(adapters, "KO", "61", age=6)

    ko = (await client.get("/api/v1/positions/KO", headers=auth(ALICE))).json()

    assert (ko["current_price"], ko["price_source"], ko["stale"], ko["unrealized_pl"]) == ("61", "quote", True, "3")
    assert (await client.get("/api/v1/account", headers=auth(ALICE))).json()["stale"] is True


async def test_without_a_quote_the_mark_is_the_last_fill_and_stale(env: Any) -> None:
    client, adapters, alice = env
    await fill(adapters, alice, "PEP", "buy", 2, "170.5", age=10)

    pep = (await client.get("/api/v1/positions/pep", headers=auth(ALICE))).json()

    assert (pep["current_price"], pep["price_source"], pep["stale"], pep["unrealized_pl"]) == (
        "170.5",
        "last_fill",
        True,
        "0",
    )


async def test_open_buy_orders_hold_back_buying_power(env: Any) -> None:
    client, adapters, _ = env
    await quote(adapters, "JPM", "150")
    r = await client.post(
        "/api/v1/orders",
        headers=auth(ALICE),
        json={"symbol": "JPM", "side": "buy", "qty": 10, "type": "limit", "limit_price": "140", "time_in_force": "gtc"},
    )
    assert r.status_code == 202, r.text
    last = [r for r in adapters.store().outbox if r.topic == ORDER_EVENTS][-1]
    await adapters.read_model().apply(parse_order_event(last.payload))  # the projection's job

    account = (await client.get("/api/v1/account", headers=auth(ALICE))).json()

    assert (account["reserved_for_open_orders"], account["buying_power"], account["cash"]) == (
        "1400",
        "98600",
        "100000",
    )
    assert account["open_buy_orders"] == 1


async def test_a_flat_position_keeps_its_realized_pl_and_leaves_the_list(env: Any) -> None:
    client, adapters, alice = env
    await fill(adapters, alice, "XOM", "buy", 5, "80")
    await fill(adapters, alice, "XOM", "sell", 5, "82.5")

    assert (await client.get("/api/v1/positions", headers=auth(ALICE))).json() == []
    xom = (await client.get("/api/v1/positions/XOM", headers=auth(ALICE))).json()
    assert (xom["qty"], xom["side"], xom["realized_pl"], xom["avg_entry_price"]) == (0, "flat", "12.5", None)


async def test_a_redelivered_fill_does_not_move_the_account(env: Any) -> None:
    client, adapters, alice = env
    first = await fill(adapters, alice, "AAPL", "buy", 10, "100")
    await quote(adapters, "AAPL", "100")
    before = (await client.get("/api/v1/account", headers=auth(ALICE))).json()
    await adapters.positions().apply_fill(first)  # redelivered: the same account_seq
    after = (await client.get("/api/v1/account", headers=auth(ALICE))).json()
    drop = {"as_of"}  # when the answer was made
    assert {k: v for k, v in after.items() if k not in drop} == {k: v for k, v in before.items() if k not in drop}
    assert D(after["cash"]) == D(100000) - 1000
    assert (await client.get("/api/v1/positions/AAPL", headers=auth(ALICE))).json()["qty"] == 10


async def test_errors_name_the_field_and_traders_see_only_their_own(env: Any) -> None:
    client, adapters, alice = env
    await fill(adapters, alice, "AMD", "buy", 1, "100")

    unknown = await client.get("/api/v1/positions/NOPE", headers=auth(ALICE))
    never = await client.get("/api/v1/positions/GE", headers=auth(ALICE))
    foreign = await client.get("/api/v1/positions/AMD", headers=auth(BOB))
    anonymous = await client.get("/api/v1/account")

    assert (
        unknown.status_code == 422
        and unknown.json()["error"] == "invalid_request"
        and unknown.json()["field"] == "symbol"
    )
    assert never.status_code == 404 and foreign.status_code == 404 and foreign.json()["error"] == "not_found"
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "unauthorized"
