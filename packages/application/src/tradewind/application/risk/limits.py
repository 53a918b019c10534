"""Editing an account's risk limits at run time (issue 13): overrides over the platform
defaults, validated (``domain.risk.limits.parse_limits``), written with a ``risk.events``
record of who changed what, under the account lock, so the next order sees them."""

from __future__ import annotations

import uuid

from tradewind.application.ports import UnitOfWorkFactory
from tradewind.application.risk.check import RiskCheck
from tradewind.domain.errors import OrderNotFound
from tradewind.domain.risk.events import LimitsChanged
from tradewind.domain.risk.limits import RiskLimits, parse_limits


class SetLimits:
    def __init__(self, uow: UnitOfWorkFactory, risk: RiskCheck) -> None:
        self._uow = uow
        self._risk = risk

    async def show(self, account_id: uuid.UUID) -> dict[str, object]:
        async with self._uow() as uow:
            if await uow.accounts.lock(account_id) is None:
                raise OrderNotFound(f"account {account_id} not found", field="account_id")
            overrides = await uow.accounts.limits(account_id)
        defaults = self._risk.platform_limits or RiskLimits()
        return {
            "account_id": str(account_id),
            "defaults": defaults.to_dict(),
            "overrides": {k: v for k, v in RiskLimits().merged(overrides).to_dict().items() if k in overrides},
            "effective": defaults.merged(overrides).to_dict(),
        }

    async def change(self, account_id: uuid.UUID, body: object, *, changed_by: str) -> dict[str, object]:
        overrides = parse_limits(body)  # raises InvalidLimits naming the field: nothing changed
        async with self._uow() as uow:
            if await uow.accounts.lock(account_id) is None:
                raise OrderNotFound(f"account {account_id} not found", field="account_id")
            await uow.accounts.set_limits(account_id, overrides, changed_by)
            await uow.accounts.record_risk_event(
                LimitsChanged(
                    correlation_id=uuid.uuid4(),
                    account_id=account_id,
                    overrides={
                        k: None if v is None else (v if isinstance(v, int) else format(v, "f"))
                        for k, v in overrides.items()
                    },
                    changed_by=changed_by,
                )
            )
            await uow.commit()
        return await self.show(account_id)
