"""Changing a trading state (issue 13): per account or platform-wide, by an admin, with a reason.

The change and its ``risk.events`` record commit together. ``halted`` is the kill switch: in the
same transaction as an account's halt (under its lock), every open order of the account gets a
cancel request (to the venue through ``order.commands``), so an order placed just before the
halt is canceled and one placed after it is refused. A platform-wide halt commits the state first
(from then on every account's orders are refused: the risk check reads it under each account's
lock), then sweeps every account with open orders, one account per transaction.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from tradewind.application.orders.sequencing import number_events
from tradewind.application.ports import UnitOfWork, UnitOfWorkFactory
from tradewind.domain.errors import DomainError, OrderNotFound
from tradewind.domain.orders.commands import CancelOrder
from tradewind.domain.orders.status import Trigger, can_transition
from tradewind.domain.risk.events import TradingStateChanged
from tradewind.domain.risk.trading_state import TradingState

log = logging.getLogger(__name__)


class InvalidRiskChange(DomainError):
    code = "invalid_risk_change"


@dataclass(frozen=True, slots=True)
class StateChanged:
    state: TradingState
    previous: TradingState
    cancels_requested: int


def parse_state_change(body: object) -> tuple[TradingState, str]:
    """``{"state": "active"|"reducing"|"halted", "reason": "..."}`` or ``InvalidRiskChange`` naming the field."""
    if not isinstance(body, dict):
        raise InvalidRiskChange("the body must be a JSON object", field="body")
    extra = sorted(set(body) - {"state", "reason"})
    if extra:
        raise InvalidRiskChange(f"unknown field {extra[0]!r}", field=extra[0])
    allowed = ", ".join(s.value for s in TradingState)
    raw = body.get("state")
    try:
        state = TradingState(raw if isinstance(raw, str) else "")
    except ValueError:
        raise InvalidRiskChange(f"state must be one of: {allowed}", field="state") from None
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        raise InvalidRiskChange("reason is required: 1-500 characters saying why", field="reason")
    return state, reason.strip()


async def _cancel_open_orders(uow: UnitOfWork, account_id: uuid.UUID, why: str) -> int:
    requested = 0
    for order in await uow.orders.open_orders(account_id):
        if not can_transition(order.status, Trigger.CANCEL_REQUESTED):
            continue  # a cancel is in flight already
        order.request_cancel(CancelOrder(account_id, order.id))
        await number_events(uow, order)
        await uow.orders.save(order)
        requested += 1
    if requested:
        log.warning(
            "kill switch: cancels requested", extra={"account_id": str(account_id), "orders": requested, "why": why}
        )
    return requested


class SetTradingState:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def for_account(
        self, account_id: uuid.UUID, state: TradingState, reason: str, *, changed_by: str
    ) -> StateChanged:
        async with self._uow() as uow:
            if await uow.accounts.lock(account_id) is None:
                raise OrderNotFound(f"account {account_id} not found", field="account_id")
            previous, _ = await uow.accounts.trading_state(account_id)
            await uow.accounts.set_trading_state(account_id, state, reason)
            canceled = await _cancel_open_orders(uow, account_id, reason) if state is TradingState.HALTED else 0
            await uow.accounts.record_risk_event(
                TradingStateChanged(
                    correlation_id=uuid.uuid4(),
                    account_id=account_id,
                    scope="account",
                    state=state,
                    previous=previous,
                    reason=reason,
                    changed_by=changed_by,
                    cancels_requested=canceled,
                )
            )
            await uow.commit()
        return StateChanged(state, previous, canceled)

    async def for_platform(
        self, state: TradingState, reason: str, *, changed_by: str, admin_account: uuid.UUID
    ) -> StateChanged:
        async with self._uow() as uow:
            previous, _ = await uow.accounts.platform_state()
            await uow.accounts.set_platform_state(state, reason, changed_by)
            await uow.accounts.record_risk_event(
                TradingStateChanged(
                    correlation_id=uuid.uuid4(),
                    account_id=admin_account,
                    scope="platform",
                    state=state,
                    previous=previous,
                    reason=reason,
                    changed_by=changed_by,
                )
            )
            await uow.commit()
        canceled = 0
        if state is TradingState.HALTED:
            async with self._uow() as uow:
                accounts = await uow.accounts.with_open_orders()
            for account_id in accounts:
                async with self._uow() as uow:
                    await uow.accounts.lock(account_id)
                    canceled += await _cancel_open_orders(uow, account_id, reason)
                    await uow.commit()
        return StateChanged(state, previous, canceled)
