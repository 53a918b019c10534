"""In-memory twins of the batched quote writer and the quote broadcaster."""

from __future__ import annotations

from collections.abc import Sequence

from tradewind.adapters.aws.memory.notifier import MemoryNotifier
from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.domain.market import Quote


class MemoryQuoteWriter:
    def __init__(self, cache: MemoryPriceCache) -> None:
        self._cache = cache

    async def put_many(self, quotes: Sequence[Quote]) -> None:
        for quote in quotes:
            await self._cache.put(quote)


class MemoryQuoteBroadcaster:
    def __init__(self, notifier: MemoryNotifier) -> None:
        self._notifier = notifier

    async def broadcast(self, quotes: Sequence[Quote]) -> None:
        for quote in quotes:
            await self._notifier.publish(None, "quote", None, quote.to_dict())
