"""The gateway process: consumes ``order.commands``, drives the broker, publishes every report
to ``execution.reports``;
runs the exchange feeds and the real-history replay into the market-data stream (Kinesis) and
the paper broker (``market_feeds.py``). ``quote_pump`` is the pre-stream wiring, kept only for
the Pact producer test that still builds its quote update with it."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.observability.health_server import HealthServer
from tradewind.adapters.aws.settings import Settings
from tradewind.adapters.broker.fix.adapter import FixBroker
from tradewind.application.market.quote_pump import QuotePump
from tradewind.application.messaging import order_events_batch_handler
from tradewind.application.topics import ORDER_COMMANDS
from tradewind.apps.gateway.containers import GatewayContainer
from tradewind.apps.gateway.market_feeds import GatewayMarketData
from tradewind.apps.gateway.metrics import render_breaker, render_reconciliation
from tradewind.domain.market import Quote

log = logging.getLogger(__name__)
GROUP = "execution-engine"


def build_container(settings: Settings, adapters: Any | None = None) -> GatewayContainer:
    container = GatewayContainer(adapters=adapters or build_adapters(settings))
    container.config.from_dict(settings.model_dump(mode="python"))
    return container


def quote_pump(container: GatewayContainer, interval: float) -> QuotePump:
    adapters: Any = container.adapters
    broker, prices, notifier = container.broker(), adapters.prices(), adapters.notifier()

    async def to_broker(quote: Quote) -> None:
        broker.on_quote(quote)

    async def to_stream(quote: Quote) -> None:
        await notifier.publish(None, "quote", None, quote.to_dict())

    return QuotePump(
        container.replay(),
        [("price_cache", prices.put), ("paper_broker", to_broker), ("stream", to_stream)],
        interval=interval,
    )


class GatewayProcess:
    """Everything the gateway runs, started and stopped in order."""

    def __init__(self, container: GatewayContainer, settings: Settings, *, health: bool = True) -> None:
        self.container = container
        self.settings = settings
        self.adapters: Any = container.adapters
        self.subscriptions: Any = None
        self.market = GatewayMarketData(self.adapters, container.broker(), settings)  # feeds -> Kinesis + broker
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._health = (
            HealthServer(settings.web_host, settings.gateway_health_port, self.readiness, self.metrics)
            if health
            else None
        )

    def metrics(self) -> str:
        return render_breaker(self.container.breaker()) + render_reconciliation(self.container.reconciler().stats)

    async def readiness(self) -> dict[str, Any]:
        checks = await self.adapters.lifecycle().readiness()
        checks["consumers"] = "ok" if self.subscriptions is not None and await self.subscriptions.ready() else "waiting"
        checks["quotes"] = "ok" if self.market.ready else "waiting"
        broker = self.container.broker()
        if isinstance(broker, FixBroker):  # the venue process, over FIX
            checks["venue"] = "ok" if broker.logged_on else "waiting"
        return checks

    async def start(self) -> None:
        await self.adapters.lifecycle().start(kafka=True)
        engine = self.container.engine()
        reconciler = self.container.reconciler()
        self.container.gateway().on_connected(reconciler.trigger)  # every reconnect reconciles
        await engine.start()  # the broker runs before its first quote (a stopped one drops quotes)
        # on start (now), on every reconnect, every reconcile_interval_s
        self._tasks.append(asyncio.create_task(reconciler.run(self._stop), name="reconciliation"))
        await self.market.start()  # prices before the first order can be risk-checked
        self.subscriptions = self.adapters.subscriptions()
        # One poll at a time, its orders concurrently (issue 15; ``ExecutionEngine.handle_batch``).
        self.subscriptions.subscribe_batch(
            [ORDER_COMMANDS],
            f"{self.settings.kafka_group_prefix}{GROUP}",
            order_events_batch_handler(engine.handle_batch, consumer=GROUP),
            max_records=self.settings.consumer_batch_max,
        )
        await self.subscriptions.start()
        if self._health is not None:
            await self._health.start()
        log.info("gateway started")

    async def stop(self) -> None:
        self._stop.set()
        if self._health is not None:
            await self._health.stop()
        if self.subscriptions is not None:
            await self.subscriptions.stop()
        for task in self._tasks:  # reconciliation: a pass cut short is safe (its reports are idempotent)
            task.cancel()
        await self.container.engine().stop()
        await self.market.stop()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.adapters.lifecycle().stop()


async def serve(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT, then stop in order (consumers first, pools last)."""
    process = GatewayProcess(build_container(settings), settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await process.start()
    try:
        await stop.wait()
    finally:
        await process.stop()
