"""The execution engine: order requests from Kafka become broker calls; reports become events.

``handle`` is the consumer entry point. It returns only when the request's outcome is published
(accepted, rejected, or ``unknown`` after the timeout), so the caller commits the offset after
the effect (invariant 5); raising means the request is redelivered. Reports that come later
(fills, cancels, fills after a timeout) are published by the gateway's report pump as they
arrive. A timed-out order becomes ``unknown`` and is reconciled against the broker (invariant 3).
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from tradewind.application.execution.broker import (
    BrokerError,
    BrokerOrder,
    BrokerUnavailableError,
    ExecType,
    ExecutionReport,
)
from tradewind.application.execution.gateway import BrokerGateway
from tradewind.application.execution.reports import OrderContext, to_event
from tradewind.application.ports import EventPublisher, OrderLookup
from tradewind.application.topics import DEAD_LETTER, topic_for
from tradewind.domain.orders.events import (
    OrderAmendRequested,
    OrderBrokerUnavailable,
    OrderCanceled,
    OrderCancelRequested,
    OrderEvent,
    OrderReplaced,
    OrderSubmitted,
    OrderUnknown,
)

log = logging.getLogger(__name__)


class ExecutionEngine:
    def __init__(
        self,
        gateway: BrokerGateway,
        publisher: EventPublisher,
        lookup: OrderLookup,
        *,
        ack_timeout: float = 5.0,
        reconcile_after: float = 1.0,
    ) -> None:
        self._gateway = gateway
        self._publisher = publisher
        self._lookup = lookup
        self._ack_timeout = ack_timeout
        self._reconcile_after = reconcile_after
        # All of these are touched on the event loop only.
        self._contexts: dict[str, OrderContext] = {}
        self._canceled_before_submit: set[str] = set()
        self._canceled_at_broker: set[str] = set()
        self._reconciliations: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self._gateway.start(self._publish_report)

    async def stop(self) -> None:
        for task in list(self._reconciliations):
            task.cancel()
        await self._gateway.stop()

    # -- consumer entry point ----------------------------------------------------------------
    async def handle(self, event: OrderEvent) -> None:
        if isinstance(event, OrderSubmitted):
            await self._on_submitted(event)
        elif isinstance(event, OrderCancelRequested):
            await self._on_cancel(event)
        elif isinstance(event, OrderAmendRequested):
            await self._on_amend(event)
        # confirmations that share the request topics (order.canceled, order.replaced) are ours

    async def _on_submitted(self, event: OrderSubmitted) -> None:
        coid = str(event.order_id)
        self._contexts[coid] = OrderContext(
            event.order_id, event.account_id, event.correlation_id, event.symbol, event.side
        )
        if coid in self._canceled_before_submit or self._gateway.has_reported(coid):
            return  # canceled before it got here, or a redelivery of an order the broker has
        waiter = self._gateway.expect(coid)
        try:
            await self._gateway.submit(
                BrokerOrder(
                    client_order_id=coid,
                    symbol=event.symbol,
                    side=event.side,
                    qty=event.qty,
                    order_type=event.order_type,
                    time_in_force=event.time_in_force,
                    limit_price=event.limit_price,
                    stop_price=event.stop_price,
                )
            )
        except BrokerUnavailableError as exc:
            waiter.cancel()
            await self._publish(OrderBrokerUnavailable(**self._envelope(event), reason=f"broker unavailable: {exc}"))
            return
        if not await self._gateway.wait(coid, waiter, self._ack_timeout):
            await self._publish(
                OrderUnknown(
                    **self._envelope(event),
                    reason=f"no answer from the broker within {self._ack_timeout:g}s; reconciling",
                )
            )
            self._schedule_reconciliation(coid)

    async def _on_cancel(self, event: OrderCancelRequested) -> None:
        coid = str(event.order_id)
        try:
            await self._gateway.cancel(coid)
        except BrokerError as exc:
            state = await asyncio.to_thread(self._gateway.adapter.order_state, coid)
            if state is None and not self._gateway.has_reported(coid):
                # The cancel overtook the submit (they travel on different topics).
                self._canceled_before_submit.add(coid)
                await self._publish(
                    OrderCanceled(**self._envelope(event), reason="canceled before reaching the broker")
                )
            else:
                log.info("cancel refused by the broker", extra={"order_id": coid, "error": str(exc)})

    async def _on_amend(self, event: OrderAmendRequested) -> None:
        coid = str(event.order_id)
        try:
            await self._gateway.replace(coid, event.qty, event.limit_price)
        except BrokerError as exc:
            state = await asyncio.to_thread(self._gateway.adapter.order_state, coid)
            log.info("amend refused by the broker", extra={"order_id": coid, "error": str(exc)})
            if state is not None and state.status not in (ExecType.FILL, ExecType.NEW, ExecType.REPLACED):
                return  # final at the broker: its final report settles the status
            if state is not None:
                # Tell the read model the order is live again, unchanged.
                await self._publish(OrderReplaced(**self._envelope(event), qty=state.order_qty))

    # -- reports -----------------------------------------------------------------------------
    async def _publish_report(self, report: ExecutionReport, *, reconciliation: bool = False) -> None:
        ctx = await self._context(report.client_order_id)
        if ctx is None:
            log.error("report for an order we do not know", extra={"client_order_id": report.client_order_id})
            await self._publisher.publish(DEAD_LETTER, report.client_order_id, repr(report).encode())
            return
        if report.exec_type is ExecType.CANCELED:
            self._canceled_at_broker.add(report.client_order_id)
        after_cancel = report.exec_type is ExecType.FILL and report.client_order_id in self._canceled_at_broker
        await self._publish(to_event(report, ctx, reconciliation=reconciliation, after_cancel=after_cancel))

    async def _context(self, coid: str) -> OrderContext | None:
        if (ctx := self._contexts.get(coid)) is not None:
            return ctx
        try:
            order = await self._lookup.find(uuid.UUID(coid))
        except ValueError:
            return None
        if order is None:
            return None
        ctx = OrderContext(order.id, order.account_id, order.correlation_id, order.symbol, order.side)
        self._contexts[coid] = ctx
        return ctx

    async def _publish(self, event: OrderEvent) -> None:
        await self._publisher.publish(topic_for(event.type), str(event.account_id), event.to_json())

    def _envelope(self, cause: OrderEvent) -> dict[str, object]:
        return {
            "correlation_id": cause.correlation_id,
            "causation_id": cause.event_id,
            "account_id": cause.account_id,
            "order_id": cause.order_id,
            "symbol": cause.symbol,
        }

    # -- reconciliation ----------------------------------------------------------------------
    def _schedule_reconciliation(self, coid: str) -> None:
        task = asyncio.create_task(self._reconcile_later(coid), name=f"reconcile-{coid}")
        self._reconciliations.add(task)
        task.add_done_callback(self._reconciliations.discard)

    async def _reconcile_later(self, coid: str) -> None:
        delay = self._reconcile_after
        while True:
            await asyncio.sleep(delay)  # a retry timer, not synchronisation
            try:
                await self.reconcile(coid)
                return
            except Exception:
                log.exception("reconciliation failed; retrying", extra={"order_id": coid})
                delay = min(delay * 2, 30.0)

    async def reconcile(self, coid: str) -> None:
        """Ask the broker what it knows of the order and publish it as flagged events. Event ids
        come from the broker's exec ids, so whatever the callback path also delivers is deduped."""
        state = await asyncio.to_thread(self._gateway.adapter.order_state, coid)
        ctx = await self._context(coid)
        if ctx is None:
            return
        if state is None:
            await self._publish(
                OrderBrokerUnavailable(
                    correlation_id=ctx.correlation_id,
                    account_id=ctx.account_id,
                    order_id=ctx.order_id,
                    symbol=ctx.symbol,
                    reason="the broker has no record of the order",
                )
            )
            return
        ack = ExecutionReport(
            exec_id=f"recon-new-{state.broker_order_id}",
            exec_type=ExecType.NEW,
            client_order_id=coid,
            broker_order_id=state.broker_order_id,
            symbol=state.symbol,
            side=state.side,
            order_qty=state.order_qty,
            cum_qty=0,
            leaves_qty=state.order_qty,
        )
        await self._publish_report(ack, reconciliation=True)
        for fill in state.fills:
            await self._publish_report(fill, reconciliation=True)
        if state.status in (ExecType.CANCELED, ExecType.REJECTED, ExecType.EXPIRED):
            final = ExecutionReport(
                exec_id=f"recon-{state.status.value}-{state.broker_order_id}",
                exec_type=state.status,
                client_order_id=coid,
                broker_order_id=state.broker_order_id,
                symbol=state.symbol,
                side=state.side,
                order_qty=state.order_qty,
                cum_qty=state.cum_qty,
                leaves_qty=state.leaves_qty,
                avg_price=state.avg_price,
                reason="reconciled",
            )
            await self._publish_report(final, reconciliation=True)
