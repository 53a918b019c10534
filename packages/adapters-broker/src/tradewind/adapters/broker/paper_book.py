"""The paper broker's order book: matching rules only, no threads.

``PaperBook`` is deliberately single-threaded: ``PaperBroker`` calls every method from its one
broker thread, so nothing here locks. It reports through ``emit`` and asks for a later wake-up
through ``schedule(at, fn)``; ``at`` is a time on the broker's ``clock``.

Rules (what a test may rely on):
- an order "arrives" at the matching engine ``latency`` seconds after submit; it is acknowledged
  (NEW) at once, and cancel/replace/expiry work on it before it arrives;
- market (and triggered stop) orders take the touch: the ask for a buy, the bid for a sell; with
  no quote yet they wait for one. Limit (and triggered stop-limit) orders fill at the touch once
  it is at or better than the limit, else they rest and are re-evaluated on every quote;
- a stop buy triggers when ask >= stop, a stop sell when bid <= stop; it stays triggered;
- ``liquidity`` shares are available at each side of the touch per quote, shared first come
  first served; ``slice_qty`` caps one fill, and slices are ``slice_interval`` seconds apart;
- IOC and FOK are decided once, at arrival, in a single fill (they cannot wait for a slice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from tradewind.application.execution.broker import (
    BrokerError,
    BrokerOrder,
    BrokerOrderState,
    ExecType,
    ExecutionReport,
    new_exec_id,
)
from tradewind.domain.market import Quote
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

Emit = Callable[[ExecutionReport], None]
#: called with the order as it now stands and the report about to be emitted, before the report
#: leaves the book (a durable venue writes it down first: nothing is told that is not kept)
Journal = Callable[["PaperOrder", ExecutionReport], None]
#: a final order the book forgot, from where it was kept (the venue's journal), or None
Recall = Callable[[str], "PaperOrder | None"]
Schedule = Callable[[float, Callable[[], None]], None]

_FINAL = frozenset({ExecType.CANCELED, ExecType.REJECTED, ExecType.EXPIRED})
_NEEDS_LIMIT = frozenset({OrderType.LIMIT, OrderType.STOP_LIMIT})
_NEEDS_STOP = frozenset({OrderType.STOP, OrderType.STOP_LIMIT})


@dataclass(slots=True)
class PaperOrder:
    """One order as the paper venue works it (mutable; broker thread only)."""

    request: BrokerOrder
    broker_order_id: str
    seq: int
    order_qty: int
    limit_price: Decimal | None
    status: ExecType = ExecType.NEW  # the exec type of the latest report
    cum_qty: int = 0
    notional: Decimal = Decimal(0)
    fills: list[ExecutionReport] = field(default_factory=list)
    arrived: bool = False
    triggered: bool = False
    next_slice_at: float = 0.0
    wake_pending: bool = False

    @property
    def is_open(self) -> bool:
        return self.status not in _FINAL and self.cum_qty < self.order_qty

    @property
    def leaves_qty(self) -> int:
        return self.order_qty - self.cum_qty if self.is_open else 0

    @property
    def avg_price(self) -> Decimal | None:
        """Volume-weighted average of the fills, exact (no rounding: the reader decides)."""
        return self.notional / self.cum_qty if self.cum_qty else None

    def state(self) -> BrokerOrderState:
        return BrokerOrderState(
            client_order_id=self.request.client_order_id,
            broker_order_id=self.broker_order_id,
            symbol=self.request.symbol,
            side=self.request.side,
            order_qty=self.order_qty,
            cum_qty=self.cum_qty,
            leaves_qty=self.leaves_qty,
            avg_price=self.avg_price,
            status=self.status,
            fills=tuple(self.fills),
            account=self.request.account,
            limit_price=self.limit_price,
        )


class PaperBook:
    """All orders, the last quote and the touch liquidity per symbol. Not thread-safe by design:
    its owner calls it from one thread only."""

    def __init__(
        self,
        *,
        symbols: Iterable[str],
        latency: float,
        slice_qty: int | None,
        slice_interval: float,
        liquidity: int | None,
        clock: Callable[[], float],
        emit: Emit,
        schedule: Schedule,
        journal: Journal | None = None,
        recall: Recall | None = None,
    ) -> None:
        self._recall = recall
        self._symbols = frozenset(symbols)
        self._latency = latency
        self._slice_qty = slice_qty
        self._slice_interval = slice_interval
        self._liquidity = liquidity
        self._clock = clock
        self._emit = emit
        self._schedule = schedule
        self._journal = journal
        self._orders: dict[str, PaperOrder] = {}
        self._seq = 0  # broker order ids stay unique when final orders are forgotten
        self._quotes: dict[str, Quote] = {}
        # shares left at the touch since the last quote, per (symbol, side); absent = unlimited
        self._available: dict[tuple[str, OrderSide], int] = {}

    # -- requests ------------------------------------------------------------------------------

    def submit(self, request: BrokerOrder) -> None:
        """Idempotent on ``client_order_id``: a known id (even a rejected one, even one the book
        forgot but its journal kept) is ignored."""
        if self._known(request.client_order_id) is not None:
            return
        self._seq += 1
        seq = self._seq
        order = PaperOrder(request, f"P-{seq:06d}", seq, request.qty, request.limit_price)
        self._orders[request.client_order_id] = order
        if (reason := self._invalid(request)) is not None:
            order.status = ExecType.REJECTED
            self._report(order, ExecType.REJECTED, reason=reason)
            return
        self._report(order, ExecType.NEW)
        if self._latency > 0:
            self._schedule(self._clock() + self._latency, lambda: self._arrive(order))
        else:
            self._arrive(order)

    def cancel(self, client_order_id: str) -> None:
        order = self._open_order(client_order_id, "cancel")
        order.status = ExecType.CANCELED
        self._report(order, ExecType.CANCELED)

    def replace(self, client_order_id: str, qty: int | None, limit_price: Decimal | None) -> None:
        order = self._open_order(client_order_id, "replace")
        if qty is None and limit_price is None:
            raise BrokerError(f"replace of {client_order_id} changes nothing")
        new_qty = order.order_qty if qty is None else qty
        if new_qty <= order.cum_qty:
            raise BrokerError(f"cannot replace {client_order_id}: qty {new_qty} <= filled {order.cum_qty}")
        if limit_price is not None and order.request.order_type not in _NEEDS_LIMIT:
            raise BrokerError(f"cannot set a limit price on {order.request.order_type} order")
        order.order_qty = new_qty
        if limit_price is not None:
            order.limit_price = limit_price
        order.status = ExecType.REPLACED
        self._report(order, ExecType.REPLACED)
        if order.arrived:
            self._work(order)

    def expire_day_orders(self) -> int:
        """Expire every open DAY order (the session closed); returns how many."""
        expiring = [o for o in self._orders.values() if o.is_open and o.request.time_in_force == TimeInForce.DAY]
        for order in expiring:
            order.status = ExecType.EXPIRED
            self._report(order, ExecType.EXPIRED, reason="day order expired")
        return len(expiring)

    def on_quote(self, quote: Quote) -> None:
        """Take the new touch, refill its liquidity, and re-evaluate the symbol's working orders
        first come first served."""
        self._quotes[quote.symbol] = quote
        if self._liquidity is not None:
            for side in OrderSide:
                self._available[(quote.symbol, side)] = self._liquidity
        for order in self._working(quote.symbol):
            self._work(order)

    def restore(self, orders: Iterable[PaperOrder], *, last_seq: int = 0) -> None:
        """Take back orders a durable venue wrote down (after its restart): open ones work again
        on the next quote; broker order ids continue after ``last_seq`` and every order's own."""
        self._seq = max(self._seq, last_seq)
        for order in orders:
            order.wake_pending, order.next_slice_at = False, 0.0
            self._orders[order.request.client_order_id] = order
            self._seq = max(self._seq, order.seq)

    def forget_final(self) -> int:
        """Drop every final order from memory (a book with a ``recall`` finds it again when asked);
        memory then holds the open orders and those that ended since. Returns how many."""
        final = [coid for coid, order in self._orders.items() if not order.is_open]
        for coid in final:
            del self._orders[coid]
        return len(final)

    def _known(self, client_order_id: str) -> PaperOrder | None:
        order = self._orders.get(client_order_id)
        if order is None and self._recall is not None and (order := self._recall(client_order_id)) is not None:
            self._orders[client_order_id] = order  # final: forgotten again at the next forget_final
        return order

    def order_state(self, client_order_id: str) -> BrokerOrderState | None:
        order = self._known(client_order_id)
        return None if order is None else order.state()

    def open_orders(self) -> list[BrokerOrderState]:
        return [o.state() for o in self._orders.values() if o.is_open]

    # -- matching ------------------------------------------------------------------------------

    def _arrive(self, order: PaperOrder) -> None:
        if not order.is_open:  # canceled or expired while in flight
            return
        order.arrived = True
        if order.request.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
            self._take_immediately(order)
        else:
            self._work(order)

    def _take_immediately(self, order: PaperOrder) -> None:
        """IOC: fill what the touch has now, cancel the rest. FOK: all of it now, or nothing."""
        price = self._price(order)
        available = 0 if price is None else self._available_for(order)
        if order.request.time_in_force == TimeInForce.FOK:
            if price is not None and available >= order.leaves_qty:
                self._fill(order, order.leaves_qty, price)
            else:
                order.status = ExecType.CANCELED
                self._report(order, ExecType.CANCELED, reason="fok not fillable")
            return
        if price is not None and available > 0:
            self._fill(order, available, price)
        if order.is_open:
            order.status = ExecType.CANCELED
            self._report(order, ExecType.CANCELED, reason="ioc remainder")

    def _work(self, order: PaperOrder) -> None:
        """Fill one slice of a resting (DAY/GTC) order if the market allows it now."""
        if not (order.is_open and order.arrived) or (price := self._price(order)) is None:
            return
        now = self._clock()
        if now < order.next_slice_at:
            self._wake_at(order, order.next_slice_at)
            return
        qty = self._available_for(order)
        if qty <= 0:
            return  # the touch is exhausted: wait for the next quote
        self._fill(order, qty, price)
        if order.is_open and self._slice_qty is not None:
            order.next_slice_at = now + self._slice_interval
            self._wake_at(order, order.next_slice_at)

    def _wake_at(self, order: PaperOrder, at: float) -> None:
        if order.wake_pending:
            return
        order.wake_pending = True

        def wake() -> None:
            order.wake_pending = False
            self._work(order)

        self._schedule(at, wake)

    def _price(self, order: PaperOrder) -> Decimal | None:
        """The price this order would trade at now, or None if it cannot trade."""
        quote = self._quotes.get(order.request.symbol)
        if quote is None:
            return None
        buy = order.request.side == OrderSide.BUY
        kind = order.request.order_type
        if kind in _NEEDS_STOP and not order.triggered:
            stop = order.request.stop_price
            assert stop is not None  # checked by _invalid
            order.triggered = quote.ask >= stop if buy else quote.bid <= stop
            if not order.triggered:
                return None
        touch = quote.ask if buy else quote.bid
        if kind in _NEEDS_LIMIT:
            limit = order.limit_price
            assert limit is not None  # checked by _invalid
            if (buy and touch > limit) or (not buy and touch < limit):
                return None
        return touch

    def _available_for(self, order: PaperOrder) -> int:
        qty = order.leaves_qty
        if self._slice_qty is not None and order.request.time_in_force not in (
            TimeInForce.IOC,
            TimeInForce.FOK,
        ):
            qty = min(qty, self._slice_qty)
        touch = self._available.get((order.request.symbol, order.request.side))
        return qty if touch is None else min(qty, touch)

    def _fill(self, order: PaperOrder, qty: int, price: Decimal) -> None:
        key = (order.request.symbol, order.request.side)
        if key in self._available:
            self._available[key] -= qty
        order.cum_qty += qty
        order.notional += price * qty
        order.status = ExecType.FILL
        report = self._build(order, ExecType.FILL, last_qty=qty, last_price=price)
        order.fills.append(report)  # before emitting: a callback may ask for the order's state
        if self._journal is not None:
            self._journal(order, report)
        self._emit(report)

    # -- helpers -------------------------------------------------------------------------------

    def _working(self, symbol: str) -> list[PaperOrder]:
        # dicts keep insertion order, which is submit order: first come, first served
        return [o for o in self._orders.values() if o.request.symbol == symbol and o.is_open and o.arrived]

    def _open_order(self, client_order_id: str, what: str) -> PaperOrder:
        order = self._known(client_order_id)
        if order is None:
            raise BrokerError(f"cannot {what} {client_order_id}: unknown order")
        if not order.is_open:
            raise BrokerError(f"cannot {what} {client_order_id}: order is {order.status}")
        return order

    def _invalid(self, request: BrokerOrder) -> str | None:
        if request.symbol not in self._symbols:
            return f"unknown symbol {request.symbol}"
        if request.qty <= 0:
            return f"qty must be positive, got {request.qty}"
        if request.order_type in _NEEDS_LIMIT and request.limit_price is None:
            return f"{request.order_type} order needs a limit_price"
        if request.order_type in _NEEDS_STOP and request.stop_price is None:
            return f"{request.order_type} order needs a stop_price"
        return None

    def _report(self, order: PaperOrder, exec_type: ExecType, *, reason: str | None = None) -> None:
        report = self._build(order, exec_type, reason=reason)
        if self._journal is not None:
            self._journal(order, report)
        self._emit(report)

    @staticmethod
    def _build(
        order: PaperOrder,
        exec_type: ExecType,
        *,
        last_qty: int = 0,
        last_price: Decimal | None = None,
        reason: str | None = None,
    ) -> ExecutionReport:
        return ExecutionReport(
            exec_id=new_exec_id(),
            exec_type=exec_type,
            client_order_id=order.request.client_order_id,
            broker_order_id=order.broker_order_id,
            symbol=order.request.symbol,
            side=order.request.side,
            order_qty=order.order_qty,
            cum_qty=order.cum_qty,
            leaves_qty=order.leaves_qty,
            avg_price=order.avg_price,
            last_qty=last_qty,
            last_price=last_price,
            limit_price=order.limit_price,
            reason=reason,
            account=order.request.account,
        )
