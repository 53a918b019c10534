"""The worker's composition root: the outbox relay and the order read-model projection."""

from __future__ import annotations

from dependency_injector import containers, providers

from tradewind.application.outbox_relay import OutboxRelay
from tradewind.application.positions.service import PositionService
from tradewind.application.projections.order_projection import OrderProjection


class WorkerContainer(containers.DeclarativeContainer):
    adapters = providers.DependenciesContainer()
    config = providers.Configuration()

    relay = providers.Singleton(OutboxRelay, store=adapters.outbox, publisher=adapters.publisher)
    order_projection = providers.Singleton(
        OrderProjection,
        read_model=adapters.read_model,
        notifier=adapters.notifier,
        dead_letter=adapters.publisher,
    )
    position_service = providers.Singleton(
        PositionService,
        store=adapters.positions,
        publisher=adapters.publisher,
        notifier=adapters.notifier,
        prices=adapters.prices,
    )
