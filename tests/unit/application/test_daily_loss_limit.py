"""The daily loss limit (issue 13), end to end on the in-memory twins: the first check of the
session keeps the account's equity; realized plus unrealized loss since then is the equity's
fall; a loss above the limit refuses every order that would not reduce the account's positions
(rule ``daily_loss_limit``, naming the numbers), moves the account to ``reducing`` (recorded in
``risk.events``, with who and why), and stays there when the market comes back."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from tradewind.adapters.aws.memory.orders import MemoryUnitOfWork
from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.application.accounts.users import CreateUser
from tradewind.application.orders.amend_order import AmendOrderHandler
from tradewind.application.orders.ledger import OrderLedger
from tradewind.application.orders.place_order import PlaceOrderHandler
from tradewind.application.risk.check import RiskCheck
from tradewind.application.risk.rules import BuyingPower
from tradewind.application.risk.session import DAILY_LOSS_ACTOR, SessionSweep
from tradewind.application.topics import RISK_EVENTS
from tradewind.domain.clock import utcnow
from tradewind.domain.errors import RiskRejected
from tradewind.domain.market import Quote
from tradewind.domain.orders.commands import AmendOrder, parse_place_order
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.reports import ReportKind, VenueReport, report_id_for
from tradewind.domain.risk.daily_loss import breach, session_of
from tradewind.domain.risk.limits import RiskLimits
from tradewind.domain.risk.trading_state import TradingState

D = Decimal


class Desk:
    def __init__(self, store: MemoryStore, account_id: uuid.UUID, prices: MemoryPriceCache) -> None:
        self.store, self.account_id, self.prices = store, account_id, prices
        self.risk = RiskCheck(prices, [BuyingPower()], RiskLimits(daily_loss_limit=D("1000")))

    def uow(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store)

    async def mark(self, last: str) -> None:
        price = D(last)
        await self.prices.put(Quote("AAPL", price - D("0.01"), price + D("0.01"), price, utcnow()))

    async def place(self, side: str, qty: int, **body: Any) -> Order:
        cmd = parse_place_order(self.account_id, {"symbol": "AAPL", "side": side, "type": "market", "qty": qty, **body})
        return (await PlaceOrderHandler(self.uow, self.risk)(cmd)).order

    async def fill(self, order: Order, price: str) -> None:
        for kind, extra in (
            (ReportKind.NEW, {"leaves_qty": order.qty}),
            (
                ReportKind.FILL,
                {
                    "cum_qty": order.qty,
                    "leaves_qty": 0,
                    "last_qty": order.qty,
                    "last_price": D(price),
                    "avg_price": D(price),
                },
            ),
        ):
            exec_id = f"{kind.value}-{order.id.hex[:8]}"
            await OrderLedger(self.uow)(
                VenueReport(
                    report_id=report_id_for(order.id, exec_id),
                    account_id=order.account_id,
                    order_id=order.id,
                    kind=kind,
                    exec_id=exec_id,
                    broker_order_id="P-1",
                    symbol=order.symbol,
                    side=order.side,
                    order_qty=order.qty,
                    **extra,
                )
            )

    def state(self) -> tuple[TradingState, str | None]:
        return self.store.trading_states.get(self.account_id, (TradingState.ACTIVE, None))

    def state_changes(self) -> list[dict[str, Any]]:
        rows = [json.loads(r.payload) for r in self.store.outbox if r.topic == RISK_EVENTS]
        return [r for r in rows if r["type"] == "risk.trading_state_changed"]


@pytest.fixture
async def desk() -> Desk:
    store = MemoryStore()
    alice = await CreateUser(lambda: MemoryUnitOfWork(store))("alice", "100000")
    prices = MemoryPriceCache()
    d = Desk(store, alice.account.id, prices)
    await d.mark("100")
    return d


async def holding_100_aapl(desk: Desk) -> None:
    """The session starts at 100,000 equity (the first check keeps it), then buys 100 AAPL at 100."""
    bought = await desk.place("buy", 100)
    assert desk.store.sessions[desk.account_id] == (session_of(utcnow()), D("100000"))
    await desk.fill(bought, "100")


@pytest.mark.parametrize(
    ("last", "refused"),
    [("90.01", False), ("90", False), ("89.99", True)],
    ids=["below-the-limit", "at-the-limit", "above-the-limit"],
)
async def test_a_loss_above_the_limit_refuses_a_buy_and_moves_the_account_to_reducing(
    desk: Desk, last: str, refused: bool
) -> None:
    await holding_100_aapl(desk)
    await desk.mark(last)  # 100 shares lose 100 x (100 - last): 999, 1,000, 1,001
    if not refused:
        await desk.place("buy", 1)
        assert desk.state() == (TradingState.ACTIVE, None) and desk.state_changes() == []
        return
    with pytest.raises(RiskRejected) as caught:
        await desk.place("buy", 1)
    assert caught.value.rule == "daily_loss_limit"
    assert "lost 1001.00" in str(caught.value) and "the limit is 1000.00" in str(caught.value)
    state, why = desk.state()
    assert state is TradingState.REDUCING and why is not None and "lost 1001.00" in why
    (change,) = desk.state_changes()
    assert (change["state"], change["previous"], change["changed_by"]) == ("reducing", "active", DAILY_LOSS_ACTOR)
    assert len([o for o in desk.store.orders.values() if o.qty == 1]) == 0  # nothing placed


async def test_after_the_breach_only_reducing_orders_pass_even_when_the_market_recovers(desk: Desk) -> None:
    await holding_100_aapl(desk)
    await desk.mark("85")
    with pytest.raises(RiskRejected):
        await desk.place("buy", 1)
    sold = await desk.place("sell", 40)  # reduces the position: accepted
    assert sold.qty == 40
    await desk.mark("120")  # back above the start: the account stays reducing until an admin says
    with pytest.raises(RiskRejected) as caught:
        await desk.place("buy", 1)
    assert caught.value.rule == "trading_state"
    assert len(desk.state_changes()) == 1


async def test_a_reducing_order_that_crosses_the_limit_passes_and_still_moves_the_account(desk: Desk) -> None:
    await holding_100_aapl(desk)
    await desk.mark("80")  # lost 2,000
    sold = await desk.place("sell", 100)
    assert sold.qty == 100
    assert desk.state()[0] is TradingState.REDUCING and len(desk.state_changes()) == 1


async def test_an_amend_that_grows_the_position_is_refused_after_the_breach(desk: Desk) -> None:
    await holding_100_aapl(desk)
    resting = await desk.place("buy", 1, type="limit", limit_price="95")
    exec_id = "new-resting"
    await OrderLedger(desk.uow)(
        VenueReport(
            report_id=report_id_for(resting.id, exec_id),
            account_id=desk.account_id,
            order_id=resting.id,
            kind=ReportKind.NEW,
            exec_id=exec_id,
            broker_order_id="P-2",
            symbol="AAPL",
            side=resting.side,
            order_qty=1,
            leaves_qty=1,
        )
    )
    await desk.mark("85")
    with pytest.raises(RiskRejected) as caught:
        await AmendOrderHandler(desk.uow, desk.risk)(AmendOrder(desk.account_id, resting.id, qty=5))
    assert caught.value.rule == "daily_loss_limit"
    assert desk.state()[0] is TradingState.REDUCING
    assert desk.store.orders[resting.id].pending_qty is None  # the amend wrote nothing


async def test_a_new_session_takes_a_new_start(desk: Desk) -> None:
    yesterday = session_of(utcnow()) - timedelta(days=1)
    desk.store.sessions[desk.account_id] = (yesterday, D("500000"))  # yesterday's start: not today's
    await desk.place("buy", 1)  # 400,000 "lost" against yesterday's start would refuse it
    assert desk.store.sessions[desk.account_id] == (session_of(utcnow()), D("100000"))


def test_breach_is_strictly_above_the_limit_and_needs_a_start_and_a_limit() -> None:
    assert breach(D("100"), D("90"), D("10")) is None
    assert breach(D("100"), D("89.99"), D("10")) is not None
    assert breach(None, D("0"), D("10")) is None
    assert breach(D("100"), D("0"), None) is None
    assert breach(D("100"), D("150"), D("0")) is None  # up on the day


# -- the worker's sweep: accounts that hold positions and place no order ---------------------------


async def test_the_sweep_moves_an_idle_account_whose_loss_crossed_the_limit(desk: Desk) -> None:
    await holding_100_aapl(desk)
    sweep = SessionSweep(desk.uow, desk.prices, D("1000"))
    await desk.mark("90")  # lost exactly the limit: nothing happens
    assert (await sweep()).moved_to_reducing == 0 and desk.state()[0] is TradingState.ACTIVE
    await desk.mark("89.99")
    result = await sweep()
    assert result.moved_to_reducing == 1
    state, why = desk.state()
    assert state is TradingState.REDUCING and why is not None and "lost 1001.00" in why
    assert (await sweep()).moved_to_reducing == 0  # once
    assert len(desk.state_changes()) == 1


async def test_the_sweep_takes_the_start_of_an_account_that_has_not_traded_this_session(desk: Desk) -> None:
    await holding_100_aapl(desk)
    del desk.store.sessions[desk.account_id]  # a new session: nothing kept yet
    await desk.mark("95")
    result = await SessionSweep(desk.uow, desk.prices, None)()
    assert result.starts_taken == 1
    assert desk.store.sessions[desk.account_id] == (session_of(utcnow()), D("99500"))  # 90,000 + 100 x 95


async def test_the_sweep_never_guesses_an_equity_without_a_fresh_price(desk: Desk) -> None:
    await holding_100_aapl(desk)
    del desk.store.sessions[desk.account_id]
    await desk.prices.put(Quote("AAPL", D("50"), D("50.02"), D("50.01"), utcnow() - timedelta(minutes=5)))
    result = await SessionSweep(desk.uow, desk.prices, D("1"))()
    assert (result.skipped_unpriced, result.starts_taken, result.moved_to_reducing) == (1, 0, 0)
    assert desk.account_id not in desk.store.sessions and desk.state()[0] is TradingState.ACTIVE
