"""Risk events for ``risk.events`` (and from there the audit archive): who changed a trading
state, to what, and why."""

from __future__ import annotations

import uuid
from typing import Literal

from tradewind.domain.orders.events import Event
from tradewind.domain.risk.trading_state import TradingState


class TradingStateChanged(Event):
    """``account_id`` is the account whose state changed; for a platform-wide change it is the
    admin's own account (``scope`` says which)."""

    type: Literal["risk.trading_state_changed"] = "risk.trading_state_changed"
    scope: Literal["account", "platform"]
    state: TradingState
    previous: TradingState
    reason: str
    changed_by: str
    #: open orders the change asked the venue to cancel (the kill switch)
    cancels_requested: int = 0


class LimitsChanged(Event):
    """An admin changed an account's limits: ``overrides`` as set (null: back to the default)."""

    type: Literal["risk.limits_changed"] = "risk.limits_changed"
    overrides: dict[str, str | int | None]
    changed_by: str


class RiskDecision(Event):
    """The pre-trade check's verdict on one order (or amend): accepted, or rejected by ``rule``."""

    type: Literal["risk.decision"] = "risk.decision"
    order_id: uuid.UUID
    symbol: str
    action: Literal["place", "amend"]
    accepted: bool
    rule: str | None = None
    detail: str | None = None
