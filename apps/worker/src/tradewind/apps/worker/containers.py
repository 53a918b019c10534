"""The worker's composition root: the outbox relay, the OMS ledger consumer of venue reports,
and the projections of ``order.events`` (order read model, positions)."""

from __future__ import annotations

from dependency_injector import containers, providers

from tradewind.application.orders.ledger import OrderLedger
from tradewind.application.outbox_relay import OutboxRelay
from tradewind.application.positions.service import PositionService
from tradewind.application.projections.order_projection import OrderProjection
from tradewind.application.risk.session import SessionSweep


class WorkerContainer(containers.DeclarativeContainer):
    adapters = providers.DependenciesContainer()
    config = providers.Configuration()

    relay = providers.Singleton(OutboxRelay, store=adapters.outbox, publisher=adapters.publisher)
    ledger = providers.Singleton(OrderLedger, uow=adapters.uow.provider)
    session_sweep = providers.Singleton(
        SessionSweep, uow=adapters.uow.provider, prices=adapters.prices, default_limit=config.daily_loss_limit
    )
    order_projection = providers.Singleton(OrderProjection, read_model=adapters.read_model, notifier=adapters.notifier)
    position_service = providers.Singleton(
        PositionService,
        store=adapters.positions,
        publisher=adapters.publisher,
        notifier=adapters.notifier,
        prices=adapters.prices,
    )
