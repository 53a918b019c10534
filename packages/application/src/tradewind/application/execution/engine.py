"""The execution engine: commands from ``order.commands`` become broker calls; everything the
broker says becomes a venue report on ``execution.reports`` (for the OMS ledger, its only reader).

The engine keeps no state about orders (invariant 11; DESIGN.md "Processes"): what it must know
comes with the command (the account, the order) or from the venue (it echoes the account on
every report; ``order_state`` answers for one order). So a restart forgets nothing, and nothing
here grows with the number of orders: only acknowledgements in flight and reconciliations of
timed-out orders are held, each until it resolves.

``handle`` returns only when the command's outcome is published (the broker's first report, a
refusal, or ``unknown`` after the timeout), so the caller commits the offset after the effect
(invariant 5); raising means the command is redelivered. Commands of one account arrive in the
order they were given (one partition), so a cancel can no longer overtake its submit.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence

from tradewind.application.dead_letters import DeadLetter
from tradewind.application.execution.broker import (
    BrokerError,
    BrokerOrder,
    BrokerOrderState,
    BrokerUnavailableError,
    ExecutionReport,
)
from tradewind.application.execution.gateway import BrokerGateway
from tradewind.application.execution.reports import not_at_venue, reconciliation_reports, to_venue_report
from tradewind.application.ports import EventPublisher
from tradewind.application.topics import DEAD_LETTER, EXECUTION_REPORTS
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.events import OrderAmendRequested, OrderCancelRequested, OrderEvent, OrderSubmitted
from tradewind.domain.orders.reports import ReportKind, VenueReport, report_id_for

log = logging.getLogger(__name__)


class ExecutionEngine:
    def __init__(
        self,
        gateway: BrokerGateway,
        publisher: EventPublisher,
        *,
        ack_timeout: float = 5.0,
        reconcile_after: float = 1.0,
    ) -> None:
        self._gateway = gateway
        self._publisher = publisher
        self._ack_timeout = ack_timeout
        self._reconcile_after = reconcile_after
        # Touched on the event loop only; each entry lives until its order is reconciled.
        self._reconciliations: set[asyncio.Task[None]] = set()
        self.dead_letters = 0

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

    async def handle_batch(self, events: Sequence[OrderEvent]) -> None:
        """One poll's commands (issue 15): each order's in order, orders concurrently. Only one
        order's commands must not overtake each other (a cancel its submit); a command waits
        for the venue's answer, so one at a time bounded the engine at one venue round trip per
        command (200 cancels of a halted account queued behind each other). If any fails, this
        raises once all have finished: the batch comes again, and a redelivered command is
        answered from what the venue knows (``handle``)."""
        by_order: dict[uuid.UUID, list[OrderEvent]] = {}
        for event in events:
            by_order.setdefault(event.order_id, []).append(event)

        async def in_order(mine: list[OrderEvent]) -> None:
            for event in mine:
                await self.handle(event)

        results = await asyncio.gather(*(in_order(mine) for mine in by_order.values()), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _on_submitted(self, event: OrderSubmitted) -> None:
        coid = str(event.order_id)
        known = await self._state(coid)  # a question that fails is answered by the submit below
        if known is not None:
            # A redelivered submit the venue already has: tell again what it knows (the ledger
            # applies each report once), in case the first telling was lost with a restart.
            await self._tell(known)
            return
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
                    account=str(event.account_id),
                )
            )
        except BrokerUnavailableError as exc:
            waiter.cancel()
            await self._conclude(event, ReportKind.BROKER_UNAVAILABLE, f"broker unavailable: {exc}")
            return
        if not await self._gateway.wait(coid, waiter, self._ack_timeout):
            await self._conclude(
                event, ReportKind.UNKNOWN, f"no answer from the broker within {self._ack_timeout:g}s; reconciling"
            )
            self._schedule_reconciliation(event)

    async def _on_cancel(self, event: OrderCancelRequested) -> None:
        coid = str(event.order_id)
        try:
            await self._gateway.cancel(coid)
        except BrokerUnavailableError as exc:
            await self._conclude(event, ReportKind.CANCEL_REJECTED, f"broker unavailable: {exc}")
        except BrokerError as exc:
            state = await self._state(coid)
            if state is None:  # it never reached the venue (it was unknown there): nothing works
                await self._conclude(event, ReportKind.CANCELED, "canceled before reaching the broker")
            else:
                await self._conclude(event, ReportKind.CANCEL_REJECTED, f"cancel refused by the broker: {exc}")

    async def _on_amend(self, event: OrderAmendRequested) -> None:
        try:
            await self._gateway.replace(str(event.order_id), event.qty, event.limit_price)
        except BrokerError as exc:
            await self._conclude(event, ReportKind.REPLACE_REJECTED, f"amend refused by the broker: {exc}")

    async def _state(self, coid: str) -> BrokerOrderState | None:
        """What the venue knows of the order; ``None`` when it does not know it, or cannot be
        asked (the caller has already had its answer from the venue or reports a refusal)."""
        try:
            return await self._gateway.order_state(coid)
        except BrokerUnavailableError:
            return None

    # -- reports -----------------------------------------------------------------------------
    async def _publish_report(self, report: ExecutionReport, *, reconciliation: bool = False) -> None:
        try:
            venue = to_venue_report(report, reconciliation=reconciliation)
        except (ValueError, KeyError) as exc:
            # Not ours to attribute (no order or account id of ours): kept for operators as a
            # dead letter that says so (``tradewind dlq list``); it has no topic to replay to.
            self.dead_letters += 1
            log.error("report for an order that is not ours", extra={"client_order_id": report.client_order_id})
            letter = DeadLetter(
                source_topic="",
                source_partition=-1,
                source_offset=-1,
                source_key=report.account or None,
                consumer="execution-engine",
                payload=repr(report).encode(),
                headers={},
                error=f"external order: a broker report names no order or account of ours ({exc})",
                attempts=1,
                failed_at=utcnow(),
            )
            await self._publisher.publish(DEAD_LETTER, "broker", letter.payload, letter.record_headers())
            return
        await self.send(venue)

    async def publish_reconciled(self, report: ExecutionReport) -> None:
        """A broker report found by asking the venue: flagged ``reconciliation``."""
        await self._publish_report(report, reconciliation=True)

    async def send(self, report: VenueReport) -> None:
        await self._publisher.publish(EXECUTION_REPORTS, str(report.account_id), report.to_json())

    async def _conclude(self, cause: OrderEvent, kind: ReportKind, reason: str) -> None:
        """A report the gateway makes itself (the venue did not or could not answer). Its id
        comes from the command, so a redelivered command concludes the same way once."""
        await self.send(
            VenueReport(
                report_id=report_id_for(cause.order_id, f"{kind.value}-{cause.event_id}"),
                account_id=cause.account_id,
                order_id=cause.order_id,
                causation_id=cause.event_id,
                kind=kind,
                exec_id=f"{kind.value}-{cause.event_id}",
                symbol=cause.symbol,
                reason=reason,
            )
        )

    async def _tell(self, state: BrokerOrderState) -> None:
        for report in reconciliation_reports(state):
            await self._publish_report(report, reconciliation=True)

    # -- reconciliation ----------------------------------------------------------------------
    def _schedule_reconciliation(self, cause: OrderSubmitted) -> None:
        task = asyncio.create_task(self._reconcile_later(cause), name=f"reconcile-{cause.order_id}")
        self._reconciliations.add(task)
        task.add_done_callback(self._reconciliations.discard)

    async def _reconcile_later(self, cause: OrderSubmitted) -> None:
        delay = self._reconcile_after
        while True:
            await asyncio.sleep(delay)  # a retry timer, not synchronisation
            try:
                await self.reconcile(cause)
                return
            except Exception:
                log.exception("reconciliation failed; retrying", extra={"order_id": str(cause.order_id)})
                delay = min(delay * 2, 30.0)

    async def reconcile(self, cause: OrderSubmitted) -> None:
        """Ask the broker what it knows of the order and publish it as flagged reports."""
        state = await self._gateway.order_state(str(cause.order_id))
        if state is None:  # the submit never reached it: the order ends, with the reason
            await self.send(not_at_venue(cause.order_id, cause.account_id, cause.symbol, was="unknown"))
            return
        await self._tell(state)
