"""The order read-model projection: every order event into the read table, then to the stream.

Idempotent by ``event_id`` (the read model dedupes atomically with the change). The live
notification goes out after the change is durable, and again on redelivery: a subscriber may
see an entry twice (same ``seq``), never miss one that the log holds.
"""

from __future__ import annotations

from tradewind.application.ports import Notifier, OrderReadModel
from tradewind.domain.orders.events import OrderEvent


class OrderProjection:
    def __init__(self, read_model: OrderReadModel, notifier: Notifier) -> None:
        self._read_model = read_model
        self._notifier = notifier

    async def __call__(self, event: OrderEvent) -> None:
        for entry in await self._read_model.apply(event):
            await self._notifier.publish(entry.account_id, entry.kind, entry.seq, entry.data)
