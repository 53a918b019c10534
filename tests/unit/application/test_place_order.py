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

from tradewind.adapters.aws.memory.orders import MemoryOrderLookup, MemoryUnitOfWork
from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.application.accounts.users import CreateUser
from tradewind.application.orders.amend_order import AmendOrderHandler
from tradewind.application.orders.cancel_order import CancelOrderHandler
from tradewind.application.orders.ledger import OrderLedger
from tradewind.application.orders.place_order import AccountNotFound, Placed, PlaceOrderHandler
from tradewind.application.risk.check import RiskCheck
from tradewind.application.risk.rules import MaxConcentration, MaxOrderNotional, RiskContext, RiskRule
from tradewind.application.topics import ORDER_COMMANDS, ORDER_EVENTS, RISK_EVENTS
from tradewind.domain.clock import utcnow
from tradewind.domain.errors import (
    ClientOrderIdReused,
    OrderNotAmendable,
    OrderNotCancelable,
    OrderNotFound,
    RiskRejected,
    RiskUnavailable,
)
from tradewind.domain.market import Quote
from tradewind.domain.orders.commands import AmendOrder, CancelOrder, parse_place_order
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.reports import ReportKind, VenueReport, report_id_for
from tradewind.domain.orders.status import OrderStatus

CASH = "100000"  # with AAPL at 100: the 20 % concentration cap is 200 shares


def quote(symbol: str, last: str, *, age: float = 0.0) -> Quote:
    price = Decimal(last)
    return Quote(symbol, price - Decimal("0.01"), price + Decimal("0.01"), price, utcnow() - timedelta(seconds=age))


def order_rows(store: Any) -> list[Any]:
    """The outbox rows of order topics (risk decisions go to ``risk.events``, checked apart)."""
    return [r for r in store.outbox if r.topic != RISK_EVENTS]


def risk_rows(store: Any) -> list[dict[str, Any]]:
    return [json.loads(r.payload) for r in store.outbox if r.topic == RISK_EVENTS]


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
        return [{"topic": r.topic, **json.loads(r.payload)} for r in order_rows(self.store)]

    def events(self) -> list[dict[str, Any]]:
        """The ``order.events`` rows of the outbox: one per order event, numbered."""
        return [row for row in self.outbox() if row["topic"] == ORDER_EVENTS]

    async def report(self, order: Order, kind: ReportKind, exec_id: str | None = None, **fields: Any) -> None:
        """What the venue says, through the OMS ledger (the one writer of orders after the command side)."""
        exec_id = exec_id or f"{kind.value}-{uuid.uuid4().hex[:8]}"
        report = VenueReport(
            report_id=report_id_for(order.id, exec_id),
            account_id=order.account_id,
            order_id=order.id,
            kind=kind,
            exec_id=exec_id,
            broker_order_id="P-1",
            symbol=order.symbol,
            side=order.side,
            **{"order_qty": order.qty, **fields},
        )
        await OrderLedger(self.uow)(report)
        assert self.store.reports[report.report_id]["outcome"] == "applied", self.store.reports[report.report_id]

    async def ack(self, order: Order) -> None:
        await self.report(order, ReportKind.NEW, leaves_qty=order.qty)

    async def fill(self, order: Order, qty: int, price: str) -> None:
        """The venue acknowledges the order and fills ``qty`` at ``price``: the ledger's position and
        cash move (risk reads them), the order stays open for the rest."""
        await self.ack(order)
        await self.report(
            order,
            ReportKind.FILL,
            cum_qty=qty,
            leaves_qty=order.qty - qty,
            last_qty=qty,
            last_price=Decimal(price),
            avg_price=Decimal(price),
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
    assert desk.store.orders == {} and order_rows(desk.store) == []


# -- place ---------------------------------------------------------------------------------------


async def test_place_commits_the_order_and_exactly_one_submitted_event(desk: Desk) -> None:
    placed = await desk.place(qty=10, client_order_id="c-1")
    assert placed.created and placed.order.status is OrderStatus.PENDING
    assert list(desk.store.orders) == [placed.order.id]
    assert desk.store.open_orders[desk.account_id] == {placed.order.id}
    command, event = desk.outbox()  # one event, to the gateway and to the projections
    assert (command["topic"], event["topic"]) == (ORDER_COMMANDS, ORDER_EVENTS)
    assert {k: v for k, v in command.items() if k != "topic"} == {k: v for k, v in event.items() if k != "topic"}
    assert event["type"] == "order.submitted"
    assert event["order_id"] == str(placed.order.id) and event["client_order_id"] == "c-1"
    assert event["account_id"] == str(desk.account_id) and event["qty"] == 10
    assert (event["order_seq"], event["account_seq"]) == (1, 1)  # numbered by the ledger
    assert {r.key for r in order_rows(desk.store)} == {str(desk.account_id)}  # keyed by account
    assert placed.order.order_seq == 1 and desk.store.orders[placed.order.id].order_seq == 1


async def test_the_order_is_readable_from_the_ledger_as_soon_as_it_is_placed(desk: Desk) -> None:
    """Read your writes: the lookup behind GET /orders/{id} reads the ledger, not the projection."""
    placed = await desk.place(qty=10, client_order_id="c-1")
    found = await MemoryOrderLookup(desk.store).get(desk.account_id, placed.order.id)
    assert found is not None and (found.id, found.status, found.qty) == (placed.order.id, OrderStatus.PENDING, 10)
    assert desk.store.views == {}  # nothing projected yet
    assert await MemoryOrderLookup(desk.store).get(desk.other_account_id, placed.order.id) is None


async def test_a_retried_client_order_id_returns_the_same_order_and_writes_nothing(desk: Desk) -> None:
    first = await desk.place(qty=10, client_order_id="c-1")
    again = await desk.place(qty=10, client_order_id="c-1")
    assert again.created is False and again.order.id == first.order.id
    assert len(desk.store.orders) == 1 and len(order_rows(desk.store)) == 2
    assert desk.store.account_seqs[desk.account_id] == 1  # no number spent on the retry


@pytest.mark.parametrize(
    "changed",
    [{"qty": 11}, {"side": "sell"}, {"symbol": "MSFT"}, {"type": "limit", "limit_price": "99"}],
    ids=["qty", "side", "symbol", "type"],
)
async def test_the_same_client_order_id_with_another_order_is_refused_naming_the_first(
    desk: Desk, changed: dict[str, Any]
) -> None:
    first = await desk.place(qty=10, client_order_id="c-1")
    with pytest.raises(ClientOrderIdReused) as caught:
        await desk.place(**{"qty": 10, "client_order_id": "c-1", **changed})
    assert caught.value.code == "client_order_id_reused" and caught.value.field == "client_order_id"
    assert caught.value.order_id == str(first.order.id) and str(first.order.id) in caught.value.detail
    assert list(desk.store.orders) == [first.order.id] and len(order_rows(desk.store)) == 2


async def test_a_retry_is_judged_on_the_order_as_placed_not_as_amended(desk: Desk) -> None:
    first = await desk.place(qty=10, client_order_id="c-1")
    await desk.ack(first.order)
    await AmendOrderHandler(desk.uow, desk.risk())(AmendOrder(desk.account_id, first.order.id, qty=20))
    again = await desk.place(qty=10, client_order_id="c-1")
    assert again.created is False and again.order.id == first.order.id
    with pytest.raises(ClientOrderIdReused):
        await desk.place(qty=20, client_order_id="c-1")


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
    assert len(desk.store.orders) == 1 and len(order_rows(desk.store)) == 2


async def test_a_pending_amend_counts_at_its_larger_size_for_a_new_order(desk: Desk) -> None:
    """The issue's race: amend a resting order to 15 % of the portfolio, then place a new 15 %
    order at once. The amend is not confirmed yet, but risk counts it at 150 shares from the
    amend's commit on, so the second order breaches the 20 % rule and is refused."""
    resting = await desk.place(qty=10, type="limit", limit_price="100")
    await desk.ack(resting.order)
    amended = await AmendOrderHandler(desk.uow, desk.risk())(AmendOrder(desk.account_id, resting.order.id, qty=150))
    assert (amended.status, amended.qty, amended.pending_qty) == (OrderStatus.PENDING_REPLACE, 10, 150)
    exposure = await desk.uow().orders.exposure(desk.account_id)
    assert [o.qty for o in exposure.open_orders] == [150]
    with pytest.raises(RiskRejected) as caught:
        await desk.place(qty=150)  # 150 + 150 shares; at the old size it would be 10 + 150, under the cap
    assert caught.value.rule == "max_concentration"
    assert len(desk.store.orders) == 1
    await desk.report(resting.order, ReportKind.REPLACE_REJECTED, leaves_qty=10, reason="venue refused")
    assert (await desk.place(qty=150)).created  # the venue said no: back at 10 shares


async def test_an_amend_down_counts_at_the_old_size_until_the_venue_confirms_it(desk: Desk) -> None:
    resting = await desk.place(qty=150, type="limit", limit_price="100")
    await desk.ack(resting.order)
    await AmendOrderHandler(desk.uow, desk.risk())(AmendOrder(desk.account_id, resting.order.id, qty=50))
    with pytest.raises(RiskRejected):
        await desk.place(qty=100)  # 150 (until confirmed) + 100 > 200
    await desk.report(resting.order, ReportKind.REPLACED, order_qty=50, leaves_qty=50, limit_price=Decimal("100"))
    assert desk.store.orders[resting.order.id].qty == 50
    assert (await desk.place(qty=100)).created  # 50 + 100 <= 200


async def test_a_refused_amend_counts_at_the_old_size_again(desk: Desk) -> None:
    resting = await desk.place(qty=50, type="limit", limit_price="100")
    await desk.ack(resting.order)
    await AmendOrderHandler(desk.uow, desk.risk())(AmendOrder(desk.account_id, resting.order.id, qty=150))
    await desk.report(resting.order, ReportKind.REPLACE_REJECTED, leaves_qty=50, reason="venue refused")
    row = desk.store.orders[resting.order.id]
    assert (row.status, row.qty, row.pending_qty) == (OrderStatus.ACCEPTED, 50, None)
    assert (await desk.place(qty=149)).created  # 50 + 149 shares at 100.01 <= 20,000


async def test_concurrent_orders_cannot_jointly_breach_a_limit_each_passes_alone(desk: Desk) -> None:
    desk.prices = YieldingPriceCache()
    await desk.prices.put(quote("AAPL", "100"))
    results = await asyncio.gather(desk.place(qty=150), desk.place(qty=150), return_exceptions=True)
    placed = [r for r in results if isinstance(r, Placed)]
    rejected = [r for r in results if isinstance(r, RiskRejected)]
    assert (len(placed), len(rejected)) == (1, 1), results
    assert rejected[0].rule == "max_concentration"
    assert len(desk.store.orders) == 1 and len(order_rows(desk.store)) == 2


async def test_fills_applied_by_the_ledger_move_the_positions_and_cash_risk_reads(desk: Desk) -> None:
    bought = await desk.place(qty=150)
    await desk.fill(bought.order, 100, "100")
    exposure = await desk.uow().orders.exposure(desk.account_id)
    assert exposure.positions == {"AAPL": 100} and exposure.cash == Decimal(CASH) - 10000
    assert [(o.id, o.leaves_qty) for o in exposure.open_orders] == [(bought.order.id, 50)]
    sold = await desk.place(qty=40, side="sell")
    await desk.fill(sold.order, 40, "101")
    exposure = await desk.uow().orders.exposure(desk.account_id)
    assert exposure.positions == {"AAPL": 60} and exposure.cash == Decimal(CASH) - 10000 + 4040
    assert type(exposure.cash) is Decimal


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
    assert order.id == placed.order.id and order.status is OrderStatus.PENDING_CANCEL
    assert desk.store.orders[order.id].status is OrderStatus.PENDING_CANCEL  # the ledger's status
    submitted, _, command, cancel = desk.outbox()
    assert (command["topic"], cancel["topic"]) == (ORDER_COMMANDS, ORDER_EVENTS)
    assert command["event_id"] == cancel["event_id"] and cancel["type"] == "order.cancel_requested"
    assert cancel["order_id"] == str(placed.order.id)
    assert cancel["correlation_id"] == submitted["correlation_id"]
    assert (cancel["order_seq"], cancel["account_seq"]) == (2, 2)


async def test_a_second_cancel_while_one_is_in_flight_is_refused(desk: Desk) -> None:
    placed = await desk.place(qty=10)
    await CancelOrderHandler(desk.uow)(CancelOrder(desk.account_id, placed.order.id))
    with pytest.raises(OrderNotCancelable, match="in flight"):
        await CancelOrderHandler(desk.uow)(CancelOrder(desk.account_id, placed.order.id))
    assert len(order_rows(desk.store)) == 4


async def test_a_final_order_is_not_cancelable(desk: Desk) -> None:
    placed = await desk.place(qty=10)
    o = placed.order
    await desk.report(o, ReportKind.REJECTED, reason="no")
    assert desk.store.orders[o.id].status is OrderStatus.REJECTED and desk.store.open_orders[desk.account_id] == set()
    with pytest.raises(OrderNotCancelable) as caught:
        await CancelOrderHandler(desk.uow)(CancelOrder(desk.account_id, o.id))
    assert caught.value.code == "order_not_cancelable"
    assert len(order_rows(desk.store)) == 3  # the submission (two rows) and the rejection


async def test_another_accounts_order_is_not_found(desk: Desk) -> None:
    theirs = await desk.place(qty=10, account_id=desk.other_account_id)
    with pytest.raises(OrderNotFound):
        await CancelOrderHandler(desk.uow)(CancelOrder(desk.account_id, theirs.order.id))
    with pytest.raises(OrderNotFound):
        await AmendOrderHandler(desk.uow, desk.risk())(AmendOrder(desk.account_id, theirs.order.id, qty=5))
    assert len(order_rows(desk.store)) == 2


# -- amend -------------------------------------------------------------------------------------------


async def test_amend_writes_an_amend_requested_event(desk: Desk) -> None:
    placed = await desk.place(qty=10, type="limit", limit_price="99")
    await desk.ack(placed.order)
    amend = AmendOrder(desk.account_id, placed.order.id, qty=20, limit_price=Decimal("98.5"))
    order = await AmendOrderHandler(desk.uow, desk.risk())(amend)
    assert (order.status, order.pending_qty, order.pending_limit_price) == (
        OrderStatus.PENDING_REPLACE,
        20,
        Decimal("98.5"),
    )
    *_, command, row = desk.outbox()
    assert (command["topic"], row["topic"]) == (ORDER_COMMANDS, ORDER_EVENTS)
    assert command["event_id"] == row["event_id"] and row["type"] == "order.amend_requested"
    assert row["qty"] == 20 and row["limit_price"] == "98.5"
    assert [e["account_seq"] for e in desk.events()] == [1, 2, 3]  # submitted, accepted, amend: gap-free


async def test_an_order_not_yet_acknowledged_cannot_be_amended(desk: Desk) -> None:
    placed = await desk.place(qty=10, type="limit", limit_price="99")
    with pytest.raises(OrderNotAmendable, match="not yet acknowledged"):
        await AmendOrderHandler(desk.uow, desk.risk())(AmendOrder(desk.account_id, placed.order.id, qty=20))
    assert desk.store.orders[placed.order.id].status is OrderStatus.PENDING and len(order_rows(desk.store)) == 2


async def test_amend_below_the_filled_qty_is_refused(desk: Desk) -> None:
    placed = await desk.place(qty=100, type="limit", limit_price="101")
    await desk.fill(placed.order, 60, "100")
    with pytest.raises(OrderNotAmendable) as caught:
        await AmendOrderHandler(desk.uow, desk.risk())(AmendOrder(desk.account_id, placed.order.id, qty=50))
    assert caught.value.field == "qty"
    assert len(order_rows(desk.store)) == 4  # submission (two rows), accepted, filled: no amend


async def test_an_amend_that_breaches_a_limit_is_rejected_and_writes_nothing(desk: Desk) -> None:
    placed = await desk.place(qty=100, type="limit", limit_price="100")
    await desk.ack(placed.order)
    with pytest.raises(RiskRejected) as caught:
        await AmendOrderHandler(desk.uow, desk.risk())(AmendOrder(desk.account_id, placed.order.id, qty=300))
    assert caught.value.rule == "max_concentration"
    assert len(order_rows(desk.store)) == 3
    row = desk.store.orders[placed.order.id]
    assert (row.status, row.qty, row.pending_qty) == (OrderStatus.ACCEPTED, 100, None)


async def test_an_amends_risk_decision_is_recorded_accepted_or_refused(desk: Desk) -> None:
    placed = await desk.place(qty=100, type="limit", limit_price="100")
    await desk.ack(placed.order)
    await AmendOrderHandler(desk.uow, desk.risk())(AmendOrder(desk.account_id, placed.order.id, qty=150))
    await desk.report(placed.order, ReportKind.REPLACED, order_qty=150, leaves_qty=150)
    with pytest.raises(RiskRejected):
        await AmendOrderHandler(desk.uow, desk.risk())(AmendOrder(desk.account_id, placed.order.id, qty=300))
    amends = [r for r in risk_rows(desk.store) if r.get("action") == "amend"]
    assert [(r["accepted"], r["rule"], r["order_id"]) for r in amends] == [
        (True, None, str(placed.order.id)),
        (False, "max_concentration", str(placed.order.id)),
    ]
    assert "exposure would be" in amends[1]["detail"]


async def test_every_risk_decision_is_recorded_accepted_or_refused(desk: Desk) -> None:
    desk.rules = [MaxOrderNotional(Decimal("5000"))]
    placed = await desk.place(qty=10)
    with pytest.raises(RiskRejected):
        await desk.place(qty=900_000)
    accepted, refused = risk_rows(desk.store)
    assert (accepted["type"], accepted["accepted"], accepted["order_id"]) == (
        "risk.decision",
        True,
        str(placed.order.id),
    )
    assert (refused["accepted"], refused["rule"]) == (False, "max_order_notional") and refused["detail"]
    assert len(desk.store.orders) == 1  # the refused order itself left nothing else
