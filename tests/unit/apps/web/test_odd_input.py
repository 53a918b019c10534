"""Invariant 8 for headers and bodies (issue 12): every odd header or body found to be a 500 is a
4xx ``{"error", "detail"}`` naming the header or the body, on the memory profile. The raw bytes
over a real server's socket are in ``tests/integration/web/test_odd_headers_raw.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.apps.web.main import build_app
from tradewind.apps.web.request_guard import MAX_BODY_BYTES, MAX_HEADER_BYTES

TOKEN = "odd-input-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ROUTES = [
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/api/v1/orders"),
    ("POST", "/api/v1/orders"),
    ("GET", "/api/v1/stream"),
    ("GET", "/api/v1/account"),
    ("GET", "/"),
]


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient[Any]]:
    settings = Settings(profile="memory")
    adapters: Any = build_adapters(settings)
    await CreateUser(adapters.uow)("odd", "100000", token=TOKEN)
    async with AsyncTestClient(build_app(settings, adapters)) as test_client:
        yield test_client


def assert_error(response: Any, status: int, error: str, field: str | None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error and body["detail"], body
    if field is not None:
        assert body["field"].lower() == field.lower(), body


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_a_non_ascii_correlation_id_is_400_on_every_route(client: Any, method: str, path: str) -> None:
    r = await client.request(
        method, path, headers=[(b"Authorization", AUTH["Authorization"].encode()), (b"X-Correlation-ID", b"\xff")]
    )
    assert_error(r, 400, "invalid_header", "X-Correlation-ID")


async def test_a_control_character_in_any_header_is_400(client: Any) -> None:
    r = await client.get(
        "/api/v1/orders", headers=[(b"Authorization", AUTH["Authorization"].encode()), (b"X-Note", b"a\x01b")]
    )
    assert_error(r, 400, "invalid_header", "X-Note")


@pytest.mark.parametrize(
    "last_event_id",
    ["²".encode(), b"1" * 5_000, b"-1", b"12abc", b"1" * 19],
    ids=["superscript-two", "5000-digits", "negative", "not-a-number", "19-digits"],
)
async def test_a_bad_last_event_id_is_400_naming_the_header(client: Any, last_event_id: bytes) -> None:
    headers = [(b"Authorization", AUTH["Authorization"].encode()), (b"Last-Event-ID", last_event_id)]
    r = await client.get("/api/v1/stream", headers=headers)
    assert_error(r, 400, "invalid_header", "Last-Event-ID")
    if len(last_event_id) > 100:
        assert len(r.json()["detail"]) < 200  # the answer does not echo 5,000 digits back


async def test_a_body_of_100000_brackets_is_413_before_it_is_parsed(client: Any) -> None:
    r = await client.post("/api/v1/orders", headers=AUTH, content=b"[" * 100_000)
    assert_error(r, 413, "body_too_large", "body")


async def test_deep_json_within_the_size_limit_is_422_naming_the_body(client: Any) -> None:
    r = await client.post("/api/v1/orders", headers=AUTH, content=b"[" * 50_000)
    assert_error(r, 422, "invalid_order", "body")
    nested_object = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
    r = await client.post("/api/v1/orders", headers=AUTH, content=nested_object)
    assert_error(r, 422, "invalid_order", "body")


async def test_a_body_at_the_limit_is_still_read(client: Any) -> None:
    body = b'{"symbol": "AAPL", "side": "buy", "qty": 0, "type": "market"}'
    r = await client.post("/api/v1/orders", headers=AUTH, content=body + b" " * (MAX_BODY_BYTES - len(body)))
    assert_error(r, 422, "invalid_order", "qty")  # parsed and validated, not refused for its size


async def test_an_oversized_header_is_431_naming_it(client: Any) -> None:
    r = await client.get("/api/v1/orders", headers={**AUTH, "X-Big": "a" * (MAX_HEADER_BYTES + 1)})
    assert_error(r, 431, "header_too_large", "X-Big")


async def test_oversized_headers_together_are_431(client: Any) -> None:
    many = {f"X-Part-{n}": "a" * 7_000 for n in range(6)}
    r = await client.get("/api/v1/orders", headers={**AUTH, **many})
    assert_error(r, 431, "header_too_large", None)


async def test_ordinary_requests_still_pass(client: Any) -> None:
    r = await client.get("/api/v1/orders", headers={**AUTH, "X-Correlation-ID": "not-a-uuid"})
    assert r.status_code == 200  # a non-UUID correlation id is replaced, as before


async def test_odd_headers_on_an_unknown_route_are_still_4xx_json(client: Any) -> None:
    r = await client.get("/no-such-route", headers=[(b"X-Correlation-ID", b"\xff"), (b"Last-Event-ID", "²".encode())])
    assert 400 <= r.status_code < 500 and {"error", "detail"} <= set(r.json()), r.text
