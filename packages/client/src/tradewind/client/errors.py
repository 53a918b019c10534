"""What the API answers when it says no: ``{"error": code, "detail": text}`` plus, where they
apply, the ``field`` that was wrong and the risk ``rule`` that refused."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A 4xx/5xx answer. ``error`` is the machine-readable code (``invalid_order``,
    ``risk_rejected``, ``risk_unavailable``, ``order_not_found``, ``order_not_cancelable``,
    ``unauthorized``, ``rate_limited``, ...); ``retry_after`` is set on 429 and 503."""

    def __init__(
        self,
        status: int,
        error: str,
        detail: str,
        *,
        field: str | None = None,
        rule: str | None = None,
        retry_after: float | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(f"{status} {error}: {detail}")
        self.status = status
        self.error = error
        self.detail = detail
        self.field = field
        self.rule = rule
        self.retry_after = retry_after
        self.body = body


def api_error(status: int, body: Any, retry_after: str | None) -> ApiError:
    """Build the error from a response; a body that is not the documented shape still yields one."""
    wait: float | None
    try:
        wait = float(retry_after) if retry_after is not None else None
    except ValueError:
        wait = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return ApiError(
            status,
            body["error"],
            str(body.get("detail", "")),
            field=body.get("field") if isinstance(body.get("field"), str) else None,
            rule=body.get("rule") if isinstance(body.get("rule"), str) else None,
            retry_after=wait,
            body=body,
        )
    return ApiError(status, "http_error", f"unexpected answer: {str(body)[:200]}", retry_after=wait, body=body)
