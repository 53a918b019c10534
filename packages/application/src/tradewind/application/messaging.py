"""Decoding consumed messages into events, with a dead letter for what can never be read.

A message that is not a valid event will fail the same way on every redelivery; it goes to
``dead_letter`` and the handler returns, so the partition moves on. Anything else a handler
raises propagates: the offset stays uncommitted and the message comes back.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from pydantic import ValidationError

from tradewind.application.correlation import correlation_id
from tradewind.application.ports import BatchHandler, EventPublisher, MessageHandler
from tradewind.application.topics import DEAD_LETTER
from tradewind.domain.orders.events import OrderEvent, parse_order_event
from tradewind.domain.orders.reports import VenueReport, parse_venue_report

log = logging.getLogger(__name__)


def order_event_handler(
    handler: Callable[[OrderEvent], Awaitable[None]], dead_letter: EventPublisher, *, consumer: str
) -> MessageHandler:
    async def on_message(payload: bytes) -> None:
        try:
            event = parse_order_event(payload)
        except (ValidationError, ValueError) as exc:
            log.error("undecodable message sent to dead_letter", extra={"consumer": consumer, "error": str(exc)})
            await dead_letter.publish(DEAD_LETTER, consumer, payload, {"error": str(exc)[:500]})
            return
        token = correlation_id.set(str(event.correlation_id))
        try:
            await handler(event)
        finally:
            correlation_id.reset(token)

    return on_message


def venue_report_handler(
    handler: Callable[[VenueReport], Awaitable[None]], dead_letter: EventPublisher, *, consumer: str
) -> MessageHandler:
    """The same rule for ``execution.reports``: junk to ``dead_letter``, anything else raised
    by the handler propagates (the report comes back)."""

    async def on_message(payload: bytes) -> None:
        try:
            report = parse_venue_report(payload)
        except (ValidationError, ValueError) as exc:
            log.error("undecodable report sent to dead_letter", extra={"consumer": consumer, "error": str(exc)})
            await dead_letter.publish(DEAD_LETTER, consumer, payload, {"error": str(exc)[:500]})
            return
        await handler(report)

    return on_message


def venue_reports_batch_handler(
    handler: Callable[[Sequence[VenueReport]], Awaitable[None]], dead_letter: EventPublisher, *, consumer: str
) -> BatchHandler:
    """A poll's reports to ``handler`` at once (issue 15); what cannot be read goes to
    ``dead_letter`` and the rest of the batch goes on, in order."""

    async def on_batch(payloads: Sequence[bytes]) -> None:
        reports = []
        for payload in payloads:
            try:
                reports.append(parse_venue_report(payload))
            except (ValidationError, ValueError) as exc:
                log.error("undecodable report sent to dead_letter", extra={"consumer": consumer, "error": str(exc)})
                await dead_letter.publish(DEAD_LETTER, consumer, payload, {"error": str(exc)[:500]})
        if reports:
            await handler(reports)

    return on_batch


def order_events_batch_handler(
    handler: Callable[[Sequence[OrderEvent]], Awaitable[None]], dead_letter: EventPublisher, *, consumer: str
) -> BatchHandler:
    """The same for ``order.events``: a poll's events to ``handler`` at once, junk to ``dead_letter``."""

    async def on_batch(payloads: Sequence[bytes]) -> None:
        events = []
        for payload in payloads:
            try:
                events.append(parse_order_event(payload))
            except (ValidationError, ValueError) as exc:
                log.error("undecodable message sent to dead_letter", extra={"consumer": consumer, "error": str(exc)})
                await dead_letter.publish(DEAD_LETTER, consumer, payload, {"error": str(exc)[:500]})
        if events:
            await handler(events)

    return on_batch
