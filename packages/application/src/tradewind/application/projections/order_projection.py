"""The order read-model projection: ``order.events`` into the read table, then to the stream.

Idempotent by ``account_seq``: an event numbered at or below what the view has applied for its
account is a redelivery and changes nothing; its entries are announced again (a crash between
the commit and the announcement loses nothing live). A number above the next one is a gap: it
is counted and logged (the view is then rebuilt with ``tradewind replay``), and the event is
applied. An event that does not fit the view is counted, logged and skipped, never retried
forever.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from tradewind.application.ports import Notifier, OrderReadModel
from tradewind.domain.orders.events import OrderEvent

log = logging.getLogger(__name__)


class OrderProjection:
    def __init__(self, read_model: OrderReadModel, notifier: Notifier) -> None:
        self._read_model = read_model
        self._notifier = notifier

    async def __call__(self, event: OrderEvent) -> None:
        for entry in await self._read_model.apply(event):
            await self._notifier.publish(entry.account_id, entry.kind, entry.seq, entry.data)

    async def apply_batch(self, events: Sequence[OrderEvent]) -> None:
        """One poll's events in one read-model transaction (issue 15), announced after it
        committed, in order, in one round trip. If the transaction fails, the events are applied one at a time
        (each its own transaction), so one that cannot be stored costs the others nothing."""
        try:
            entries = await self._read_model.apply_many(events)
        except Exception:
            log.exception("projection batch failed; applying its events one by one", extra={"events": len(events)})
            for event in events:
                await self(event)
            return
        await self._notifier.publish_many([(e.account_id, e.kind, e.seq, e.data) for e in entries])
