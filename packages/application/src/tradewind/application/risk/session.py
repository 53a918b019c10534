"""What a risk check leaves behind for the daily loss limit, in the order's own transaction
(under the account lock, so the OMS ledger stays the one writer):

* the session's start equity, the first time a check of the session has seen the account;
* ``reducing``, with the reason and a ``risk.events`` record, when the check found the limit
  crossed — also when the order itself was refused for it (the caller commits that alone).

``SessionSweep`` (run by the worker every minute) does the same for accounts that hold
positions and place no order: their start is taken near the session's start, and a loss that
crosses the limit while the trader does nothing still moves the account to ``reducing``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from tradewind.application.ports import Exposure, PriceCache, UnitOfWork, UnitOfWorkFactory
from tradewind.application.risk.check import RiskVerdict
from tradewind.domain.clock import utcnow
from tradewind.domain.risk.daily_loss import breach, equity, session_of
from tradewind.domain.risk.events import TradingStateChanged
from tradewind.domain.risk.trading_state import TradingState

log = logging.getLogger(__name__)

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


@dataclass
class SweepResult:
    starts_taken: int = 0
    moved_to_reducing: int = 0
    skipped_unpriced: int = 0


class SessionSweep:
    """For every account holding a position: take today's start if none is kept, and move the
    account to ``reducing`` if its loss since then crossed its daily loss limit. One account per
    transaction, under its lock (the command side and the ledger write the same rows). An account
    whose positions have no fresh price is skipped until the next sweep (never guessed)."""

    def __init__(self, uow: UnitOfWorkFactory, prices: PriceCache, default_limit: Decimal | None) -> None:
        self._uow = uow
        self._prices = prices
        self._default = default_limit

    async def __call__(self) -> SweepResult:
        result = SweepResult()
        async with self._uow() as uow:  # only those it may change: a sweep a minute over all holders was
            # ~5 round trips and a lock per account for nothing (4,320 accounts on a dev stack, issue 15)
            accounts = await uow.accounts.to_sweep(session_of(utcnow()), default_limit=self._default is not None)
        for account_id in accounts:
            async with self._uow() as uow:
                await uow.accounts.lock(account_id)
                exposure = await uow.orders.exposure(account_id)
                raw = exposure.limit_overrides.get("daily_loss_limit", self._default)
                limit = None if raw is None else Decimal(raw)
                if exposure.session_start_equity is not None and limit is None:
                    continue
                held = sorted(s for s, q in exposure.positions.items() if q)
                quotes = await self._prices.get_many(held)
                now = utcnow()
                if any(s not in quotes or quotes[s].is_stale(now) for s in held):
                    result.skipped_unpriced += 1
                    continue
                value = equity(exposure.cash, exposure.positions, quotes)
                why = None
                if exposure.trading_state is TradingState.ACTIVE:
                    why = breach(exposure.session_start_equity, value, limit)
                if exposure.session_start_equity is None:
                    result.starts_taken += 1
                if await settle_session(uow, account_id, exposure, RiskVerdict(value, why)):
                    result.moved_to_reducing += 1
                    log.warning("daily loss limit crossed", extra={"account_id": str(account_id), "why": why})
                await uow.commit()
        return result

    async def run(self, stop: asyncio.Event, *, interval: float) -> None:
        while not stop.is_set():
            try:
                await self()
            except Exception:
                log.exception("session sweep failed; retrying at the next tick")
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except TimeoutError:
                pass
