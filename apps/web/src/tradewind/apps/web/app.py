"""``create_app(container)``: the only module that sees the container. Everything the handlers
need is handed to Litestar's ``Provide`` as plain callables, so each test builds its own app."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.types import ASGIApp, Receive, Scope, Send

from tradewind.application.correlation import correlation_id
from tradewind.apps.web.admin.controller import AdminController
from tradewind.apps.web.auth import current_account
from tradewind.apps.web.containers import WebContainer
from tradewind.apps.web.dashboard.plugin import dashboard_plugin
from tradewind.apps.web.errors import EXCEPTION_HANDLERS
from tradewind.apps.web.health.controller import HealthController
from tradewind.apps.web.market.controller import MarketController
from tradewind.apps.web.metrics import Metrics
from tradewind.apps.web.openapi import ErrorDocs
from tradewind.apps.web.orders.controller import OrderController
from tradewind.apps.web.portfolio.controller import PortfolioController
from tradewind.apps.web.rate_limit import OrderRateLimiter
from tradewind.apps.web.request_guard import MAX_BODY_BYTES, guard_headers
from tradewind.apps.web.stream.controller import RAW_CHANNEL, StreamContext, StreamController
from tradewind.apps.web.stream.hub import StreamHub


def _valid_uuid(raw: str) -> str | None:
    try:
        return str(uuid.UUID(raw)) if raw else None
    except ValueError:
        return None


def _observe(metrics: Metrics) -> Any:
    def middleware(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            headers = dict(scope.get("headers") or [])
            raw_cid = headers.get(b"x-correlation-id", b"").decode("latin-1")  # never raises: guard_headers vets bytes
            token = correlation_id.set(_valid_uuid(raw_cid) or str(uuid.uuid4()))
            started = time.perf_counter()
            status = 500

            async def send_wrapper(message: Any) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await app(scope, receive, send_wrapper)
            finally:
                metrics.observe(scope.get("method", "GET"), status, time.perf_counter() - started)
                correlation_id.reset(token)

        return wrapped

    return middleware


class TradewindApp(Litestar):
    """Litestar, plus the server's own ``receive``/``send`` left in each HTTP scope for the SSE
    writer (``FanOutStream``), which runs outside the middleware chain once its response started."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope[RAW_CHANNEL] = (receive, send)
        await super().__call__(scope, receive, send)


def create_app(container: WebContainer) -> Litestar:
    adapters: Any = container.adapters
    metrics = Metrics()
    rate_limiter = OrderRateLimiter(
        adapters.rate_limiter(),
        {
            "order": (float(container.config.order_rate_per_second()), int(container.config.order_burst())),
            "amend": (float(container.config.amend_rate_per_second()), int(container.config.amend_burst())),
            "cancel": (float(container.config.cancel_rate_per_second()), int(container.config.cancel_burst())),
        },
    )
    hub_holder: dict[str, StreamHub] = {}
    flush_interval = float(container.config.sse_flush_interval_ms()) / 1000

    @asynccontextmanager
    async def resources(app: Litestar) -> AsyncIterator[None]:
        lifecycle = adapters.lifecycle()
        await lifecycle.start(kafka=False, listener=True)
        hub_holder["hub"] = StreamHub(
            adapters.update_listener(),
            adapters.prices(),
            max_pending=int(container.config.sse_max_pending()),
            stall_seconds=float(container.config.sse_stall_s()),
        )
        app.state.stream = StreamContext(hub_holder["hub"], adapters.read_model(), flush_interval)
        try:
            yield
        finally:
            hub_holder.pop("hub").close()
            await lifecycle.stop()

    def stream_hub() -> StreamHub:
        return hub_holder["hub"]

    def provide(factory: Any) -> Provide:
        return Provide(lambda: factory(), sync_to_thread=False)

    return TradewindApp(
        route_handlers=[
            OrderController,
            MarketController,
            StreamController,
            HealthController,
            PortfolioController,
            AdminController,
        ],
        dependencies={
            "account": Provide(current_account),
            "authenticate": provide(container.authenticate),
            "place_order": provide(container.place_order),
            "cancel_order": provide(container.cancel_order),
            "amend_order": provide(container.amend_order),
            "set_trading_state": provide(container.set_trading_state),
            "set_limits": provide(container.set_limits),
            "order_read_model": provide(adapters.read_model),
            "order_lookup": provide(adapters.order_lookup),
            "prices": provide(adapters.prices),
            "candles": provide(adapters.candles),
            "portfolio": provide(container.portfolio),
            "lifecycle": provide(adapters.lifecycle),
            "stream_hub": Provide(stream_hub, sync_to_thread=False),
            "metrics": Provide(lambda: metrics, sync_to_thread=False),
            "order_rate_limiter": Provide(lambda: rate_limiter, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=[resources],
        middleware=[guard_headers(MAX_BODY_BYTES), _observe(metrics)],
        request_max_body_size=MAX_BODY_BYTES,
        plugins=[dashboard_plugin(adapters, str(container.config.profile())), ErrorDocs()],
        openapi_config=OpenAPIConfig(
            title="Tradewind API", version="1.0.0", path="/schema", render_plugins=[SwaggerRenderPlugin()]
        ),
        debug=False,
        logging_config=None,  # our JSON logging (configure_logging) stays in charge
    )
