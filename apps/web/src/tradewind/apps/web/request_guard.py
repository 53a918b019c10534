"""Odd request headers answer 4xx ``{"error", "detail", "field"}`` before any handler or
middleware reads them (invariant 8; issue 12 found ``X-Correlation-ID: \\xff`` a 500 on every
route). The outermost middleware of the app, in plain ASGI: it sends the answer itself.

- A header value that is not printable ASCII (RFC 9110 keeps other bytes, "obs-text", only for
  old senders; our clients and browsers send ASCII, percent-encoding the rest) is 400
  ``invalid_header``.
- A header value over ``MAX_HEADER_BYTES``, or all headers over ``MAX_HEADERS_BYTES``, is 431
  ``header_too_large`` (the ASGI server's own limits lie above these, so it is ours that answer).
- A ``Content-Length`` over the body limit is 413 ``body_too_large`` before a byte is read; a
  body without one is cut by Litestar's ``request_max_body_size`` (same limit, same answer).
"""

from __future__ import annotations

import json
from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send

MAX_HEADER_BYTES = 8 * 1024
MAX_HEADERS_BYTES = 32 * 1024
MAX_BODY_BYTES = 64 * 1024  # an order is a few hundred bytes; the dashboard's forms less


def _printable_ascii(value: bytes) -> bool:
    return all(b == 0x09 or 0x20 <= b <= 0x7E for b in value)


def _name(raw: bytes) -> str:
    """The header's name for the answer (names are tokens; anything else is shown escaped)."""
    return raw.decode("ascii", "backslashreplace").title() if _printable_ascii(raw) else repr(raw)


def header_problem(headers: list[tuple[bytes, bytes]], max_body: int) -> tuple[int, dict[str, Any]] | None:
    """The answer for the first odd header, or None when every header is fine."""
    total = 0
    for raw_name, value in headers:
        name = _name(raw_name)
        total += len(raw_name) + len(value)
        if len(value) > MAX_HEADER_BYTES:
            detail = f"header {name} is {len(value)} bytes; at most {MAX_HEADER_BYTES} are accepted"
            return 431, {"error": "header_too_large", "detail": detail, "field": name}
        if not _printable_ascii(raw_name) or not _printable_ascii(value):
            detail = f"header {name} must be printable ASCII"
            return 400, {"error": "invalid_header", "detail": detail, "field": name}
        if raw_name.lower() == b"content-length" and value.strip().isdigit() and int(value) > max_body:
            detail = f"the body is {int(value)} bytes; at most {max_body} are accepted"
            return 413, {"error": "body_too_large", "detail": detail, "field": "body"}
    if total > MAX_HEADERS_BYTES:
        detail = f"the headers are {total} bytes together; at most {MAX_HEADERS_BYTES} are accepted"
        return 431, {"error": "header_too_large", "detail": detail}
    return None


def guard_headers(max_body: int = MAX_BODY_BYTES) -> Any:
    def middleware(app: ASGIApp) -> ASGIApp:
        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                problem = header_problem(list(scope.get("headers") or []), max_body)
                if problem is not None:
                    status, body = problem
                    payload = json.dumps(body).encode()
                    await send(
                        {
                            "type": "http.response.start",
                            "status": status,
                            "headers": [
                                (b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode()),
                                (b"connection", b"close"),
                            ],
                        }
                    )
                    await send({"type": "http.response.body", "body": payload})
                    return
            await app(scope, receive, send)

        return guarded

    return middleware
