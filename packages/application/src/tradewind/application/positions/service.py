"""The position service: every ``order.filled`` of ``order.events`` into the positions view,
exactly once.

Consumed through the ``Subscriptions`` port (group ``positions``); other order events are not
its business. Fills arrive in ``account_seq`` order, and the store applies a fill only when its
number is above the last one the position applied; only then is ``position.updated`` published
(acks=all) and the owner's live stream told. A redelivered fill changes nothing and announces
the position again, so a crash between the store and the publish loses no announcement.
Raising leaves the offset uncommitted: the fill comes back (invariant 5); a fill that can never
apply raises ``PoisonMessage`` and the subscriptions' policy parks it on ``dead_letter``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from tradewind.application.dead_letters import PoisonMessage
from tradewind.application.ports import EventPublisher, Notifier, PriceCache
from tradewind.application.positions.lag import LagHistogram
from tradewind.application.positions.ports import PositionStore, UnnumberedFill
from tradewind.application.positions.resources import mark_for, position_resource
from tradewind.application.topics import POSITION_UPDATED
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote
from tradewind.domain.orders.events import OrderEvent, OrderFilled
from tradewind.domain.positions.events import PositionUpdated

log = logging.getLogger(__name__)
CONSUMER = "positions"


class PositionService:
    def __init__(
        self,
        store: PositionStore,
        publisher: EventPublisher,
        notifier: Notifier,
        prices: PriceCache,
        lag: LagHistogram | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._notifier = notifier
        self._prices = prices
        self._clock = clock
        self.lag = lag or LagHistogram()
        self.applied = 0
        self.duplicates = 0

    async def __call__(self, event: OrderEvent) -> None:
        if not isinstance(event, OrderFilled):
            return  # order.events carries every order event; only fills move positions
        if event.fill_qty <= 0 or not event.fill_price.is_finite() or event.fill_price <= 0:
            # would fail the same way on every redelivery: park it, let the partition move on
            raise PoisonMessage(f"fill {event.event_id} without quantity or price")
        try:
            result = await self._store.apply_fill(event)
        except UnnumberedFill as exc:
            raise PoisonMessage(str(exc)) from exc
        now = self._clock()
        if result.applied:
            self.applied += 1
            self.lag.observe((now - event.occurred_at).total_seconds())
        else:
            self.duplicates += 1
            log.info("fill already applied", extra={"event_id": str(event.event_id)})
        update = PositionUpdated.after(event, result.position, at=result.applied_at)
        await self._publisher.publish(POSITION_UPDATED, str(event.account_id), update.to_json())
        quote = await self._quote(event.symbol)
        resource = position_resource(result.position, mark_for(result.position, quote), now)
        await self._notifier.publish(event.account_id, "position", None, resource)

    async def apply_batch(self, events: Sequence[OrderEvent]) -> None:
        """One poll's events (issue 15): each account's in order, accounts concurrently (a
        position belongs to one account, so nothing of one account waits for another's store
        and broker round trips). If any fails, it raises once all have finished: the batch comes
        again and what was applied is a duplicate by ``last_seq``."""
        by_account: dict[uuid.UUID, list[OrderEvent]] = {}
        for event in events:
            by_account.setdefault(event.account_id, []).append(event)

        async def in_order(mine: list[OrderEvent]) -> None:
            for event in mine:
                await self(event)

        results = await asyncio.gather(*(in_order(mine) for mine in by_account.values()), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _quote(self, symbol: str) -> Quote | None:
        try:
            return await self._prices.get(symbol)
        except Exception:  # the live view falls back to the last fill price; the fill stays applied
            log.warning("price cache unavailable for the position notification", extra={"symbol": symbol})
            return None
