"""Retention on the ``memory`` profile: nothing to prune. The in-memory twins live as long as
the one ``tradewind demo`` process does, and its restart is their retention."""

from __future__ import annotations


class MemoryRetention:
    async def prune(self) -> dict[str, int]:
        return {}
