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
from tradewind.application.positions.ports import AppliedFill, PositionStore, UnnumberedFill
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
        await self.apply_batch([event])

    async def apply_batch(self, events: Sequence[OrderEvent]) -> None:
        """One poll's events (issue 15): its fills go to the store in one call (the DynamoDB
        view writes them as one transaction per 100 positions), then each account's
        announcements in order, accounts concurrently. A fill that can never apply raises
        ``PoisonMessage`` before anything is written: the subscriptions' policy then delivers
        the poll again one message at a time and parks that one. If an announcement fails, it
        raises once all have finished: the batch comes again and its fills are duplicates by
        ``last_seq`` (announced again, not applied again)."""
        fills = [event for event in events if isinstance(event, OrderFilled)]  # only fills move positions
        for fill in fills:
            if fill.fill_qty <= 0 or not fill.fill_price.is_finite() or fill.fill_price <= 0:
                # would fail the same way on every redelivery: park it, let the partition move on
                raise PoisonMessage(f"fill {fill.event_id} without quantity or price")
        if not fills:
            return
        try:
            results = await self._store.apply_fills(fills)
        except UnnumberedFill as exc:
            raise PoisonMessage(str(exc)) from exc
        now = self._clock()
        by_account: dict[uuid.UUID, list[tuple[OrderFilled, AppliedFill]]] = {}
        for fill, result in zip(fills, results, strict=True):
            if result.applied:
                self.applied += 1
                self.lag.observe((now - fill.occurred_at).total_seconds())
            else:
                self.duplicates += 1
                log.info("fill already applied", extra={"event_id": str(fill.event_id)})
            by_account.setdefault(fill.account_id, []).append((fill, result))
        quotes: dict[str, Quote | None] = {}

        async def announce(mine: list[tuple[OrderFilled, AppliedFill]]) -> None:
            for fill, result in mine:
                update = PositionUpdated.after(fill, result.position, at=result.applied_at)
                await self._publisher.publish(POSITION_UPDATED, str(fill.account_id), update.to_json())
                if fill.symbol not in quotes:
                    quotes[fill.symbol] = await self._quote(fill.symbol)
                resource = position_resource(result.position, mark_for(result.position, quotes[fill.symbol]), now)
                await self._notifier.publish(fill.account_id, "position", None, resource)

        outcomes = await asyncio.gather(*(announce(mine) for mine in by_account.values()), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _quote(self, symbol: str) -> Quote | None:
        try:
            return await self._prices.get(symbol)
        except Exception:  # the live view falls back to the last fill price; the fill stays applied
            log.warning("price cache unavailable for the position notification", extra={"symbol": symbol})
            return None
