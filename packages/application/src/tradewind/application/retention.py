"""The pruner's loop: every ``interval`` seconds, ask the store to drop what is past its
retention (``ports.Retention``), and log what went. A failed prune is logged and retried at the
next tick; it never stops the worker."""

from __future__ import annotations

import asyncio
import logging

from tradewind.application.ports import Retention

log = logging.getLogger(__name__)


class RetentionLoop:
    def __init__(self, retention: Retention, *, interval: float) -> None:
        self._retention = retention
        self._interval = interval
        self.deleted: dict[str, int] = {}

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                for table, n in (await self._retention.prune()).items():
                    self.deleted[table] = self.deleted.get(table, 0) + n
                    if n:
                        log.info("pruned past retention", extra={"table": table, "rows": n})
            except Exception:
                log.exception("prune failed; retrying at the next tick")
            try:
                await asyncio.wait_for(stop.wait(), self._interval)
            except TimeoutError:
                pass
