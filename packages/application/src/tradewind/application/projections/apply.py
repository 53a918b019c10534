"""What applying one event to an order view means, shared by every read-model adapter.

The adapters own storage and atomicity; this module owns the rules, so the PostgreSQL and the
in-memory read models cannot drift apart.
"""

from __future__ import annotations

import copy
import uuid

from tradewind.application.ports import OrderPage
from tradewind.application.resources import fill_resource, order_resource
from tradewind.domain.orders.events import OrderEvent, OrderFilled, OrderSubmitted
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.status import FINAL

MAX_LIMIT = 500


class ProjectionMiss(Exception):
    """The event names an order the read model does not have (its submission is not in the
    stream the view was built from); flagged and skipped."""


def new_view(event: OrderEvent) -> Order:
    if not isinstance(event, OrderSubmitted):
        raise ProjectionMiss(f"order {event.order_id} is not in the view (no order.submitted before {event.type})")
    view = Order.from_submitted(event)
    return view


def apply_to_view(view: Order | None, event: OrderEvent) -> tuple[Order, list[tuple[str, dict[str, object]]]]:
    """Apply one not-yet-applied event (in ``account_seq`` order); return the view and the stream
    entries it produces (kind, data): a fill first when there is one, then the order. Raises
    ``ProjectionMiss`` or the domain's ``InvalidTransition``/``StaleReport`` when the event does
    not fit the view (the ledger applied it, so this means the view missed something)."""
    if view is None:
        view = new_view(event)
    else:
        view = copy.copy(view)
        view.events = []
        view.apply(event)
    entries: list[tuple[str, dict[str, object]]] = []
    if isinstance(event, OrderFilled):
        entries.append(("fill", fill_resource(event)))
    entries.append(("order", order_resource(view)))
    return view, entries


def filter_and_page(orders: list[Order], *, status: str, limit: int, after: str | None) -> OrderPage:
    # Keyset, as in the PostgreSQL twin: the cursor is a place in the list, looked up before the
    # status filter, so it still works when its order has closed since the last page.
    keys = {o.id: (o.created_at, o.id) for o in orders}
    if status == "open":
        orders = [o for o in orders if o.status not in FINAL]
    elif status == "closed":
        orders = [o for o in orders if o.status in FINAL]
    orders.sort(key=lambda o: (o.created_at, o.id), reverse=True)
    if after is not None:
        try:
            cursor = keys.get(uuid.UUID(after))
        except ValueError:
            cursor = None
        orders = [o for o in orders if (o.created_at, o.id) < cursor] if cursor is not None else []
    limit = max(1, min(limit, MAX_LIMIT))
    page = orders[:limit]
    next_after = str(page[-1].id) if len(orders) > limit and page else None
    return OrderPage(page, next_after)
