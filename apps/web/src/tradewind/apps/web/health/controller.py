"""Liveness, readiness (dependencies reachable, prices flowing) and Prometheus text metrics."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get
from litestar.response import Response as LitestarResponse

from tradewind.apps.web.metrics import Metrics
from tradewind.apps.web.stream.hub import StreamHub
from tradewind.domain.clock import utcnow
from tradewind.domain.instruments import SYMBOLS
from tradewind.domain.market import STALE_AFTER


async def prices_flowing(prices: Any) -> str:
    """``ok`` when the price cache holds a fresh quote (younger than the risk check's 5 s) for at
    least one tradable symbol. Without one every order is refused ``price_missing``/``price_stale``
    (invariant 4), so a web process that accepts requests then is not ready: issue 12 found a stack
    whose market-data consumer waited for a stream that no longer existed while ``/readyz`` said
    ready. One fresh symbol suffices: a single halted name must not take the whole API out.
    ``prices`` is the ``PriceCache`` port (typed loosely like ``lifecycle``: Litestar resolves it)."""
    try:
        quotes = await prices.get_many(sorted(SYMBOLS))
    except Exception as exc:
        return f"down: {exc.__class__.__name__}"
    if not quotes:
        return f"missing: no price for any of the {len(SYMBOLS)} symbols"
    now = utcnow()
    if any(not q.is_stale(now) for q in quotes.values()):
        return "ok"
    newest = max(q.ts for q in quotes.values())
    age = (now - newest).total_seconds()
    return f"stale: the newest price is {age:.1f} s old (more than {STALE_AFTER.total_seconds():.0f} s)"


class HealthController(Controller):
    tags = ["health"]

    @get("/healthz", summary="Liveness")
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", summary="Readiness: PostgreSQL and Redis answer, and prices are flowing")
    async def readyz(self, lifecycle: Any, prices: Any) -> Response[dict[str, Any]]:
        checks = await lifecycle.readiness()
        checks["prices"] = await prices_flowing(prices)
        ready = all(v == "ok" for v in checks.values())
        return Response(
            {"status": "ready" if ready else "not_ready", "checks": checks}, status_code=200 if ready else 503
        )

    @get("/metrics", summary="Prometheus text format", media_type="text/plain; version=0.0.4")
    async def metrics(self, metrics: Metrics, stream_hub: StreamHub) -> LitestarResponse[str]:
        metrics.connections = stream_hub.connection_count
        return LitestarResponse(metrics.render() + stream_hub.stats.render(), media_type="text/plain; version=0.0.4")
