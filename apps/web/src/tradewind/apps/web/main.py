"""Build the web app for a profile: settings -> adapters -> container -> app."""

from __future__ import annotations

from typing import Any

from litestar import Litestar

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.apps.web.app import create_app
from tradewind.apps.web.containers import WebContainer


def build_container(settings: Settings, adapters: Any | None = None) -> WebContainer:
    container = WebContainer(adapters=adapters or build_adapters(settings))
    container.config.from_dict(settings.model_dump(mode="python"))
    return container


def build_app(settings: Settings | None = None, adapters: Any | None = None) -> Litestar:
    settings = settings or Settings()
    return create_app(build_container(settings, adapters))
