"""The worker process: relays the outbox to Kafka; runs the OMS ledger (``execution.reports`` in,
numbered ``order.events`` out through the outbox) and the projections of ``order.events`` (order
read model and live notifications, positions, audit); the store of dead letters (``dead_letter``
into PostgreSQL, for ``tradewind dlq``); and the market-data service on the Kinesis stream
(``market_data.py``). Every consumer runs under the one dead-letter policy of the subscriptions. Each consumer works its partitions strictly in order and commits
its offset (or checkpoint) only after its effect is durable."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.kafka.offsets import rewind_group
from tradewind.adapters.aws.observability.health_server import HealthServer
from tradewind.adapters.aws.provisioning import ensure_audit_bucket, ensure_positions_table
from tradewind.adapters.aws.settings import Settings
from tradewind.application.audit.archiver import AuditArchiver
from tradewind.application.dead_letters import DeadLetterRecorder
from tradewind.application.messaging import order_events_batch_handler, venue_reports_batch_handler
from tradewind.application.retention import RetentionLoop
from tradewind.application.topics import AUDITED_TOPICS, DEAD_LETTER, EXECUTION_REPORTS, ORDER_EVENTS
from tradewind.apps.worker.containers import WorkerContainer
from tradewind.apps.worker.market_data import WorkerMarketData

log = logging.getLogger(__name__)
LEDGER_GROUP = "oms-ledger"
PROJECTION_GROUP = "order-projection"
POSITIONS_GROUP = "positions"
AUDIT_GROUP = "audit"
DEAD_LETTER_GROUP = "dead-letters"


def build_container(settings: Settings, adapters: Any | None = None) -> WorkerContainer:
    container = WorkerContainer(adapters=adapters or build_adapters(settings))
    container.config.from_dict(settings.model_dump(mode="python"))
    return container


class WorkerProcess:
    def __init__(self, container: WorkerContainer, settings: Settings, *, health: bool = True) -> None:
        self.container = container
        self.settings = settings
        self.adapters: Any = container.adapters
        self.subscriptions: Any = None
        self.archiver: AuditArchiver | None = None
        self.rebuilt_positions: int | None = None  # messages replayed into an empty positions view
        self.market = WorkerMarketData(self.adapters)  # Kinesis -> last price, quotes, candles
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._health = HealthServer(settings.web_host, settings.worker_health_port, self.readiness) if health else None

    def group(self, name: str) -> str:
        """The consumer group id: ``name`` under the configured prefix (isolated test stacks)."""
        return f"{self.settings.kafka_group_prefix}{name}"

    async def readiness(self) -> dict[str, Any]:
        checks: dict[str, Any] = await self.adapters.lifecycle().readiness()
        checks["consumers"] = "ok" if self.subscriptions is not None and await self.subscriptions.ready() else "waiting"
        checks["relay"] = "ok" if self._tasks and not self._tasks[0].done() else "down"
        checks["market_data"] = "ok" if await self.market.ready() else "waiting"
        audit_up = self.archiver is not None and await self.archiver.ready() and not self._tasks[-1].done()
        checks["audit"] = "ok" if audit_up else "waiting"
        return checks

    async def prepare_views(self) -> None:
        """The views' storage exists, and a positions view found empty while the ledger has
        fills (moto restarted empty, a table recreated) is rebuilt: its consumer group starts
        again from the beginning of ``order.events`` (idempotent by each position's last_seq)."""
        if self.settings.profile == "memory":
            return
        await ensure_positions_table(self.settings)
        await ensure_audit_bucket(self.settings)
        async with self.adapters.uow() as uow:
            ledger_has_fills = await uow.orders.any_fills()
        if ledger_has_fills and await self.adapters.positions().is_empty():
            n = await rewind_group(self.settings.kafka_bootstrap, self.group(POSITIONS_GROUP), [ORDER_EVENTS])
            self.rebuilt_positions = n
            log.warning(
                "positions view empty while the ledger has fills: rebuilding it from order.events",
                extra={"messages": n},
            )

    async def start(self) -> None:
        await self.adapters.lifecycle().start(kafka=True)
        relay = self.container.relay()
        self._tasks.append(asyncio.create_task(relay.run(self._stop), name="outbox-relay"))
        await self.prepare_views()
        self.subscriptions = self.adapters.subscriptions()
        # Each poll is one batch (issue 15): one ledger transaction, one read-model transaction,
        # positions concurrently per account; offsets are committed after the batch's effects.
        batch = self.settings.consumer_batch_max
        self.subscriptions.subscribe_batch(
            [EXECUTION_REPORTS],
            self.group(LEDGER_GROUP),
            venue_reports_batch_handler(self.container.ledger().apply_batch, consumer=LEDGER_GROUP),
            max_records=batch,
        )
        self.subscriptions.subscribe_batch(
            [ORDER_EVENTS],
            self.group(PROJECTION_GROUP),
            order_events_batch_handler(self.container.order_projection().apply_batch, consumer=PROJECTION_GROUP),
            max_records=batch,
        )
        self.subscriptions.subscribe_batch(
            [ORDER_EVENTS],
            self.group(POSITIONS_GROUP),
            order_events_batch_handler(self.container.position_service().apply_batch, consumer=POSITIONS_GROUP),
            max_records=batch,
        )
        # what no consumer could handle, kept for operators (`tradewind dlq`)
        self.subscriptions.subscribe_deliveries(
            [DEAD_LETTER], self.group(DEAD_LETTER_GROUP), DeadLetterRecorder(self.adapters.dead_letters())
        )
        await self.subscriptions.start()
        self.archiver = AuditArchiver(
            self.adapters.audit_log(topics=AUDITED_TOPICS, group=self.group(AUDIT_GROUP)),
            self.adapters.audit_archive(),
            group=self.group(AUDIT_GROUP),
            max_events=self.settings.audit_max_events,
            max_age=self.settings.audit_max_age_s,
        )
        self._tasks.append(asyncio.create_task(self.archiver.run(self._stop), name="audit-archiver"))  # stop flushes
        pruner = RetentionLoop(self.adapters.retention(), interval=self.settings.retention_interval_s)
        self._tasks.insert(1, asyncio.create_task(pruner.run(self._stop), name="retention"))
        sweep = self.container.session_sweep().run(self._stop, interval=self.settings.session_sweep_s)
        self._tasks.insert(2, asyncio.create_task(sweep, name="session-sweep"))
        await self.market.start()
        if self._health is not None:
            await self._health.start()
        log.info("worker started")

    async def stop(self) -> None:
        self._stop.set()
        if self._health is not None:
            await self._health.stop()
        if self.subscriptions is not None:
            await self.subscriptions.stop()
        await self.market.stop()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.adapters.lifecycle().stop()


async def serve(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT, then stop in order (consumers first, pools last)."""
    process = WorkerProcess(build_container(settings), settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await process.start()
    try:
        await stop.wait()
    finally:
        await process.stop()
