"""The web app's composition root: use cases over whichever adapters the profile chose."""

from __future__ import annotations

from dependency_injector import containers, providers

from tradewind.application.accounts.users import Authenticate
from tradewind.application.orders.amend_order import AmendOrderHandler
from tradewind.application.orders.cancel_order import CancelOrderHandler
from tradewind.application.orders.place_order import PlaceOrderHandler
from tradewind.application.positions.portfolio import Portfolio
from tradewind.application.risk.check import RiskCheck
from tradewind.application.risk.rules import BuyingPower, MaxConcentration, MaxOrderNotional
from tradewind.application.risk.trading_state import SetTradingState


class WebContainer(containers.DeclarativeContainer):
    adapters = providers.DependenciesContainer()
    config = providers.Configuration()

    risk = providers.Singleton(
        RiskCheck,
        prices=adapters.prices,
        rules=providers.List(
            providers.Factory(MaxOrderNotional, limit=config.max_order_notional),
            providers.Factory(BuyingPower),
            providers.Factory(MaxConcentration, fraction=config.max_concentration),
        ),
    )
    place_order = providers.Singleton(PlaceOrderHandler, uow=adapters.uow.provider, risk=risk)
    cancel_order = providers.Singleton(CancelOrderHandler, uow=adapters.uow.provider)
    amend_order = providers.Singleton(AmendOrderHandler, uow=adapters.uow.provider, risk=risk)
    authenticate = providers.Singleton(Authenticate, uow=adapters.uow.provider)
    set_trading_state = providers.Singleton(SetTradingState, uow=adapters.uow.provider)
    portfolio = providers.Singleton(
        Portfolio,
        positions=adapters.positions,
        prices=adapters.prices,
        orders=adapters.read_model,
        ledger=adapters.uow.provider,
    )
