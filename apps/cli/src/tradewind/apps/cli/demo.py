"""``tradewind demo``: the whole platform in one process on the ``memory`` profile.

One set of in-memory adapters is shared by the three apps, exactly as the real servers are
shared by the three processes in ``local``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import typer
import uvicorn

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.apps.cli.market import print_watchlist, wait_for_quotes
from tradewind.apps.gateway.main import GatewayProcess
from tradewind.apps.gateway.main import build_container as gateway_container
from tradewind.apps.web.main import build_app
from tradewind.apps.worker.main import WorkerProcess
from tradewind.apps.worker.main import build_container as worker_container
from tradewind.domain.instruments import DEFAULT_WATCHLIST

DEMO_TOKEN = "demo-token"


async def start_platform(settings: Settings) -> tuple[Any, WorkerProcess, GatewayProcess, str]:
    adapters: Any = build_adapters(settings)
    created = await CreateUser(adapters.uow)("demo", "100000", token=DEMO_TOKEN)
    worker = WorkerProcess(worker_container(settings, adapters), settings, health=False)
    gateway = GatewayProcess(gateway_container(settings, adapters), settings, health=False)
    await worker.start()
    await gateway.start()
    await wait_for_quotes(adapters.prices(), DEFAULT_WATCHLIST)  # replay -> stream -> price cache
    return adapters, worker, gateway, created.token


async def run_demo(host: str, port: int) -> None:
    settings = Settings(profile="memory", web_host=host, web_port=port)
    adapters, worker, gateway, token = await start_platform(settings)
    server = uvicorn.Server(
        uvicorn.Config(build_app(settings, adapters), host=host, port=port, log_config=None, access_log=False)
    )
    base = f"http://{host}:{port}"
    typer.echo(f"Tradewind demo (memory profile, real-history quotes) on {base}")
    # The fragment signs this browser in as the demo account (it never reaches the server's logs).
    typer.echo(f"  Dashboard:  {base}/login#token={token}   <- open this")
    typer.echo(f"  API docs:   {base}/schema/swagger")
    typer.echo(f"  API token:  {token}")
    typer.echo(
        f"  try:        curl -s -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' "
        f'-d \'{{"symbol":"AAPL","side":"buy","qty":10,"type":"market"}}\' {base}/api/v1/orders'
    )
    ticker = asyncio.create_task(print_watchlist(adapters.prices(), DEFAULT_WATCHLIST, typer.echo))  # moving quotes
    try:
        await server.serve()
    finally:
        ticker.cancel()
        await gateway.stop()
        await worker.stop()
