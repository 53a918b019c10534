"""Decoding consumed messages into events; what can never be read is ``PoisonMessage``.

A message that is not a valid event, or is of a schema version newer than this release reads,
will fail the same way on every redelivery: the decoder raises ``PoisonMessage`` and the
subscriptions' ``DeadLetterPolicy`` parks it on ``dead_letter`` (with its topic, partition,
offset and headers), so the partition moves on; once a release reads it, ``tradewind dlq replay``
re-drives it. Anything else a handler raises is the policy's to retry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from pydantic import ValidationError

from tradewind.application.correlation import correlation_id
from tradewind.application.dead_letters import PoisonMessage
from tradewind.application.ports import BatchHandler, MessageHandler
from tradewind.domain.orders.events import SCHEMA_VERSION as ORDER_EVENT_SCHEMA_VERSION
from tradewind.domain.orders.events import OrderEvent, parse_order_event
from tradewind.domain.orders.reports import SCHEMA_VERSION as REPORT_SCHEMA_VERSION
from tradewind.domain.orders.reports import VenueReport, parse_venue_report


def order_event_handler(
    handler: Callable[[OrderEvent], Awaitable[None]],
    *,
    consumer: str,
    max_schema_version: int = ORDER_EVENT_SCHEMA_VERSION,
) -> MessageHandler:
    async def on_message(payload: bytes) -> None:
        event = _decoded_event(payload, consumer, max_schema_version)
        token = correlation_id.set(str(event.correlation_id))
        try:
            await handler(event)
        finally:
            correlation_id.reset(token)

    return on_message


def venue_report_handler(
    handler: Callable[[VenueReport], Awaitable[None]],
    *,
    consumer: str,
    max_schema_version: int = REPORT_SCHEMA_VERSION,
) -> MessageHandler:
    """The same rule for ``execution.reports``."""

    async def on_message(payload: bytes) -> None:
        report = _decoded_report(payload, consumer, max_schema_version)
        await handler(report)

    return on_message


def _decoded_report(payload: bytes, consumer: str, max_schema_version: int) -> VenueReport:
    try:
        report = parse_venue_report(payload)
    except (ValidationError, ValueError) as exc:
        raise PoisonMessage(f"undecodable venue report for {consumer}: {str(exc)[:500]}") from exc
    if report.schema_version > max_schema_version:
        raise PoisonMessage(
            f"venue report schema_version {report.schema_version} is newer than {consumer} reads ({max_schema_version})"
        )
    return report


def _decoded_event(payload: bytes, consumer: str, max_schema_version: int) -> OrderEvent:
    try:
        event = parse_order_event(payload)
    except (ValidationError, ValueError) as exc:
        raise PoisonMessage(f"undecodable order event for {consumer}: {str(exc)[:500]}") from exc
    if event.schema_version > max_schema_version:
        raise PoisonMessage(
            f"order event schema_version {event.schema_version} is newer than {consumer} reads ({max_schema_version})"
        )
    return event


def venue_reports_batch_handler(
    handler: Callable[[Sequence[VenueReport]], Awaitable[None]],
    *,
    consumer: str,
    max_schema_version: int = REPORT_SCHEMA_VERSION,
) -> BatchHandler:
    """A poll's reports to ``handler`` at once (issue 15). One that cannot be read raises
    ``PoisonMessage`` for the whole batch: the subscription then delivers the poll's messages one
    at a time through its ``DeadLetterPolicy``, which parks the poison one with its coordinates
    and applies the rest (the ledger is idempotent by report id, so what a failed batch had
    applied is not applied twice)."""

    async def on_batch(payloads: Sequence[bytes]) -> None:
        reports = [_decoded_report(p, consumer, max_schema_version) for p in payloads]
        if reports:
            await handler(reports)

    return on_batch


def order_events_batch_handler(
    handler: Callable[[Sequence[OrderEvent]], Awaitable[None]],
    *,
    consumer: str,
    max_schema_version: int = ORDER_EVENT_SCHEMA_VERSION,
) -> BatchHandler:
    """The same for ``order.events`` (the projections are idempotent by ``account_seq``)."""

    async def on_batch(payloads: Sequence[bytes]) -> None:
        events = [_decoded_event(p, consumer, max_schema_version) for p in payloads]
        if events:
            await handler(events)

    return on_batch
