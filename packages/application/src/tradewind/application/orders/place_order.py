"""Place an order: validate, risk-check on the ledger under the account lock, commit the order
with its numbered events in the outbox.

Orders of one account are checked one at a time (the account row is locked for the whole unit
of work), so two concurrent orders cannot jointly breach a limit each passes alone. A retried
``client_order_id`` with the same order returns the first order and writes nothing; the same id
with a different order is refused (``client_order_id_reused``), naming the first order.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from tradewind.application.orders.sequencing import number_events
from tradewind.application.ports import Exposure, UnitOfWork, UnitOfWorkFactory
from tradewind.application.risk.check import DailyLossBreached, RiskCheck
from tradewind.application.risk.session import settle_session
from tradewind.domain.errors import ClientOrderIdReused, DomainError, RiskRejected
from tradewind.domain.orders.commands import PlaceOrder
from tradewind.domain.orders.order import Order
from tradewind.domain.risk.events import RiskDecision

log = logging.getLogger(__name__)


class AccountNotFound(DomainError):
    code = "account_not_found"


@dataclass(frozen=True, slots=True)
class Placed:
    order: Order
    created: bool  # False: a retry of an order we already have


class PlaceOrderHandler:
    def __init__(self, uow: UnitOfWorkFactory, risk: RiskCheck) -> None:
        self._uow = uow
        self._risk = risk

    async def __call__(self, cmd: PlaceOrder) -> Placed:
        async with self._uow() as uow:
            if await uow.accounts.lock(cmd.account_id) is None:
                raise AccountNotFound(f"account {cmd.account_id} does not exist")
            if seen := await uow.orders.by_client_order_id(cmd.account_id, cmd.client_order_id):
                if not seen.same_request(cmd):
                    raise ClientOrderIdReused(
                        f"client_order_id {cmd.client_order_id!r} was already used for order {seen.id}, "
                        "with a different symbol, side, quantity, type, price or time in force",
                        order_id=seen.id,
                    )
                return Placed(seen, created=False)
            order = Order.submit(cmd)
            exposure = await uow.orders.exposure(cmd.account_id)
            refused = await commit_if_allowed(
                uow, self._risk, order, "place", exposure, store=lambda: uow.orders.add(order)
            )
        if refused is not None:
            await record_refusal(self._uow, refused)
            raise RiskRejected(refused.rule or "", refused.detail or "")
        return Placed(order, created=True)


async def commit_if_allowed(
    uow: UnitOfWork,
    risk: RiskCheck,
    order: Order,
    action: Literal["place", "amend"],
    exposure: Exposure,
    *,
    store: Callable[[], Awaitable[None]],
    checked: Order | None = None,
    checked_against: Exposure | None = None,
) -> RiskDecision | None:
    """The risk gate of a new order and of an amend, under the account lock: ``checked`` (default
    ``order``) against ``checked_against`` (default ``exposure``). Allowed: the session settles,
    the order's events are numbered, ``store`` writes it, the accepted decision is recorded, all in
    one commit; returns None. Refused: returns the decision for the caller to record in a
    transaction of its own (this one rolls back), except that a daily-loss breach still commits
    the session's move to reducing."""
    try:
        verdict = await risk.check(
            order if checked is None else checked, exposure if checked_against is None else checked_against
        )
    except DailyLossBreached as exc:
        await settle_session(uow, order.account_id, exposure, exc.verdict)  # reducing, even so
        await uow.commit()
        return decision(order, action, exc)
    except RiskRejected as exc:
        return decision(order, action, exc)
    await settle_session(uow, order.account_id, exposure, verdict)
    await number_events(uow, order)
    await store()
    await uow.accounts.record_risk_event(decision(order, action, None))
    await uow.commit()
    return None


def decision(order: Order, action: Literal["place", "amend"], refusal: RiskRejected | None) -> RiskDecision:
    return RiskDecision(
        correlation_id=order.correlation_id,
        account_id=order.account_id,
        order_id=order.id,
        symbol=order.symbol,
        action=action,
        accepted=refusal is None,
        rule=None if refusal is None else refusal.rule,
        detail=None if refusal is None else refusal.detail,
    )


async def record_refusal(uow_factory: UnitOfWorkFactory, refused: RiskDecision) -> None:
    """A refusal leaves a record (``risk.events``), in a transaction of its own: the order's was
    rolled back. Best effort: a refusal is never turned into a 500 by its record."""
    try:
        async with uow_factory() as uow:
            await uow.accounts.record_risk_event(refused)
            await uow.commit()
    except Exception:
        log.exception("could not record a risk refusal", extra={"order_id": str(refused.order_id)})
