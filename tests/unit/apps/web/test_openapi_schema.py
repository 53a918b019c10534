"""``/schema`` documents the API as it answers: every route, the JSON the order routes read and
return, and every error answer of DESIGN.md on the routes that give it, in the one error shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tradewind.adapters.aws.settings import Settings
from tradewind.apps.web.main import build_app

#: DESIGN.md "Public HTTP API v1": the errors each route answers with, and the codes they carry
ERRORS: dict[tuple[str, str], dict[int, set[str]]] = {
    ("post", "/api/v1/orders"): {
        401: {"unauthorized"},
        422: {"invalid_order", "risk_rejected"},
        429: {"rate_limited"},
        503: {"risk_unavailable", "service_unavailable"},
    },
    ("get", "/api/v1/orders"): {401: {"unauthorized"}, 422: {"invalid_order"}},
    ("get", "/api/v1/orders/{order_id}"): {401: {"unauthorized"}, 404: {"order_not_found"}},
    ("delete", "/api/v1/orders/{order_id}"): {
        401: {"unauthorized"},
        404: {"order_not_found"},
        409: {"order_not_cancelable"},
    },
    ("patch", "/api/v1/orders/{order_id}"): {
        401: {"unauthorized"},
        404: {"order_not_found"},
        409: {"order_not_amendable"},
        422: {"invalid_order", "risk_rejected"},
        503: {"risk_unavailable", "service_unavailable"},
    },
    ("get", "/api/v1/market/quotes"): {
        401: {"unauthorized"},
        422: {"invalid_order"},
        503: {"service_unavailable"},
    },
    ("get", "/api/v1/stream"): {401: {"unauthorized"}},
}


@pytest.fixture(scope="module")
def app_and_schema() -> Iterator[tuple[Litestar, dict[str, Any]]]:
    app = build_app(Settings(profile="memory"))
    with TestClient(app) as client:
        answer = client.get("/schema/openapi.json")
        assert answer.status_code == 200
        assert client.get("/schema/swagger").status_code == 200
        yield app, answer.json()


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, name = node["$ref"].split("/")
        node = schema["components"]["schemas"][name]
    return node


def test_every_api_route_is_listed(app_and_schema: tuple[Litestar, dict[str, Any]]) -> None:
    app, schema = app_and_schema
    documented = {(m, p) for p, item in schema["paths"].items() for m in item}
    served = {
        (method.lower(), route.path_format)
        for route in app.routes
        if route.path.startswith("/api/") or route.path in ("/healthz", "/readyz", "/metrics")
        for handler in getattr(route, "route_handlers", [])
        for method in getattr(handler, "http_methods", ())
        if method not in ("HEAD", "OPTIONS")
    }
    assert served - documented == set()
    assert set(ERRORS) <= documented


@pytest.mark.parametrize(("route", "codes"), list(ERRORS.items()), ids=[f"{m} {p}" for m, p in ERRORS])
def test_every_error_of_design_is_documented_in_the_error_shape(
    app_and_schema: tuple[Litestar, dict[str, Any]], route: tuple[str, str], codes: dict[int, set[str]]
) -> None:
    _, schema = app_and_schema
    method, path = route
    responses = schema["paths"][path][method]["responses"]
    for status, error_codes in codes.items():
        assert str(status) in responses, f"{method.upper()} {path} does not document {status}"
        [media] = responses[str(status)]["content"].values()
        body = resolve(schema, media["schema"])
        assert {"error", "detail"} <= set(body["required"]) and {"field", "rule"} <= set(body["properties"])
        examples = {e["value"]["error"] for e in media.get("examples", {}).values()}
        assert error_codes <= examples, f"{method.upper()} {path} {status}: {error_codes - examples} undocumented"


def test_every_api_route_documents_401_and_none_a_400_we_never_send(
    app_and_schema: tuple[Litestar, dict[str, Any]],
) -> None:
    _, schema = app_and_schema
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if path.startswith("/api/v1/"):
                assert "401" in operation["responses"], f"{method.upper()} {path} does not document 401"
            assert "400" not in operation["responses"], f"{method.upper()} {path}: invalid input answers 422, not 400"


def test_the_order_bodies_are_described(app_and_schema: tuple[Litestar, dict[str, Any]]) -> None:
    _, schema = app_and_schema
    place = schema["paths"]["/api/v1/orders"]["post"]
    body = place["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"symbol", "side", "qty", "type"}
    assert body["properties"]["limit_price"]["type"] == "string"  # a decimal string, never a float
    assert {"200", "202"} <= set(place["responses"])
    order = place["responses"]["202"]["content"]["application/json"]["schema"]
    assert {"id", "status", "filled_qty", "created_at"} <= set(order["required"])
    amend = schema["paths"]["/api/v1/orders/{order_id}"]["patch"]["requestBody"]["content"]["application/json"]
    assert set(amend["schema"]["properties"]) == {"qty", "limit_price"}
