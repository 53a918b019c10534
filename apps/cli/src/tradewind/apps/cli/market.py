"""``tradewind market``: the local exchange simulators, and the demo's watchlist ticker.

``tradewind market simulate`` starts the three local exchanges (WebSocket JSON, FIX over TCP,
REST) publishing the real-history replay, and prints the ``TRADEWIND_MARKET_FEEDS`` value that
points a gateway at them.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated

import typer

from tradewind.adapters.broker.feeds.replay import HistoryFeed
from tradewind.adapters.broker.feeds.simulators.fix_exchange import FixExchange
from tradewind.adapters.broker.feeds.simulators.market import SimulatedMarket
from tradewind.adapters.broker.feeds.simulators.rest_exchange import RestExchange
from tradewind.adapters.broker.feeds.simulators.ws_exchange import WebSocketExchange
from tradewind.application.ports import PriceCache
from tradewind.domain.market import Quote

market = typer.Typer(help="Market data: local exchange simulators.", no_args_is_help=True)


@market.command("simulate")
def simulate(
    ws_port: Annotated[int, typer.Option(help="WebSocket JSON exchange port.")] = 9101,
    fix_port: Annotated[int, typer.Option(help="FIX tag=value (TCP) exchange port.")] = 9102,
    rest_port: Annotated[int, typer.Option(help="REST (polled) exchange port.")] = 9103,
    speed: Annotated[float, typer.Option(help="Market seconds replayed per second.")] = 600.0,
    interval: Annotated[float, typer.Option(help="Seconds between ticks (one update per symbol).")] = 0.5,
    start: Annotated[str, typer.Option(help="First trading day replayed (YYYY-MM-DD).")] = "2022-01-03",
) -> None:
    """Run the three exchanges on 127.0.0.1, publishing real-history prices, until Ctrl-C."""
    asyncio.run(_simulate(ws_port, fix_port, rest_port, speed, interval, date.fromisoformat(start)))


async def _simulate(ws_port: int, fix_port: int, rest_port: int, speed: float, interval: float, start: date) -> None:
    ws, fix, rest = WebSocketExchange(port=ws_port), FixExchange(port=fix_port), RestExchange(port=rest_port)
    for exchange in (ws, fix, rest):
        await exchange.start()
    feeds = f"ws://127.0.0.1:{ws.port},fix://127.0.0.1:{fix.port},http://127.0.0.1:{rest.port}"
    typer.echo(f"exchanges up: {feeds}")
    typer.echo(f"point a gateway at them:  TRADEWIND_MARKET_FEEDS={feeds} uv run tradewind gateway")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await SimulatedMarket([ws, fix, rest], HistoryFeed(start=start, speed=speed, interval=interval)).run(stop)
    finally:
        for exchange in (ws, fix, rest):
            await exchange.stop()


async def wait_for_quotes(prices: PriceCache, symbols: Sequence[str], timeout: float = 15.0) -> None:
    """Until every symbol has a price in the cache (the pipeline delivered), or ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if len(await prices.get_many(list(symbols))) == len(symbols) or loop.time() > deadline:
            return
        await asyncio.sleep(0.02)  # polling the cache the pipeline fills; bounded by the deadline


def watchlist_line(quotes: dict[str, Quote], previous: dict[str, Decimal]) -> str:
    cells = []
    for symbol, quote in quotes.items():
        before = previous.get(symbol, quote.last)
        arrow = "▲" if quote.last > before else "▼" if quote.last < before else "·"
        cells.append(f"{symbol} {quote.last:>8} {arrow}")
    return "  ".join(cells)


async def print_watchlist(
    prices: PriceCache, symbols: Sequence[str], echo: Callable[[str], None], *, every: float = 2.0
) -> None:
    """Print the watchlist's last prices every ``every`` seconds (the demo's moving quotes)."""
    previous: dict[str, Decimal] = {}
    while True:
        quotes = await prices.get_many(list(symbols))
        if quotes:
            echo(f"  quotes  {quotes[next(iter(quotes))].ts:%H:%M:%S}  " + watchlist_line(quotes, previous))
            previous = {s: q.last for s, q in quotes.items()}
        await asyncio.sleep(every)  # the ticker's refresh period
