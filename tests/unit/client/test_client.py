"""``tradewind.client`` without a server: money never as float, errors carrying the server's code,
field, rule and Retry-After, and the SSE parser's edge cases (comments, multi-line data, ids).
What it sends and reads against the real API is its pact (``tests/contract/pact``)."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from tradewind.client import ApiError, Order, ResponseShapeError, TradewindClient, parse_events


def answering(status: int, body: object, headers: dict[str, str] | None = None) -> TradewindClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)

    return TradewindClient("http://api.test", "t", transport=httpx.MockTransport(handler))


def test_a_float_price_is_refused_before_anything_is_sent() -> None:
    sent: list[httpx.Request] = []
    tw = TradewindClient(
        "http://api.test", "t", transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(500))
    )
    with pytest.raises(TypeError, match="limit_price"):
        tw.place_order("AAPL", "buy", 1, "limit", limit_price=99.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="qty"):
        tw.place_order("AAPL", "buy", True)
    assert sent == []


def test_errors_carry_code_field_rule_and_retry_after() -> None:
    with pytest.raises(ApiError) as caught:
        answering(422, {"error": "risk_rejected", "detail": "too big", "rule": "max_order_notional"}).place_order(
            "AAPL", "buy", 10**6
        )
    assert (caught.value.status, caught.value.error, caught.value.rule) == (422, "risk_rejected", "max_order_notional")
    with pytest.raises(ApiError) as limited:
        answering(429, {"error": "rate_limited", "detail": "slow down"}, {"Retry-After": "2"}).list_orders()
    assert limited.value.retry_after == 2.0
    with pytest.raises(ApiError) as odd:
        answering(502, "<html>bad gateway</html>").account()
    assert odd.value.error == "http_error"


def test_a_response_missing_a_field_is_a_shape_error_naming_it() -> None:
    with pytest.raises(ResponseShapeError, match="filled_qty"):
        Order.from_json(
            {
                "id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                "client_order_id": "c",
                "symbol": "AAPL",
                "side": "buy",
                "qty": 1,
                "type": "market",
                "time_in_force": "day",
                "status": "pending",
                "created_at": "2026-01-02T00:00:00Z",
                "updated_at": "2026-01-02T00:00:00Z",
            }
        )


def test_the_sse_parser_skips_comments_joins_data_and_keeps_ids() -> None:
    lines = [
        ": heartbeat",
        "",
        "event: quote",
        'data: {"symbol": "AAPL",',
        'data:  "last": "100.01"}',
        "",
        "event: order",
        "id: 42",
        'data: {"price": 1.10}',
        "",
        "event: noise",
        "",
    ]
    quote, order = parse_events(lines)
    assert (quote.event, quote.id, quote.data) == ("quote", None, {"symbol": "AAPL", "last": "100.01"})
    assert (order.event, order.id) == ("order", "42")
    assert order.data["price"] == Decimal("1.10") and type(order.data["price"]) is Decimal
