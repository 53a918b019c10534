"""What every exchange feed shares: counting, dropping malformed messages, reconnecting.

Promises: a message the normalizer refuses is counted in ``malformed``, logged with a sample,
and dropped; the feed carries on with the next message. A lost or refused connection is retried
with exponential backoff (``Backoff``), reset once a connection delivered something. ``run``
returns only when ``stop`` is set. A sink that raises is counted in ``sink_errors`` and logged;
it does not stop the feed either.
"""

from __future__ import annotations

import asyncio
import logging
import random
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Mapping

from tradewind.application.ports import PriceSink
from tradewind.domain.marketdata import PriceUpdate

log = logging.getLogger(__name__)


class MalformedMessage(Exception):
    """The message cannot be read as a price update; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Backoff:
    """Exponential delays with jitter: ``initial``, doubling up to ``maximum``."""

    def __init__(self, initial: float = 0.05, maximum: float = 5.0) -> None:
        self.initial, self.maximum = initial, maximum
        self._next = initial

    def next(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self.maximum)
        return delay * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self._next = self.initial


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds`` unless ``stop`` is set first."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


class ExchangeFeed(ABC):
    """A feed over one connection at a time; subclasses implement ``_session``."""

    name: str

    def __init__(self, name: str, *, backoff: Backoff | None = None) -> None:
        self.name = name
        self._backoff = backoff or Backoff()
        self._counts: Counter[str] = Counter()
        self._sink: PriceSink | None = None

    @property
    def stats(self) -> Mapping[str, int]:
        """received, delivered, malformed, ignored (control messages), sink_errors, connects, reconnects."""
        return dict(self._counts)

    async def run(self, sink: PriceSink, stop: asyncio.Event) -> None:
        self._sink = sink
        while not stop.is_set():
            delivered_before = self._counts["delivered"]
            try:
                await self._session(stop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not stop.is_set():  # closing it ourselves is no loss
                    log.warning("feed connection lost", extra={"feed": self.name, "error": repr(exc)})
            if stop.is_set():
                break
            if self._counts["delivered"] > delivered_before:
                self._backoff.reset()
            self._counts["reconnects"] += 1
            await wait_or_stop(stop, self._backoff.next())

    @abstractmethod
    async def _session(self, stop: asyncio.Event) -> None:
        """Connect, read until the connection ends or ``stop`` is set; raise or return to reconnect."""

    def _malformed(self, raw: object, reason: str) -> None:
        self._counts["malformed"] += 1
        log.warning("malformed message dropped", extra={"feed": self.name, "reason": reason, "sample": repr(raw)[:200]})

    async def _deliver(self, update: PriceUpdate) -> None:
        assert self._sink is not None
        try:
            await self._sink(update)
        except Exception:
            self._counts["sink_errors"] += 1
            log.exception("price sink failed", extra={"feed": self.name, "symbol": update.symbol})
            return
        self._counts["delivered"] += 1
