"""Request an amend (qty and/or limit price) of an open order.

The amended order is risk-checked as if it were new, against everything else open in the
ledger; from this commit until the venue answers it counts at the larger of its old and new
size (invariant 4), so an order placed meanwhile sees it."""

from __future__ import annotations

from dataclasses import replace

from tradewind.application.orders.sequencing import number_events
from tradewind.application.ports import UnitOfWorkFactory
from tradewind.application.risk.check import DailyLossBreached, RiskCheck
from tradewind.application.risk.session import settle_session
from tradewind.domain.errors import OrderNotFound
from tradewind.domain.orders.commands import AmendOrder
from tradewind.domain.orders.order import Order


class AmendOrderHandler:
    def __init__(self, uow: UnitOfWorkFactory, risk: RiskCheck) -> None:
        self._uow = uow
        self._risk = risk

    async def __call__(self, cmd: AmendOrder) -> Order:
        async with self._uow() as uow:
            await uow.accounts.lock(cmd.account_id)
            order = await uow.orders.get(cmd.account_id, cmd.order_id)
            if order is None:
                raise OrderNotFound(f"order {cmd.order_id} not found", field="order_id")
            order.request_amend(cmd)  # raises OrderNotAmendable; the order is now pending_replace
            exposure = await uow.orders.exposure(cmd.account_id)
            others = [o for o in exposure.open_orders if o.id != order.id]
            largest = order.at_largest()
            # Only what is still to fill is new risk: the filled part is already a position.
            amended = replace(largest, events=[], filled_qty=0, qty=largest.qty - order.filled_qty)
            try:
                verdict = await self._risk.check(amended, replace(exposure, open_orders=others))
            except DailyLossBreached as exc:
                await settle_session(uow, cmd.account_id, exposure, exc.verdict)  # reducing, even so
                await uow.commit()
                raise
            await settle_session(uow, cmd.account_id, exposure, verdict)
            await number_events(uow, order)
            await uow.orders.save(order)
            await uow.commit()
        return order
