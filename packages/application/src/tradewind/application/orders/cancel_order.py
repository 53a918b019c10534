"""Request a cancel. The broker decides; the request is an outbox event like any other."""

from __future__ import annotations

from tradewind.application.ports import UnitOfWorkFactory
from tradewind.domain.errors import OrderNotFound
from tradewind.domain.orders.commands import CancelOrder
from tradewind.domain.orders.order import Order


class CancelOrderHandler:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, cmd: CancelOrder) -> Order:
        async with self._uow() as uow:
            await uow.accounts.lock(cmd.account_id)
            order = await uow.orders.get(cmd.account_id, cmd.order_id)
            if order is None:  # another account's order is as absent as a missing one
                raise OrderNotFound(f"order {cmd.order_id} not found", field="order_id")
            order.request_cancel(cmd)  # raises OrderNotCancelable when final
            await uow.orders.record(order)
            await uow.commit()
        return order
