"""The one map from exceptions to HTTP answers: ``{"error": code, "detail": text}`` (+ ``field``,
``rule``). Bad input is 4xx and never a 500 (invariant 8)."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException, ValidationException

from tradewind.application.accounts.users import InvalidUser
from tradewind.application.orders.place_order import AccountNotFound
from tradewind.application.risk.trading_state import InvalidRiskChange
from tradewind.domain.errors import (
    ClientOrderIdReused,
    DomainError,
    InvalidOrder,
    OrderNotAmendable,
    OrderNotCancelable,
    OrderNotFound,
    RiskRejected,
    RiskUnavailable,
    ServiceUnavailable,
)
from tradewind.domain.risk.limits import InvalidLimits

log = logging.getLogger(__name__)

_STATUS: dict[type[DomainError], int] = {
    InvalidOrder: 422,
    ClientOrderIdReused: 422,
    InvalidUser: 422,
    InvalidRiskChange: 422,
    InvalidLimits: 422,
    RiskRejected: 422,
    RiskUnavailable: 503,
    ServiceUnavailable: 503,
    OrderNotFound: 404,
    OrderNotCancelable: 409,
    OrderNotAmendable: 409,
    AccountNotFound: 401,
}


def error_body(code: str, detail: str, **extra: object) -> dict[str, object]:
    return {"error": code, "detail": detail, **{k: v for k, v in extra.items() if v is not None}}


def domain_error(request: Request, exc: Exception) -> Response[dict[str, object]]:
    assert isinstance(exc, DomainError)
    status = next((s for cls, s in _STATUS.items() if isinstance(exc, cls)), 400)
    extra: dict[str, object] = {"field": exc.field}
    if isinstance(exc, RiskRejected | RiskUnavailable):
        extra["rule"] = exc.rule
    if isinstance(exc, ServiceUnavailable):
        extra["service"] = exc.service
    if isinstance(exc, ClientOrderIdReused):
        extra["order_id"] = exc.order_id
    headers = {"Retry-After": "1"} if status == 503 else None
    return Response(error_body(exc.code, exc.detail, **extra), status_code=status, headers=headers)


def validation_error(request: Request, exc: Exception) -> Response[dict[str, object]]:
    detail = getattr(exc, "detail", None) or "the request is not valid"
    extra = getattr(exc, "extra", None)
    field = None
    if isinstance(extra, list) and extra and isinstance(extra[0], dict):
        field = extra[0].get("key")
        detail = f"{detail}: {extra[0].get('message')}"
    return Response(error_body("invalid_request", str(detail), field=field), status_code=422)


def http_error(request: Request, exc: Exception) -> Response[dict[str, object]]:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 413:  # Litestar's request_max_body_size, for a body without Content-Length
        limit = request.route_handler.resolve_request_max_body_size()
        return Response(
            error_body("body_too_large", f"the body is larger than the {limit} bytes accepted", field="body"),
            status_code=413,
        )
    code = {
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        429: "rate_limited",
    }.get(exc.status_code, "http_error")
    return Response(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)


def invalid_header(request: Request, exc: Exception) -> Response[dict[str, object]]:
    assert isinstance(exc, InvalidHeader)
    return Response(error_body(exc.code, exc.detail, field=exc.header), status_code=400)


class InvalidHeader(Exception):
    """A request header the handler cannot use (``Last-Event-ID: ²``): 400 naming the header."""

    def __init__(self, header: str, detail: str, code: str = "invalid_header") -> None:
        super().__init__(detail)
        self.header, self.detail, self.code = header, detail, code


def unexpected_error(request: Request, exc: Exception) -> Response[dict[str, object]]:
    log.exception("unhandled error", extra={"path": request.url.path})
    return Response(error_body("internal_error", "something went wrong on our side"), status_code=500)


EXCEPTION_HANDLERS = {
    InvalidHeader: invalid_header,
    DomainError: domain_error,
    ValidationException: validation_error,
    NotAuthorizedException: http_error,
    NotFoundException: http_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
