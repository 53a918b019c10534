"""``tradewind demo``: the whole platform in one process on the ``memory`` profile.

One set of in-memory adapters is shared by the three apps, exactly as the real servers are
shared by the three processes in ``local``.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from typing import Any

import typer
import uvicorn

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.apps.cli.market import print_watchlist, wait_for_quotes
from tradewind.apps.gateway.main import GatewayProcess
from tradewind.apps.gateway.main import build_container as gateway_container
from tradewind.apps.venue.main import VenueProcess
from tradewind.apps.web.main import build_app
from tradewind.apps.worker.main import WorkerProcess
from tradewind.apps.worker.main import build_container as worker_container
from tradewind.domain.instruments import DEFAULT_WATCHLIST

DEMO_TOKEN = "demo-token"


async def start_platform(
    settings: Settings, venue: VenueProcess | None = None, adapters: Any | None = None
) -> tuple[Any, WorkerProcess, GatewayProcess, str]:
    adapters = adapters or build_adapters(settings)
    created = await CreateUser(adapters.uow)("demo", "100000", token=DEMO_TOKEN)
    if venue is not None:
        await venue.start()  # before the gateway, whose FIX adapter logs on to it
    worker = WorkerProcess(worker_container(settings, adapters), settings, health=False)
    gateway = GatewayProcess(gateway_container(settings, adapters), settings, health=False)
    await worker.start()
    await gateway.start()
    await wait_for_quotes(adapters.prices(), DEFAULT_WATCHLIST)  # replay -> stream -> price cache
    return adapters, worker, gateway, created.token


async def run_demo(host: str, port: int, *, with_venue: bool = False) -> None:
    settings = Settings(profile="memory", web_host=host, web_port=port)
    venue, state = None, None
    adapters: Any = build_adapters(settings)
    if with_venue:  # the venue in this process, reached over FIX on loopback; its book lasts one run
        state = tempfile.mkdtemp(prefix="tradewind-demo-venue-")
        settings = settings.model_copy(
            update={"broker": "fix", "venue_dir": f"{state}/venue", "gateway_fix_dir": f"{state}/gateway-fix"}
        )
        venue = VenueProcess(settings, health=False, updates=adapters.update_listener())
    adapters, worker, gateway, token = await start_platform(settings, venue, adapters)
    server = uvicorn.Server(
        uvicorn.Config(build_app(settings, adapters), host=host, port=port, log_config=None, access_log=False)
    )
    base = f"http://{host}:{port}"
    typer.echo(f"Tradewind demo (memory profile, real-history quotes) on {base}")
    if venue is not None:
        typer.echo(f"  Venue:      FIX 4.4 on {settings.venue_host}:{settings.venue_port} (book in {state})")
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
        if venue is not None:
            await venue.stop()
        if state is not None:
            shutil.rmtree(state, ignore_errors=True)
