"""/api/v1/orders: place, list, get, cancel, amend. Writes go through use cases on the OMS
ledger; the list comes from the read model; one order by id is read from the ledger, so it is
found as soon as its 202 was sent (read your writes). Answers show the ledger's status as it is
(``pending_cancel`` after a cancel request, because the ledger says so; nothing is patched)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import Dependency, Parameter

from tradewind.application.orders.amend_order import AmendOrderHandler
from tradewind.application.orders.cancel_order import CancelOrderHandler
from tradewind.application.orders.place_order import PlaceOrderHandler
from tradewind.application.ports import OrderLookup, OrderReadModel
from tradewind.application.resources import order_resource
from tradewind.apps.web.openapi import AMEND_ORDER, ORDER, ORDERS, PLACE_ORDER, documented, errors
from tradewind.apps.web.rate_limit import OrderRateLimiter
from tradewind.apps.web.request_body import correlation_id, json_object, path_uuid
from tradewind.domain.accounts import Account
from tradewind.domain.errors import InvalidOrder, OrderNotFound
from tradewind.domain.orders.commands import CancelOrder, parse_amend_order, parse_place_order


class OrderController(Controller):
    path = "/api/v1/orders"
    tags = ["orders"]

    @post(
        "/",
        status_code=202,
        summary="Place an order",
        responses=errors(401, 413, 422, 429, 503),
        operation_class=documented(body=PLACE_ORDER, answer=ORDER, replay=True),
    )
    async def place(
        self,
        request: Request[Any, Any, Any],
        account: Account,
        place_order: PlaceOrderHandler,
        order_rate_limiter: OrderRateLimiter,
    ) -> Response[dict[str, object]]:
        await order_rate_limiter.take(account.id)
        cid = correlation_id(request)
        cmd = parse_place_order(account.id, await json_object(request), correlation_id=cid)
        placed = await place_order(cmd)
        body = order_resource(placed.order)
        return Response(
            body,
            status_code=202 if placed.created else 200,
            headers={"X-Correlation-ID": str(placed.order.correlation_id)},
        )

    @get(
        "/",
        summary="List orders (newest first)",
        responses=errors(401, 422),
        operation_class=documented(answer=ORDERS),
    )
    async def list_orders(
        self,
        account: Account,
        order_read_model: Annotated[OrderReadModel, Dependency(skip_validation=True)],
        status: str = Parameter(query="status", default="open"),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
        after: str | None = Parameter(query="after", default=None),
    ) -> Response[list[dict[str, object]]]:
        if status not in ("open", "closed", "all"):
            raise InvalidOrder("status must be one of: open, closed, all", field="status")
        page = await order_read_model.list_orders(account.id, status=status, limit=limit, after=after)
        headers = {"X-Next-After": page.next_after} if page.next_after else None
        return Response([order_resource(o) for o in page.orders], headers=headers)

    @get("/{order_id:str}", summary="One order", responses=errors(401, 404), operation_class=documented(answer=ORDER))
    async def get_order(
        self,
        order_id: str,
        account: Account,
        order_lookup: Annotated[OrderLookup, Dependency(skip_validation=True)],
    ) -> dict[str, object]:
        order = await order_lookup.get(account.id, path_uuid(order_id, "order_id", "order"))
        if order is None:
            raise OrderNotFound(f"order {order_id} not found", field="order_id")
        return order_resource(order)

    @delete(
        "/{order_id:str}",
        status_code=202,
        summary="Request a cancel",
        responses=errors(401, 404, 409, 429),
        operation_class=documented(answer=ORDER),
    )
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        order_id: str,
        account: Account,
        cancel_order: CancelOrderHandler,
        order_rate_limiter: OrderRateLimiter,
    ) -> Response[dict[str, object]]:
        await order_rate_limiter.take(account.id, "cancel")
        order = await cancel_order(
            CancelOrder(account.id, path_uuid(order_id, "order_id", "order"), correlation_id=correlation_id(request))
        )
        return Response(order_resource(order), status_code=202)

    @patch(
        "/{order_id:str}",
        status_code=202,
        summary="Amend qty and/or limit price",
        responses=errors(401, 404, 409, 413, 422, 429, 503),
        operation_class=documented(body=AMEND_ORDER, answer=ORDER),
    )
    async def amend(
        self,
        request: Request[Any, Any, Any],
        order_id: str,
        account: Account,
        amend_order: AmendOrderHandler,
        order_rate_limiter: OrderRateLimiter,
    ) -> Response[dict[str, object]]:
        await order_rate_limiter.take(account.id, "amend")
        cmd = parse_amend_order(
            account.id,
            path_uuid(order_id, "order_id", "order"),
            await json_object(request),
            correlation_id=correlation_id(request),
        )
        order = await amend_order(cmd)
        return Response(order_resource(order), status_code=202)
