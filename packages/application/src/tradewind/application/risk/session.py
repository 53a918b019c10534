"""What a risk check leaves behind for the daily loss limit, in the order's own transaction
(under the account lock, so the OMS ledger stays the one writer):

* the session's start equity, the first time a check of the session has seen the account;
* ``reducing``, with the reason and a ``risk.events`` record, when the check found the limit
  crossed — also when the order itself was refused for it (the caller commits that alone).
"""

from __future__ import annotations

import uuid

from tradewind.application.ports import Exposure, UnitOfWork
from tradewind.application.risk.check import RiskVerdict
from tradewind.domain.clock import utcnow
from tradewind.domain.risk.daily_loss import session_of
from tradewind.domain.risk.events import TradingStateChanged
from tradewind.domain.risk.trading_state import TradingState

#: who the trading-state change is recorded as
DAILY_LOSS_ACTOR = "risk:daily_loss_limit"


async def settle_session(uow: UnitOfWork, account_id: uuid.UUID, exposure: Exposure, verdict: RiskVerdict) -> bool:
    """Returns whether the account was moved to ``reducing``."""
    if exposure.session_start_equity is None:
        await uow.accounts.record_session_start(account_id, session_of(utcnow()), verdict.equity)
    if verdict.daily_loss_breach is None:
        return False
    previous, _ = await uow.accounts.trading_state(account_id)
    if previous is not TradingState.ACTIVE:
        return False
    await uow.accounts.set_trading_state(account_id, TradingState.REDUCING, verdict.daily_loss_breach)
    await uow.accounts.record_risk_event(
        TradingStateChanged(
            correlation_id=uuid.uuid4(),
            account_id=account_id,
            scope="account",
            state=TradingState.REDUCING,
            previous=previous,
            reason=verdict.daily_loss_breach,
            changed_by=DAILY_LOSS_ACTOR,
        )
    )
    return True
