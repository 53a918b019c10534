"""Reconciliation: what the ledger holds open (or ``unknown``) against what the venue knows.

Run on gateway start, on every (re)connection of the broker adapter, when the circuit breaker
closes again, and every ``interval`` seconds. One pass:

1. the ledger's open orders (``LedgerOpenOrders``, a port: the gateway reads no table), and the
   venue's open orders (mass status, ``open_orders``); an open order of the ledger the venue no
   longer lists is asked for by itself (``order_state``: it may have filled or ended meanwhile);
2. every difference becomes ordinary execution reports flagged ``reconciliation: true`` with
   deterministic ids (``reconciliation_reports``: the venue's own exec ids for fills), published
   to ``execution.reports``; the ledger applies each report id once, so a fact that also comes
   (or came) by the normal path is applied once;
3. an order the venue does not know ends ``rejected`` with the reason, once it has had time to
   reach the venue (``grace`` after the ledger's last change; a ``pending`` order is left to its
   command, which may still be on its way to the gateway);
4. a venue order the ledger does not hold open is told too: the ledger applies what is new, and
   keeps a report for an order it does not have flagged as external (``tradewind ledger external``).

Stateless between passes: everything comes from the ledger and the venue, so a restart loses
nothing; the pass is bounded by ``limit`` orders.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from tradewind.application.execution.broker import BrokerOrderState, ExecType, ExecutionReport
from tradewind.application.execution.gateway import BrokerGateway
from tradewind.application.execution.reports import not_at_venue, reconciliation_reports
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.reports import VenueReport
from tradewind.domain.orders.status import OrderStatus

log = logging.getLogger(__name__)


class LedgerOpenOrders(Protocol):
    """The OMS ledger's open orders (every status but the final ones, ``unknown`` included),
    oldest first, across accounts. Read-only; the ledger is the write side's record, so this is
    not reading a projection."""

    async def open_orders(self, limit: int = 10_000) -> list[Order]: ...


PublishReport = Callable[[ExecutionReport], Awaitable[None]]
SendReport = Callable[[VenueReport], Awaitable[None]]


@dataclass
class ReconcileStats:
    runs: int = 0
    failures: int = 0
    reports: int = 0
    rejected: int = 0
    external: int = 0
    last_run: datetime | None = None


class Reconciler:
    def __init__(
        self,
        gateway: BrokerGateway,
        ledger: LedgerOpenOrders,
        *,
        publish: PublishReport,
        send: SendReport,
        interval: float = 30.0,
        grace: float = 10.0,
        limit: int = 10_000,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._gateway = gateway
        self._ledger = ledger
        self._publish = publish  # a broker report, flagged reconciliation (the engine's path)
        self._send = send  # a report the gateway concludes itself
        self.interval = interval
        self._grace = timedelta(seconds=grace)
        self._limit = limit
        self._clock = clock
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self.stats = ReconcileStats()
        self._told: OrderedDict[tuple[str, ExecType, int], None] = OrderedDict()  # bounded by ``limit``

    def trigger(self, why: str) -> None:
        """Ask for a pass as soon as possible (loop thread only)."""
        log.info("reconciliation requested", extra={"why": why})
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """A pass now, then one on every trigger and every ``interval`` seconds, until ``stop``."""
        self._wake.set()
        while not stop.is_set():
            try:
                await asyncio.wait_for(self._wake.wait(), self.interval)
            except TimeoutError:
                pass
            if stop.is_set():
                return
            self._wake.clear()
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the venue is down, the breaker open: the next tick tries again
                self.stats.failures += 1
                log.exception("reconciliation failed; retrying at the next tick")

    async def run_once(self) -> ReconcileStats:
        async with self._lock:  # one pass at a time: triggers during a pass fold into the next
            ledger_orders = await self._ledger.open_orders(self._limit)
            at_venue = {s.client_order_id: s for s in await self._gateway.open_orders()}
            for order in ledger_orders:
                state = at_venue.pop(str(order.id), None)
                if state is None:
                    state = await self._gateway.order_state(str(order.id))
                await self._reconcile(order, state)
            for state in at_venue.values():  # working at the venue, not open in the ledger
                await self._tell_once(state)
            self.stats.runs += 1
            self.stats.last_run = self._clock()
            return self.stats

    async def _reconcile(self, order: Order, state: BrokerOrderState | None) -> None:
        if state is None:
            if order.status is OrderStatus.PENDING or self._clock() - order.updated_at < self._grace:
                return  # its command may still be on its way; the next pass looks again
            await self._reject_not_at_venue(order)
            return
        await self._tell(differences(order, state))

    async def _tell_once(self, state: BrokerOrderState) -> None:
        """A venue order the ledger does not hold open, told once per process while it does not
        change (an external order would otherwise be told, and flagged, on every pass)."""
        seen = (state.client_order_id, state.status, state.cum_qty)
        if seen in self._told:
            return
        self.stats.external += 1
        await self._tell(reconciliation_reports(state))
        self._told[seen] = None
        while len(self._told) > self._limit:
            self._told.popitem(last=False)

    async def _tell(self, reports: list[ExecutionReport]) -> None:
        for report in reports:
            await self._publish(report)
            self.stats.reports += 1

    async def _reject_not_at_venue(self, order: Order) -> None:
        self.stats.rejected += 1
        log.warning(
            "the venue does not know an open order: rejecting it",
            extra={"order_id": str(order.id), "status": order.status.value},
        )
        await self._send(
            not_at_venue(
                order.id,
                order.account_id,
                order.symbol,
                was=order.status.value,
                side=order.side,
                order_qty=order.qty,
                cum_qty=order.filled_qty,
            )
        )


def differences(order: Order, state: BrokerOrderState) -> list[ExecutionReport]:
    """What the venue knows that the ledger does not: the acknowledgement of an order the ledger
    has not seen acknowledged, the fills beyond the ledger's filled quantity, and the venue's
    final word on an order it has ended."""
    everything = reconciliation_reports(state)
    out: list[ExecutionReport] = []
    for report in everything:
        if report.exec_type is ExecType.NEW:
            if order.status in (OrderStatus.PENDING, OrderStatus.UNKNOWN):
                out.append(report)
        elif report.exec_type is ExecType.FILL:
            if report.cum_qty > order.filled_qty:
                out.append(report)
        else:
            out.append(report)  # canceled, rejected, expired at the venue while open in the ledger
    return out
