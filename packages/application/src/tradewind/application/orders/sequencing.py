"""Numbering order events as the OMS writes them (DESIGN.md "Topics", invariant 10).

``order_seq`` counts one order's events (1, 2, 3, ...); ``account_seq`` is gap-free per account
and reserved under the account lock (``AccountRepository.next_seq``), so it follows commit order
and every consumer can detect a duplicate or a gap from it.
"""

from __future__ import annotations

from tradewind.application.ports import UnitOfWork
from tradewind.domain.orders.order import Order


async def number_events(uow: UnitOfWork, order: Order) -> None:
    """Give each of ``order.events`` its numbers, in place; ``order.order_seq`` follows."""
    if not order.events:
        return
    first = await uow.accounts.next_seq(order.account_id, len(order.events))
    numbered = []
    for i, event in enumerate(order.events):
        order.order_seq += 1
        numbered.append(event.numbered(order.order_seq, first + i))
    order.events = numbered
