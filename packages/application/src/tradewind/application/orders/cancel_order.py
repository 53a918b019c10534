"""Request a cancel. The venue decides; the request is an outbox event like any other, and the
order is ``pending_cancel`` in the ledger from this commit on."""

from __future__ import annotations

from tradewind.application.orders.sequencing import number_events
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
            order.request_cancel(cmd)  # raises OrderNotCancelable when final or already canceling
            await number_events(uow, order)
            await uow.orders.save(order)
            await uow.commit()
        return order
