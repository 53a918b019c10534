"""Place, cancel and amend on the in-memory twins: what is committed (order + outbox row, in one
unit of work), what is refused and by which rule, and that a refusal writes nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from tradewind.adapters.aws.memory.orders import MemoryUnitOfWork
from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.memory.read_model import MemoryOrderReadModel
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.application.accounts.users import CreateUser
from tradewind.application.orders.amend_order import AmendOrderHandler
from tradewind.application.orders.cancel_order import CancelOrderHandler
from tradewind.application.orders.place_order import AccountNotFound, Placed, PlaceOrderHandler
from tradewind.application.risk.check import RiskCheck
from tradewind.application.risk.rules import MaxConcentration, MaxOrderNotional, RiskContext, RiskRule
from tradewind.domain.clock import utcnow
from tradewind.domain.errors import (
    OrderNotAmendable,
    OrderNotCancelable,
    OrderNotFound,
    RiskRejected,
    RiskUnavailable,
)
from tradewind.domain.market import Quote
from tradewind.domain.orders.commands import AmendOrder, CancelOrder, parse_place_order
from tradewind.domain.orders.events import OrderAccepted, OrderFilled, OrderRejected
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import OrderStatus

CASH = "100000"  # with AAPL at 100: the 20 % concentration cap is 200 shares


def quote(symbol: str, last: str, *, age: float = 0.0) -> Quote:
    price = Decimal(last)
    return Quote(symbol, price - Decimal("0.01"), price + Decimal("0.01"), price, utcnow() - timedelta(seconds=age))


class YieldingPriceCache(MemoryPriceCache):
    """A cache that gives the loop away on every read, as a network round trip does, so two
    concurrent orders really interleave unless something serialises them."""

    async def get_many(self, symbols: Sequence[str]) -> dict[str, Quote]:
        await asyncio.sleep(0)  # a yield point, not synchronisation
        return await super().get_many(symbols)


class BrokenPriceCache(MemoryPriceCache):
    async def get_many(self, symbols: Sequence[str]) -> dict[str, Quote]:
        raise ConnectionError("redis is down")


@dataclass(frozen=True)
class CrashingRule:
    name: str = "crashing_rule"

    def check(self, order: Order, ctx: RiskContext) -> None:
        raise ZeroDivisionError("bug in a rule")


@dataclass
class Desk:
    store: MemoryStore
    prices: MemoryPriceCache
    account_id: uuid.UUID
    other_account_id: uuid.UUID
    rules: list[RiskRule] = field(default_factory=list)

    def uow(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store)

    def risk(self) -> RiskCheck:
        return RiskCheck(self.prices, self.rules)

    def place(self, **body: Any) -> Any:
        account = body.pop("account_id", self.account_id)
        cmd = parse_place_order(account, {"symbol": "AAPL", "side": "buy", "type": "market", **body})
        return PlaceOrderHandler(self.uow, self.risk())(cmd)

    def outbox(self) -> list[dict[str, Any]]:
        return [{"topic": r.topic, **json.loads(r.payload)} for r in self.store.outbox]

    async def fill(self, order: Order, qty: int, price: str) -> None:
        """What the projection does when the broker reports: the view moves, the row stays."""
        read_model = MemoryOrderReadModel(self.store)
        common = {
            "correlation_id": order.correlation_id,
            "account_id": order.account_id,
            "order_id": order.id,
            "symbol": order.symbol,
        }
        await read_model.apply(OrderAccepted(**common, broker_order_id="P-1"))
        await read_model.apply(
            OrderFilled(
                **common,
                fill_id=f"f-{qty}",
                side=order.side,
                fill_qty=qty,
                fill_price=Decimal(price),
                cum_qty=qty,
                avg_price=Decimal(price),
                leaves_qty=order.qty - qty,
                order_qty=order.qty,
                broker_order_id="P-1",
            )
        )


@pytest.fixture
async def desk() -> Desk:
    store = MemoryStore()
    create = CreateUser(lambda: MemoryUnitOfWork(store))
    alice = await create("alice", CASH)
    bob = await create("bob", CASH)
    prices = MemoryPriceCache()
    for symbol, last in (("AAPL", "100"), ("MSFT", "400")):
        await prices.put(quote(symbol, last))
    rules: list[RiskRule] = [MaxOrderNotional(Decimal("50000")), MaxConcentration(Decimal("0.20"))]
    return Desk(store, prices, alice.account.id, bob.account.id, rules)


def assert_nothing_written(desk: Desk) -> None:
    assert desk.store.orders == {} and desk.store.outbox == []


# -- place ---------------------------------------------------------------------------------------


async def test_place_commits_the_order_and_exactly_one_submitted_event(desk: Desk) -> None:
    placed = await desk.place(qty=10, client_order_id="c-1")
    assert placed.created and placed.order.status is OrderStatus.PENDING
    assert list(desk.store.orders) == [placed.order.id]
    [row] = desk.outbox()
    assert row["topic"] == "order.submitted" and row["type"] == "order.submitted"
    assert row["order_id"] == str(placed.order.id) and row["client_order_id"] == "c-1"
    assert row["account_id"] == str(desk.account_id) and row["qty"] == 10


async def test_a_retried_client_order_id_returns_the_same_order_and_writes_nothing(desk: Desk) -> None:
    first = await desk.place(qty=10, client_order_id="c-1")
    again = await desk.place(qty=10, client_order_id="c-1")
    assert again.created is False and again.order.id == first.order.id
    assert len(desk.store.orders) == 1 and len(desk.store.outbox) == 1


async def test_the_same_client_order_id_in_another_account_is_another_order(desk: Desk) -> None:
    mine = await desk.place(qty=10, client_order_id="c-1")
    theirs = await desk.place(qty=10, client_order_id="c-1", account_id=desk.other_account_id)
    assert theirs.created and theirs.order.id != mine.order.id


async def test_max_order_notional_rejects_and_writes_nothing(desk: Desk) -> None:
    desk.rules = [MaxOrderNotional(Decimal("5000"))]
    with pytest.raises(RiskRejected) as caught:
        await desk.place(qty=60)  # 60 x 100.01 > 5,000
    assert caught.value.rule == "max_order_notional" and caught.value.code == "risk_rejected"
    assert_nothing_written(desk)


async def test_a_limit_order_is_valued_at_its_limit(desk: Desk) -> None:
    desk.rules = [MaxOrderNotional(Decimal("5000"))]
    with pytest.raises(RiskRejected):
        await desk.place(qty=40, type="limit", limit_price="130")  # 5,200 at the limit, 4,000 at the touch
    assert_nothing_written(desk)


async def test_more_than_a_fifth_of_the_portfolio_in_one_name_is_rejected(desk: Desk) -> None:
    assert (await desk.place(qty=199)).created  # 19,901.99 of 100,000: under the cap
    with pytest.raises(RiskRejected) as caught:
        await desk.place(qty=60, symbol="MSFT")  # 24,000.60: over it, though under max notional
    assert caught.value.rule == "max_concentration"
    assert len(desk.store.orders) == 1


async def test_open_orders_count_towards_exposure(desk: Desk) -> None:
    await desk.place(qty=150)  # alone: 15,001.50, under the 20,000 cap
    with pytest.raises(RiskRejected) as caught:
        await desk.place(qty=150)  # together: 300 shares, over it
    assert caught.value.rule == "max_concentration"
    assert len(desk.store.orders) == 1 and len(desk.store.outbox) == 1


async def test_concurrent_orders_cannot_jointly_breach_a_limit_each_passes_alone(desk: Desk) -> None:
    desk.prices = YieldingPriceCache()
    await desk.prices.put(quote("AAPL", "100"))
    results = await asyncio.gather(desk.place(qty=150), desk.place(qty=150), return_exceptions=True)
    placed = [r for r in results if isinstance(r, Placed)]
    rejected = [r for r in results if isinstance(r, RiskRejected)]
    assert (len(placed), len(rejected)) == (1, 1), results
    assert rejected[0].rule == "max_concentration"
    assert len(desk.store.orders) == 1 and len(desk.store.outbox) == 1


async def test_a_reducing_sell_is_allowed_when_the_name_is_already_over_the_cap(desk: Desk) -> None:
    bought = await desk.place(qty=150)
    await desk.fill(bought.order, 150, "100")
    await desk.prices.put(quote("AAPL", "200"))  # 30,000 of 115,000: over the 20 % cap now
    with pytest.raises(RiskRejected) as caught:
        await desk.place(qty=1)
    assert caught.value.rule == "max_concentration"
    sold = await desk.place(qty=50, side="sell")
    assert sold.created


async def test_no_price_is_a_rejection_named_price_missing(desk: Desk) -> None:
    with pytest.raises(RiskRejected) as caught:
        await desk.place(qty=1, symbol="KO")
    assert caught.value.rule == "price_missing"
    assert_nothing_written(desk)


async def test_a_missing_price_for_a_name_already_held_also_rejects(desk: Desk) -> None:
    bought = await desk.place(qty=10, symbol="MSFT")
    await desk.fill(bought.order, 10, "400")
    desk.prices = MemoryPriceCache()
    await desk.prices.put(quote("AAPL", "100"))
    with pytest.raises(RiskRejected) as caught:
        await desk.place(qty=1)  # cannot value the portfolio without MSFT
    assert caught.value.rule == "price_missing" and "MSFT" in caught.value.detail


async def test_a_quote_older_than_five_seconds_is_a_rejection_named_price_stale(desk: Desk) -> None:
    await desk.prices.put(quote("AAPL", "100", age=6))
    with pytest.raises(RiskRejected) as caught:
        await desk.place(qty=1)
    assert caught.value.rule == "price_stale"
    assert_nothing_written(desk)


async def test_a_price_cache_that_fails_makes_risk_unavailable(desk: Desk) -> None:
    desk.prices = BrokenPriceCache()
    with pytest.raises(RiskUnavailable) as caught:
        await desk.place(qty=1)
    assert caught.value.rule == "price_cache" and caught.value.code == "risk_unavailable"
    assert_nothing_written(desk)


async def test_a_rule_that_crashes_fails_closed(desk: Desk) -> None:
    desk.rules = [MaxOrderNotional(Decimal("50000")), CrashingRule()]
    with pytest.raises(RiskUnavailable) as caught:
        await desk.place(qty=1)
    assert caught.value.rule == "crashing_rule"
    assert_nothing_written(desk)


async def test_an_unknown_account_cannot_place(desk: Desk) -> None:
    with pytest.raises(AccountNotFound):
        await desk.place(qty=1, account_id=uuid.uuid4())
    assert_nothing_written(desk)


async def test_a_failed_check_releases_the_account_lock(desk: Desk) -> None:
    with pytest.raises(RiskRejected):
        await desk.place(qty=1, symbol="KO")
    assert not desk.store.lock_for(desk.account_id).locked()
    assert (await desk.place(qty=1)).created


# -- cancel ------------------------------------------------------------------------------------------


async def test_cancel_writes_a_cancel_requested_event(desk: Desk) -> None:
    placed = await desk.place(qty=10)
    order = await CancelOrderHandler(desk.uow)(CancelOrder(desk.account_id, placed.order.id))
    assert order.id == placed.order.id
    submitted, cancel = desk.outbox()
    assert (cancel["topic"], cancel["type"]) == ("order.canceled", "order.cancel_requested")
    assert cancel["order_id"] == str(placed.order.id)
    assert cancel["correlation_id"] == submitted["correlation_id"]


async def test_a_final_order_is_not_cancelable(desk: Desk) -> None:
    placed = await desk.place(qty=10)
    o = placed.order
    await MemoryOrderReadModel(desk.store).apply(
        OrderRejected(
            correlation_id=o.correlation_id, account_id=o.account_id, order_id=o.id, symbol=o.symbol, reason="no"
        )
    )
    with pytest.raises(OrderNotCancelable) as caught:
        await CancelOrderHandler(desk.uow)(CancelOrder(desk.account_id, o.id))
    assert caught.value.code == "order_not_cancelable"
    assert len(desk.store.outbox) == 1


async def test_another_accounts_order_is_not_found(desk: Desk) -> None:
    theirs = await desk.place(qty=10, account_id=desk.other_account_id)
    with pytest.raises(OrderNotFound):
        await CancelOrderHandler(desk.uow)(CancelOrder(desk.account_id, theirs.order.id))
    with pytest.raises(OrderNotFound):
        await AmendOrderHandler(desk.uow, desk.risk())(AmendOrder(desk.account_id, theirs.order.id, qty=5))
    assert len(desk.store.outbox) == 1


# -- amend -------------------------------------------------------------------------------------------


async def test_amend_writes_an_amend_requested_event(desk: Desk) -> None:
    placed = await desk.place(qty=10, type="limit", limit_price="99")
    amend = AmendOrder(desk.account_id, placed.order.id, qty=20, limit_price=Decimal("98.5"))
    await AmendOrderHandler(desk.uow, desk.risk())(amend)
    _, row = desk.outbox()
    assert (row["topic"], row["type"]) == ("order.amended", "order.amend_requested")
    assert row["qty"] == 20 and row["limit_price"] == "98.5"


async def test_amend_below_the_filled_qty_is_refused(desk: Desk) -> None:
    placed = await desk.place(qty=100, type="limit", limit_price="101")
    await desk.fill(placed.order, 60, "100")
    with pytest.raises(OrderNotAmendable) as caught:
        await AmendOrderHandler(desk.uow, desk.risk())(AmendOrder(desk.account_id, placed.order.id, qty=50))
    assert caught.value.field == "qty"
    assert len(desk.store.outbox) == 1


async def test_an_amend_that_breaches_a_limit_is_rejected_and_writes_nothing(desk: Desk) -> None:
    placed = await desk.place(qty=100, type="limit", limit_price="100")
    with pytest.raises(RiskRejected) as caught:
        await AmendOrderHandler(desk.uow, desk.risk())(AmendOrder(desk.account_id, placed.order.id, qty=300))
    assert caught.value.rule == "max_concentration"
    assert len(desk.store.outbox) == 1
