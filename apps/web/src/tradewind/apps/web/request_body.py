"""Reading JSON bodies ourselves: numbers become ``Decimal`` (never float), ``NaN``/``Infinity``
are refused, and anything unreadable (deep nesting included) is a 422 naming the body rather than
a framework 400 or a 500. Size is bounded before this: ``request_guard.MAX_BODY_BYTES``."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from litestar import Request

from tradewind.application.correlation import correlation_id as current_correlation_id
from tradewind.domain.errors import InvalidOrder, OrderNotFound


def _no_constants(name: str) -> Any:
    raise InvalidOrder(f"{name} is not a number JSON allows", field="body")


async def json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw or b"null", parse_float=Decimal, parse_constant=_no_constants)
    except InvalidOrder:
        raise
    except RecursionError:  # 100,000 "[" (issue 12): the parser's recursion limit, not our crash
        raise InvalidOrder("the body nests arrays or objects too deeply", field="body") from None
    except ValueError as exc:
        raise InvalidOrder(f"the body is not valid JSON: {exc}", field="body") from None
    if not isinstance(body, dict):
        raise InvalidOrder("the body must be a JSON object", field="body")
    return body


def correlation_id(request: Request) -> uuid.UUID:
    """The request's correlation id: the caller's ``X-Correlation-ID`` when it is a UUID, else the
    one the middleware generated for this request (the same id the logs carry)."""
    raw = request.headers.get("x-correlation-id") or current_correlation_id.get()
    try:
        return uuid.UUID(raw) if raw else uuid.uuid4()
    except ValueError:
        return uuid.UUID(current_correlation_id.get()) if current_correlation_id.get() else uuid.uuid4()


def path_uuid(raw: str, name: str, what: str) -> uuid.UUID:
    """A UUID from the path, or 404 naming the field: a malformed id is as absent as a missing one."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise OrderNotFound(f"{what} {raw} not found", field=name) from None
