"""The correlation id of the work in hand, for structured logs (set per request and per message)."""

from __future__ import annotations

from contextvars import ContextVar

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
