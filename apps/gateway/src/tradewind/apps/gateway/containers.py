"""The gateway's composition root: execution engine + broker gateway over the broker chosen by
``TRADEWIND_BROKER``: ``paper`` (in process, fed by the gateway's own market data) or ``fix``
(the venue process over FIX 4.4, ``tradewind venue``), and the quote pump that feeds the paper
broker real-history prices."""

from __future__ import annotations

from pathlib import Path

from dependency_injector import containers, providers

from tradewind.adapters.broker.fix.adapter import FixBroker
from tradewind.adapters.broker.fix.session import FixEndpoint
from tradewind.adapters.broker.history import HistoryReplay
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.execution.engine import ExecutionEngine
from tradewind.application.execution.gateway import BrokerGateway


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
    gateway = providers.Singleton(BrokerGateway, adapter=broker)
    engine = providers.Singleton(
        ExecutionEngine,
        gateway=gateway,
        publisher=adapters.publisher,
        ack_timeout=config.broker_ack_timeout,
    )
    replay = providers.Singleton(HistoryReplay)
