"""The order core as a property (issue 11): for any interleaving of a trader's commands (place,
cancel, amend) and the venue's reports for one account, redeliveries of reports and of
``order.events`` included,

* the OMS ledger equals a sequential replay: the same commands and the venue's reports, each
  once, in the venue's order, on a fresh ledger;
* the order read model and the positions view, fed from the ledger's ``order.events`` with
  redeliveries, equal the ledger;
* ``account_seq`` is gap-free (1, 2, 3, ...) and every order's ``order_seq`` too.

On the in-memory twins (they pass the same contract suites as PostgreSQL and DynamoDB), so
hypothesis can try hundreds of interleavings in seconds.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradewind.adapters.aws.memory.orders import MemoryUnitOfWork
from tradewind.adapters.aws.memory.positions import MemoryPositionStore
from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.memory.read_model import MemoryOrderReadModel
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.application.orders.amend_order import AmendOrderHandler
from tradewind.application.orders.cancel_order import CancelOrderHandler
from tradewind.application.orders.ledger import OrderLedger
from tradewind.application.orders.place_order import PlaceOrderHandler
from tradewind.application.risk.check import RiskCheck
from tradewind.application.topics import ORDER_EVENTS
from tradewind.domain.accounts import Account
from tradewind.domain.errors import DomainError
from tradewind.domain.market import Quote
from tradewind.domain.orders.commands import AmendOrder, CancelOrder, PlaceOrder
from tradewind.domain.orders.events import OrderFilled, parse_order_event
from tradewind.domain.orders.reports import ReportKind, VenueReport, report_id_for
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

ACCOUNT = uuid.UUID("00000000-0000-0000-0000-0000000000a1")
PRICE = Decimal("100")


@dataclass
class VenueOrder:
    """The venue's side of one order: what it has acknowledged, filled, and whether it ended."""

    order_id: uuid.UUID
    side: OrderSide
    qty: int
    acked: bool = False
    cum: int = 0
    cost: Decimal = Decimal(0)
    ended: bool = False
    amend_to: int | None = None  # an amend the venue was asked for and has not answered
    cancel_asked: bool = False
    execs: int = 0


@dataclass
class Platform:
    store: MemoryStore = field(default_factory=MemoryStore)

    def __post_init__(self) -> None:
        self.store.accounts[ACCOUNT] = Account(ACCOUNT, "prop", Decimal("10000000"), datetime.now(UTC))
        prices = MemoryPriceCache()
        self.prices = prices
        risk = RiskCheck(prices, [])
        uow = partial(MemoryUnitOfWork, self.store)
        self.place = PlaceOrderHandler(uow, risk)
        self.cancel = CancelOrderHandler(uow)
        self.amend = AmendOrderHandler(uow, risk)
        self.ledger = OrderLedger(uow)

    async def run(self, step: tuple[Any, ...]) -> bool:
        """``False`` when the command side refused the command (the venue never hears of it)."""
        kind = step[0]
        try:
            if kind == "place":
                await self.prices.put(Quote("AAPL", PRICE, PRICE, PRICE, datetime.now(UTC)))
                _, order_id, side, qty = step
                cmd = PlaceOrder(ACCOUNT, "AAPL", side, qty, OrderType.MARKET, TimeInForce.DAY, str(order_id))
                await self.place(cmd)
            elif kind == "cancel":
                await self.cancel(CancelOrder(ACCOUNT, self.order_id(step[1])))
            elif kind == "amend":
                await self.prices.put(Quote("AAPL", PRICE, PRICE, PRICE, datetime.now(UTC)))
                await self.amend(AmendOrder(ACCOUNT, self.order_id(step[1]), qty=step[2]))
            elif kind == "report":
                await self.ledger(step[1])
        except DomainError:
            return False  # refused commands (not cancelable, not amendable) are answers, not failures
        return True

    def order_id(self, client_order_id: uuid.UUID) -> uuid.UUID:
        return self.store.client_ids[(ACCOUNT, str(client_order_id))]

    def events(self) -> list[Any]:
        return [parse_order_event(r.payload) for r in self.store.outbox if r.topic == ORDER_EVENTS]


def report(v: VenueOrder, kind: ReportKind, **fields: Any) -> VenueReport:
    v.execs += 1
    exec_id = f"{kind.value}-{v.execs}"
    return VenueReport(
        report_id=report_id_for(v.order_id, exec_id),
        account_id=ACCOUNT,
        order_id=v.order_id,
        kind=kind,
        exec_id=exec_id,
        broker_order_id=f"B-{v.order_id.hex[:6]}",
        symbol="AAPL",
        side=v.side,
        order_qty=v.qty,
        cum_qty=v.cum,
        leaves_qty=0 if v.ended else v.qty - v.cum,
        avg_price=(v.cost / v.cum) if v.cum else None,
        **fields,
    )


def script(draw: Any) -> list[tuple[Any, ...]]:
    """Commands and the venue's answers in one interleaving. The venue only answers what it was
    asked (an amend or cancel that the command side accepted), as a real venue would."""
    steps: list[tuple[Any, ...]] = []
    venue: dict[uuid.UUID, VenueOrder] = {}
    platform_view: dict[uuid.UUID, str] = {}  # client order id -> what the trader asked last
    for _ in range(draw(st.integers(3, 40))):
        choice = draw(st.sampled_from(["place", "ack", "fill", "cancel", "amend", "answer", "redeliver"]))
        live = [v for v in venue.values() if not v.ended]
        if choice == "place" or not venue:
            coid = uuid.UUID(int=len(venue) + 1)
            side = draw(st.sampled_from([OrderSide.BUY, OrderSide.SELL]))
            qty = draw(st.integers(1, 50))
            steps.append(("place", coid, side, qty))
            venue[coid] = VenueOrder(coid, side, qty)  # the real order id is known once placed
            platform_view[coid] = "placed"
        elif choice == "ack" and (fresh := [v for v in live if not v.acked]):
            v = draw(st.sampled_from(fresh))
            v.acked = True
            steps.append(("venue", v.order_id, ReportKind.NEW, {}))
        elif choice == "fill" and (working := [v for v in live if v.acked and v.cum < v.qty]):
            v = draw(st.sampled_from(working))
            q = draw(st.integers(1, v.qty - v.cum))
            price = PRICE + draw(st.integers(-5, 5))
            steps.append(("venue", v.order_id, ReportKind.FILL, {"last_qty": q, "last_price": Decimal(price)}))
            v.cum += q
            v.cost += q * Decimal(price)
            if v.cum == v.qty:
                v.ended = True
        elif choice == "cancel" and venue:
            v = draw(st.sampled_from(list(venue.values())))
            steps.append(("cancel", v.order_id))
            v.cancel_asked = True
        elif choice == "amend" and live:
            v = draw(st.sampled_from(live))
            new_qty = draw(st.integers(v.cum + 1, v.cum + 60))
            steps.append(("amend", v.order_id, new_qty))
            v.amend_to = new_qty
        elif choice == "answer" and (asked := [v for v in live if v.cancel_asked or v.amend_to is not None]):
            v = draw(st.sampled_from(asked))
            if v.amend_to is not None and (not v.cancel_asked or draw(st.booleans())):
                if v.acked:
                    v.qty, v.amend_to = v.amend_to, None
                    steps.append(("venue", v.order_id, ReportKind.REPLACED, {}))
                else:
                    v.amend_to = None
                    steps.append(("venue", v.order_id, ReportKind.REPLACE_REJECTED, {"reason": "not working"}))
            elif v.cancel_asked:
                v.ended, v.cancel_asked = True, False
                steps.append(("venue", v.order_id, ReportKind.CANCELED, {}))
        elif choice == "redeliver":
            steps.append(("redeliver", draw(st.integers(0, 10_000))))
    return steps


async def play(steps: list[tuple[Any, ...]], *, redeliver: bool) -> tuple[Platform, list[VenueReport]]:
    """Run the script; venue steps become reports built from a venue replayed alongside."""
    platform = Platform()
    venue: dict[uuid.UUID, VenueOrder] = {}
    sent: list[VenueReport] = []
    amending: set[uuid.UUID] = set()  # orders whose amend the command side accepted (the venue has it)
    for step in steps:
        if step[0] == "place":
            await platform.run(step)
            _, coid, side, qty = step
            venue[coid] = VenueOrder(platform.order_id(coid), side, qty)
        elif step[0] in ("cancel", "amend"):
            if step[1] in venue and await platform.run(step) and step[0] == "amend":
                amending.add(step[1])
        elif step[0] == "venue":
            _, coid, kind, extra = step
            v = venue[coid]
            if kind in (ReportKind.REPLACED, ReportKind.REPLACE_REJECTED):
                if coid not in amending:
                    continue  # the venue was never asked
                amending.discard(coid)
            # The venue as it is in this run (the script drew against its own model of it): it never
            # reports on an order it has ended, nor fills more than is left.
            if v.ended or (kind is ReportKind.FILL and not v.acked):
                continue
            if kind is ReportKind.NEW:
                v.acked = True
            if kind is ReportKind.FILL:
                extra = extra | {"last_qty": min(extra["last_qty"], v.qty - v.cum)}
                v.cum += extra["last_qty"]
                v.cost += extra["last_qty"] * extra["last_price"]
                v.ended = v.cum >= v.qty
            elif kind is ReportKind.CANCELED:
                v.ended = True
            r = report(v, kind, limit_price=None, **extra)
            if kind is ReportKind.REPLACED:
                pending = platform.store.orders[v.order_id].pending_qty
                v.qty = pending if pending is not None else v.qty
                v.ended = v.cum >= v.qty  # amended down to what had filled meanwhile: done
                r = r.model_copy(update={"order_qty": v.qty, "leaves_qty": v.qty - v.cum})
            sent.append(r)
            await platform.run(("report", r))
        elif step[0] == "redeliver" and redeliver and sent:
            await platform.run(("report", sent[step[1] % len(sent)]))
    return platform, sent


def ledger_state(store: MemoryStore) -> dict[uuid.UUID, tuple[Any, ...]]:
    return {
        o.id: (o.status, o.qty, o.filled_qty, o.filled_avg_price, o.order_seq, o.pending_qty)
        for o in store.orders.values()
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.lists(st.integers(0, 10_000), max_size=30))
def test_ledger_read_model_and_positions_equal_a_sequential_replay(data: Any, echoes: list[int]) -> None:
    steps = data.draw(st.builds(lambda: None).flatmap(lambda _: st.composite(lambda d: script(d))()))

    async def check() -> None:
        live, _ = await play(steps, redeliver=True)
        replayed, _ = await play(steps, redeliver=False)
        by_coid = {live.store.orders[i].client_order_id: s for i, s in ledger_state(live.store).items()}
        again = {replayed.store.orders[i].client_order_id: s for i, s in ledger_state(replayed.store).items()}
        assert by_coid == again  # redelivered reports changed nothing

        events = live.events()
        assert [e.account_seq for e in events] == list(range(1, len(events) + 1))
        per_order: dict[uuid.UUID, list[int]] = {}
        for e in events:
            per_order.setdefault(e.order_id, []).append(e.order_seq)
        assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in per_order.values())

        # The projections, fed the stream with redeliveries (a replay from earlier offsets).
        delivered = list(events)
        for echo in echoes:
            if events:
                start = echo % len(events)
                delivered += events[start:]
        view = MemoryOrderReadModel(MemoryStore())
        positions = MemoryPositionStore()
        for e in delivered:
            await view.apply(e)
            if isinstance(e, OrderFilled):
                await positions.apply_fill(e)
        assert view.gaps == 0 and view.misfits == 0
        for order_id, (status, qty, filled, avg, order_seq, _pending) in ledger_state(live.store).items():
            seen = await view.get(ACCOUNT, order_id)
            assert seen is not None
            assert (seen.status, seen.qty, seen.filled_qty, seen.filled_avg_price, seen.order_seq) == (
                status,
                qty,
                filled,
                avg,
                order_seq,
            )
        held = await positions.get(ACCOUNT, "AAPL")
        ledger_qty = live.store.positions.get((ACCOUNT, "AAPL"), (0, Decimal(0)))[0]
        assert (held.qty if held else 0) == ledger_qty
        assert live.ledger.flagged == 0  # every report of a consistent venue fits the table

    asyncio.run(check())


def test_an_impossible_report_is_kept_and_flagged_not_applied() -> None:
    async def check() -> None:
        platform = Platform()
        await platform.run(("place", uuid.UUID(int=1), OrderSide.BUY, 10))
        order_id = platform.order_id(uuid.UUID(int=1))
        v = VenueOrder(order_id, OrderSide.BUY, 10, acked=True)
        await platform.run(("report", report(v, ReportKind.NEW)))
        v.cum, v.cost, v.ended = 10, Decimal(1000), True
        await platform.run(("report", report(v, ReportKind.FILL, last_qty=10, last_price=PRICE)))
        late = report(v, ReportKind.CANCELED)  # a cancel after the order filled: not in the table
        await platform.run(("report", late))
        assert platform.store.orders[order_id].status.value == "filled"
        kept = platform.store.reports[late.report_id]
        assert kept["outcome"] == "flagged" and "filled" in json.dumps(kept, default=str)

    asyncio.run(check())
