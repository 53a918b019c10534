"""The gateway's composition root: execution engine + broker gateway (behind its circuit
breaker) over the broker chosen by ``TRADEWIND_BROKER``: ``paper`` (in process, fed by the
gateway's own market data) or ``fix`` (the venue process over FIX 4.4, ``tradewind venue``); the
reconciliation against it; and the quote pump that feeds the paper broker real-history prices."""

from __future__ import annotations

from pathlib import Path

from dependency_injector import containers, providers

from tradewind.adapters.broker.fix.adapter import FixBroker
from tradewind.adapters.broker.fix.session import FixEndpoint
from tradewind.adapters.broker.history import HistoryReplay
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.execution.breaker import CircuitBreaker
from tradewind.application.execution.engine import ExecutionEngine
from tradewind.application.execution.gateway import BrokerGateway
from tradewind.application.execution.reconcile import Reconciler


def _ms(value: int) -> float:
    return value / 1000


class GatewayContainer(containers.DeclarativeContainer):
    adapters = providers.DependenciesContainer()
    config = providers.Configuration()

    broker = providers.Selector(
        config.broker,
        paper=providers.Singleton(
            PaperBroker,
            latency=providers.Callable(_ms, config.paper_latency_ms),
            slice_qty=config.paper_slice_qty,
        ),
        fix=providers.Singleton(
            FixBroker,
            endpoint=providers.Factory(FixEndpoint, host=config.venue_host, port=config.venue_port),
            state_dir=providers.Factory(Path, config.gateway_fix_dir),
            request_timeout=config.venue_request_timeout,
        ),
    )
    breaker = providers.Singleton(
        CircuitBreaker, failure_threshold=config.broker_breaker_failures, reset_timeout=config.broker_breaker_reset_s
    )
    gateway = providers.Singleton(BrokerGateway, adapter=broker, breaker=breaker)
    engine = providers.Singleton(
        ExecutionEngine,
        gateway=gateway,
        publisher=adapters.publisher,
        ack_timeout=config.broker_ack_timeout,
    )
    reconciler = providers.Singleton(
        Reconciler,
        gateway=gateway,
        ledger=adapters.ledger_open_orders,
        publish=engine.provided.publish_reconciled,
        send=engine.provided.send,
        interval=config.reconcile_interval_s,
        grace=config.reconcile_grace_s,
    )
    replay = providers.Singleton(HistoryReplay)
