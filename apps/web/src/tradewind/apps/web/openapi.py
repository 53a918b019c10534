"""What ``/schema`` says about the API beyond what Litestar infers: every error answer of DESIGN.md
on the routes that give it, and the JSON bodies the order routes read and return.

The order routes read their bodies raw (``request_body.py``, so numbers become ``Decimal`` and
never pass through ``float``) and answer plain dicts, so Litestar cannot infer those shapes; the
``operation_class`` hooks below state them. Handlers opt in with ``responses=errors(...)``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from litestar.config.app import AppConfig
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Example,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.plugins import InitPluginProtocol

from tradewind.domain.instruments import SYMBOLS


@dataclass
class ErrorBody:
    """Every error answer: a machine-readable ``error`` code and a ``detail`` for people; ``field``
    names the bad input, ``rule`` the risk rule that refused, ``service`` the store that did not
    answer."""

    error: str
    detail: str
    field: str | None = None
    rule: str | None = None
    service: str | None = None


def _example(code: str, detail: str, **extra: str) -> Example:
    return Example(summary=code, value={"error": code, "detail": detail, **extra})


_ERRORS: dict[int, tuple[str, list[Example]]] = {
    400: (
        "A header is not usable: not printable ASCII (any route), or a `Last-Event-ID` that is no event id.",
        [
            _example("invalid_header", "header X-Correlation-Id must be printable ASCII", field="X-Correlation-Id"),
            _example(
                "invalid_header", "Last-Event-ID must be an event id (1 to 18 digits), not '²'", field="Last-Event-ID"
            ),
        ],
    ),
    401: (
        "No valid API token: send `Authorization: Bearer <token>` (`tradewind users create` prints one).",
        [_example("unauthorized", "the token is not valid")],
    ),
    403: (
        "An admin route called with a trading token: admin routes need `tradewind users create NAME --admin`.",
        [_example("forbidden", "admin routes need an admin token (tradewind users create NAME --admin)")],
    ),
    404: (
        "No such order for this account (another account's order is as absent as a missing one).",
        [_example("order_not_found", "order 7c9e6679-7425-40de-944b-e07fc1f90ae7 not found", field="order_id")],
    ),
    409: (
        "The order is final or already has a request in flight.",
        [
            _example("order_not_cancelable", "order 7c9e6679-... is filled and cannot be canceled"),
            _example("order_not_amendable", "qty must stay above the 10 shares already filled", field="qty"),
            _example(
                "order_not_amendable",
                "order 7c9e6679-... is not yet acknowledged by the venue; amend it once it is accepted",
            ),
        ],
    ),
    422: (
        "The request is not valid (`field` names the culprit) or a risk rule refused the order (`rule`).",
        [
            _example("invalid_order", "qty must be a positive integer", field="qty"),
            _example(
                "client_order_id_reused",
                "client_order_id 'k1' was already used for order 7c9e6679-..., with a different symbol, side, "
                "quantity, type, price or time in force",
                field="client_order_id",
                order_id="7c9e6679-7425-40de-944b-e07fc1f90ae7",
            ),
            _example("risk_rejected", "order notional 300000 exceeds the 250000 limit", rule="max_order_notional"),
            _example("risk_rejected", "no current price for MSFT", rule="price_missing"),
            _example("invalid_request", "Validation failed for GET /api/v1/orders: limit", field="limit"),
        ],
    ),
    413: (
        "The body is larger than 64 KiB.",
        [_example("body_too_large", "the body is 100000 bytes; at most 65536 are accepted", field="body")],
    ),
    429: (
        "Too many order requests for this account; retry after `Retry-After` seconds.",
        [_example("rate_limited", "more than 250 order requests per second; retry in 1s")],
    ),
    431: (
        "A header is larger than 8 KiB, or all headers together larger than 32 KiB.",
        [_example("header_too_large", "header Cookie is 9000 bytes; at most 8192 are accepted", field="Cookie")],
    ),
    503: (
        "The risk check could not be made (price cache down, a rule failed), or a store the request "
        "needs did not answer in time: nothing was done, retry after `Retry-After` seconds.",
        [
            _example("risk_unavailable", "price cache unavailable: ConnectionError", rule="price_cache"),
            _example("service_unavailable", "rate limiter unavailable: ConnectionError", service="redis"),
        ],
    ),
}


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """The documented error answers for a route, by status code."""
    return {
        code: ResponseSpec(
            data_container=ErrorBody,
            description=_ERRORS[code][0],
            examples=_ERRORS[code][1],
            generate_examples=False,
        )
        for code in codes
    }


def _s(kind: OpenAPIType, description: str | None = None, **kwargs: Any) -> Schema:
    return Schema(type=kind, description=description, **kwargs)


_DECIMAL = _s(
    OpenAPIType.STRING,
    "A decimal amount as a string (a JSON number is read as a decimal too).",
    pattern=r"^\d+(\.\d+)?$",
)
_NULLABLE_DECIMAL = Schema(one_of=[_DECIMAL, Schema(type=OpenAPIType.NULL)])
_TIME = _s(OpenAPIType.STRING, "ISO-8601, UTC.", format="date-time")
_ENUM_SIDE = _s(OpenAPIType.STRING, enum=["buy", "sell"])
_ENUM_TYPE = _s(OpenAPIType.STRING, enum=["market", "limit", "stop", "stop_limit"])
_ENUM_TIF = _s(OpenAPIType.STRING, enum=["day", "gtc", "ioc", "fok"])
_QTY = _s(OpenAPIType.INTEGER, "Shares, a positive integer.", minimum=1)

PLACE_ORDER = Schema(
    type=OpenAPIType.OBJECT,
    required=["symbol", "side", "qty", "type"],
    properties={
        "symbol": _s(OpenAPIType.STRING, enum=sorted(SYMBOLS)),
        "side": _ENUM_SIDE,
        "qty": _QTY,
        "type": _ENUM_TYPE,
        "limit_price": _s(OpenAPIType.STRING, "Required for limit and stop_limit orders.", pattern=r"^\d+(\.\d+)?$"),
        "stop_price": _s(OpenAPIType.STRING, "Required for stop and stop_limit orders.", pattern=r"^\d+(\.\d+)?$"),
        "time_in_force": _s(OpenAPIType.STRING, "Default `day`.", enum=["day", "gtc", "ioc", "fok"]),
        "client_order_id": _s(
            OpenAPIType.STRING,
            "Your idempotency key: the same id again answers the first order (200) and places nothing.",
            pattern=r"^[A-Za-z0-9._:\-]{1,64}$",
        ),
    },
    additional_properties=False,
    examples=[{"symbol": "AAPL", "side": "buy", "qty": 10, "type": "limit", "limit_price": "99.50"}],
)

AMEND_ORDER = Schema(
    type=OpenAPIType.OBJECT,
    description="Give qty, limit_price or both.",
    properties={"qty": _QTY, "limit_price": _DECIMAL},
    additional_properties=False,
    examples=[{"limit_price": "99.75"}],
)

ORDER = Schema(
    type=OpenAPIType.OBJECT,
    required=[
        "id",
        "client_order_id",
        "symbol",
        "side",
        "qty",
        "type",
        "time_in_force",
        "status",
        "filled_qty",
        "created_at",
        "updated_at",
    ],
    properties={
        "id": _s(OpenAPIType.STRING, format="uuid"),
        "client_order_id": _s(OpenAPIType.STRING),
        "symbol": _s(OpenAPIType.STRING),
        "side": _ENUM_SIDE,
        "qty": _QTY,
        "type": _ENUM_TYPE,
        "time_in_force": _ENUM_TIF,
        "limit_price": _NULLABLE_DECIMAL,
        "stop_price": _NULLABLE_DECIMAL,
        "status": _s(
            OpenAPIType.STRING,
            enum=[
                "pending",
                "accepted",
                "partially_filled",
                "filled",
                "pending_cancel",
                "pending_replace",
                "canceled",
                "rejected",
                "expired",
                "broker_unavailable",
                "unknown",
            ],
        ),
        "filled_qty": _s(OpenAPIType.INTEGER, minimum=0),
        "filled_avg_price": _NULLABLE_DECIMAL,
        "created_at": _TIME,
        "updated_at": _TIME,
        "reason": Schema(one_of=[_s(OpenAPIType.STRING), Schema(type=OpenAPIType.NULL)]),
        "correlation_id": _s(OpenAPIType.STRING, format="uuid"),
    },
)


def documented(*, body: Schema | None = None, answer: Schema | None = None, replay: bool = False) -> type[Operation]:
    """An ``operation_class`` that states the JSON request ``body`` and the 2xx ``answer`` (when
    given), documents the 200 a retried ``client_order_id`` gets (``replay``), and drops the 400
    Litestar infers for invalid parameters: our error map answers those with 422
    ``invalid_request``, which ``errors(422)`` documents."""

    @dataclass
    class DocumentedOperation(Operation):
        def __post_init__(self) -> None:
            if body is not None:
                self.request_body = RequestBody(
                    content={"application/json": OpenAPIMediaType(schema=body)}, required=True
                )
            responses = self.responses if self.responses is not None else {}
            responses.pop("400", None)
            if answer is not None:
                for status, response in responses.items():
                    if status.startswith("2") and isinstance(response, OpenAPIResponse):
                        response.content = {"application/json": OpenAPIMediaType(schema=answer)}
                if replay:
                    responses["200"] = OpenAPIResponse(
                        description="The same `client_order_id` again: the first order, and nothing placed.",
                        content={"application/json": OpenAPIMediaType(schema=answer)},
                    )

    return DocumentedOperation


ORDERS = Schema(type=OpenAPIType.ARRAY, items=ORDER, description="Newest first; `X-Next-After` holds the next cursor.")


class ErrorDocs(InitPluginProtocol):
    """Documents what every route shares, so a route added later is right without remembering to:
    a route that takes ``account`` (a Bearer token) can answer 401, and no route answers the 400
    Litestar would infer for bad parameters (our error map answers 422). Routes state their own
    further errors with ``responses=errors(...)``. Idempotent: it only adds what is missing."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        for owner in app_config.route_handlers:
            handlers = [getattr(owner, n) for n in dir(owner)] if isinstance(owner, type) else [owner]
            for handler in handlers:
                if not isinstance(handler, HTTPRouteHandler):
                    continue
                if "account" in inspect.signature(handler.fn).parameters:
                    handler.responses = errors(401) | dict(handler.responses or {})
                if handler.operation_class is Operation:
                    handler.operation_class = documented()
        return app_config
