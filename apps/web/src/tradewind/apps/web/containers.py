"""The web app's composition root: use cases over whichever adapters the profile chose."""

from __future__ import annotations

from dependency_injector import containers, providers

from tradewind.application.accounts.users import Authenticate
from tradewind.application.orders.amend_order import AmendOrderHandler
from tradewind.application.orders.cancel_order import CancelOrderHandler
from tradewind.application.orders.place_order import PlaceOrderHandler
from tradewind.application.positions.portfolio import Portfolio
from tradewind.application.risk.check import RiskCheck
from tradewind.application.risk.limits import SetLimits
from tradewind.application.risk.rules import (
    BuyingPower,
    FatFinger,
    MaxConcentration,
    MaxGrossExposure,
    MaxOpenOrders,
    MaxOrderNotional,
    MaxPositionNotional,
)
from tradewind.application.risk.trading_state import SetTradingState
from tradewind.domain.risk.limits import RiskLimits


class WebContainer(containers.DeclarativeContainer):
    adapters = providers.DependenciesContainer()
    config = providers.Configuration()

    risk = providers.Singleton(
        RiskCheck,
        prices=adapters.prices,
        rules=providers.List(
            providers.Factory(MaxOpenOrders),
            providers.Factory(FatFinger),
            providers.Factory(MaxOrderNotional, limit=config.max_order_notional),
            providers.Factory(BuyingPower),
            providers.Factory(MaxPositionNotional),
            providers.Factory(MaxGrossExposure),
            providers.Factory(MaxConcentration, fraction=config.max_concentration),
        ),
        limits=providers.Factory(
            RiskLimits,
            max_order_notional=config.max_order_notional,
            max_position_notional=config.max_position_notional,
            max_gross_exposure=config.max_gross_exposure,
            max_concentration=config.max_concentration,
            max_open_orders=config.max_open_orders,
            fat_finger_pct=config.fat_finger_pct,
            daily_loss_limit=config.daily_loss_limit,
        ),
    )
    set_limits = providers.Singleton(SetLimits, uow=adapters.uow.provider, risk=risk)
    place_order = providers.Singleton(PlaceOrderHandler, uow=adapters.uow.provider, risk=risk)
    cancel_order = providers.Singleton(CancelOrderHandler, uow=adapters.uow.provider)
    amend_order = providers.Singleton(AmendOrderHandler, uow=adapters.uow.provider, risk=risk)
    authenticate = providers.Singleton(
        Authenticate,
        uow=adapters.uow.provider,
        ttl_seconds=config.auth_cache_ttl_s,
        max_entries=config.auth_cache_size,
    )
    set_trading_state = providers.Singleton(SetTradingState, uow=adapters.uow.provider)
    portfolio = providers.Singleton(
        Portfolio,
        positions=adapters.positions,
        prices=adapters.prices,
        orders=adapters.read_model,
        ledger=adapters.uow.provider,
    )
