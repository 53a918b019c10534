"""The order read-model projection: every order event into the read table, then to the stream.

Idempotent by ``event_id`` (the read model dedupes atomically with the change). The live
notification goes out after the change is durable, and again on redelivery: a subscriber may
see an entry twice (same ``seq``), never miss one that the log holds.

An event for an order this database has never had cannot become applicable later (the order row
is committed before its first event is published), so it goes to ``dead_letter`` rather than
blocking the partition forever.
"""

from __future__ import annotations

import logging

from tradewind.application.ports import EventPublisher, Notifier, OrderReadModel
from tradewind.application.projections.apply import ProjectionMiss
from tradewind.application.topics import DEAD_LETTER
from tradewind.domain.orders.events import OrderEvent

log = logging.getLogger(__name__)


class OrderProjection:
    def __init__(self, read_model: OrderReadModel, notifier: Notifier, dead_letter: EventPublisher) -> None:
        self._read_model = read_model
        self._notifier = notifier
        self._dead_letter = dead_letter

    async def __call__(self, event: OrderEvent) -> None:
        try:
            entries = await self._read_model.apply(event)
        except ProjectionMiss as exc:
            log.error("event for an unknown order sent to dead_letter", extra={"event_id": str(event.event_id)})
            await self._dead_letter.publish(DEAD_LETTER, "order-projection", event.to_json(), {"error": str(exc)})
            return
        for entry in entries:
            await self._notifier.publish(entry.account_id, entry.kind, entry.seq, entry.data)
