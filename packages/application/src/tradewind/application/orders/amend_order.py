"""Request an amend (qty and/or limit price) of an open order."""

from __future__ import annotations

from dataclasses import replace

from tradewind.application.ports import UnitOfWorkFactory
from tradewind.application.risk.check import RiskCheck
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
            order.request_amend(cmd)
            # The amended order is risk-checked as if it were new, against everything else open.
            exposure = await uow.orders.exposure(cmd.account_id)
            others = [o for o in exposure.open_orders if o.id != order.id]
            # Only what is still to fill is new risk: the filled part is already a position.
            amended = replace(
                order,
                events=[],
                filled_qty=0,
                qty=(cmd.qty or order.qty) - order.filled_qty,
                limit_price=cmd.limit_price or order.limit_price,
            )
            await self._risk.check(
                amended, type(exposure)(cash=exposure.cash, positions=exposure.positions, open_orders=others)
            )
            await uow.orders.record(order)
            await uow.commit()
        return order
