"""Liveness, readiness (dependencies reachable) and Prometheus text metrics."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get
from litestar.response import Response as LitestarResponse

from tradewind.apps.web.metrics import Metrics


class HealthController(Controller):
    tags = ["health"]

    @get("/healthz", summary="Liveness")
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", summary="Readiness: PostgreSQL and Redis answer")
    async def readyz(self, lifecycle: Any) -> Response[dict[str, Any]]:
        checks = await lifecycle.readiness()
        ready = all(v == "ok" for v in checks.values())
        return Response(
            {"status": "ready" if ready else "not_ready", "checks": checks}, status_code=200 if ready else 503
        )

    @get("/metrics", summary="Prometheus text format", media_type="text/plain; version=0.0.4")
    async def metrics(self, metrics: Metrics) -> LitestarResponse[str]:
        return LitestarResponse(metrics.render(), media_type="text/plain; version=0.0.4")
