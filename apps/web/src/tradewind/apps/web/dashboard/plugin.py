"""Everything the dashboard adds to the web app, registered in one place (a Litestar init plugin):
its pages, its static files (our own scripts and the vendored libraries), the Jinja templates, the
server-side session (middleware + store) and the 403 answer for a failed CSRF check.

The session store follows the profile: Redis (the app's own client, closed by the adapters'
lifecycle) wherever there are real servers, so every web worker sees every session; process
memory in the one-process ``memory`` demo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig

from tradewind.apps.web.dashboard.controller import DashboardController
from tradewind.apps.web.dashboard.session import CsrfRejected, session_config
from tradewind.apps.web.errors import error_body

HERE = Path(__file__).parent
STATIC_PATH = "/static/dashboard"


def csrf_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, object]]:
    return Response(error_body("csrf_failed", str(getattr(exc, "detail", exc))), status_code=403)


class DashboardPlugin(InitPluginProtocol):
    def __init__(self, *, session_store: Store, secure_cookie: bool) -> None:
        self._store = session_store
        self._secure = secure_cookie

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend(
            [DashboardController, create_static_files_router(path=STATIC_PATH, directories=[HERE / "static"])]
        )
        app_config.template_config = TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)
        app_config.stores = {**dict(app_config.stores or {}), "sessions": self._store}  # type: ignore[dict-item]
        app_config.middleware.append(session_config(secure=self._secure).middleware)
        app_config.exception_handlers[CsrfRejected] = csrf_error
        return app_config


def dashboard_plugin(adapters: Any, profile: str) -> DashboardPlugin:
    store: Store
    if profile == "memory":
        store = MemoryStore()
    else:
        store = RedisStore(adapters.redis(), namespace="tradewind-session", handle_client_shutdown=False)
    return DashboardPlugin(session_store=store, secure_cookie=profile == "aws")
