"""Request an amend (qty and/or limit price) of an open order.

The amended order is risk-checked as if it were new, against everything else open in the
ledger; from this commit until the venue answers it counts at the larger of its old and new
size (invariant 4), so an order placed meanwhile sees it."""

from __future__ import annotations

from dataclasses import replace

from tradewind.application.orders.place_order import commit_if_allowed, record_refusal
from tradewind.application.ports import UnitOfWorkFactory
from tradewind.application.risk.check import RiskCheck
from tradewind.domain.errors import OrderNotFound, RiskRejected
from tradewind.domain.orders.commands import AmendOrder
from tradewind.domain.orders.order import Order
from tradewind.domain.risk.events import RiskDecision


class AmendOrderHandler:
    def __init__(self, uow: UnitOfWorkFactory, risk: RiskCheck) -> None:
        self._uow = uow
        self._risk = risk

    async def __call__(self, cmd: AmendOrder) -> Order:
        """Every risk verdict on an amend is a ``risk.decision`` record, as for a new order: the
        accepted one in the amend's transaction, a refusal in one of its own."""
        refused: RiskDecision | None = None
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
            refused = await commit_if_allowed(
                uow,
                self._risk,
                order,
                "amend",
                exposure,
                store=lambda: uow.orders.save(order),
                checked=amended,
                checked_against=replace(exposure, open_orders=others),
            )
        if refused is not None:
            await record_refusal(self._uow, refused)
            raise RiskRejected(refused.rule or "", refused.detail or "")
        return order
