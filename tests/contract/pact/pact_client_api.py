"""What ``tradewind.client`` relies on from the public API: the ``tradewind-client`` ->
``tradewind-api`` pact (HTTP interactions) and the ``tradewind-client`` -> ``tradewind-stream``
pact (the SSE events of ``/api/v1/stream``, as messages: an endless response has no place in an
HTTP interaction, and Pact's mock server serves one kind per pact).

Provider states name a situation the provider sets up through its application layer and return
the values the request needs: every state creates a fresh account and answers its API ``token``
(and the ``order_id`` it made), which Pact injects into the ``Authorization`` header and the path.
An interaction whose provider is still being built can be marked *pending* (``PENDING``):
verified and reported, not yet binding.
"""

from __future__ import annotations

from typing import Any

from pact import Pact, match
from pact.interaction import HttpInteraction
from pact_resources import (
    account_resource,
    candle_resource,
    fill_resource,
    order_resource,
    position_resource,
    quote_resource,
)
from pact_support import ORDER_ID, string_rules

CONSUMER, PROVIDER, STREAM_PROVIDER = "tradewind-client", "tradewind-api", "tradewind-stream"
TOKEN = "pact-token-0001"
MISSING_ORDER_ID = "00000000-0000-4000-8000-000000000000"
FILLED_ORDER_ID = "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b"

ACCOUNT = "an account with cash 100000"
RESTING = "an account with a resting limit order"
FILLED = "an account with a filled market order"
PLACED = "an account that placed the order with client_order_id pact-retry-1"
HOLDING = "an account holding 10 AAPL"
CANDLES = "an account, and AAPL traded for the last hour"

STREAM_ORDER = "stream: an order event"
STREAM_FILL = "stream: a fill event"
STREAM_QUOTE = "stream: a quote event"
STREAM_POSITION = "stream: a position event"
STREAM_EVENTS = (STREAM_ORDER, STREAM_FILL, STREAM_QUOTE, STREAM_POSITION)

#: interactions whose provider is still being built; flip to binding when it lands (none today)
PENDING: frozenset[str] = frozenset()


def _order_path(order_id: str = ORDER_ID) -> str:
    return f"/api/v1/orders/{order_id}"


def _error(code: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "detail": match.str("what went wrong, for a person")} | extra


def _call(pact: Pact, description: str, state: str | None, method: str, path: str) -> HttpInteraction:
    """A request as the client sends it. Values the provider state makes (the account's token, the
    order's id) are exact examples here, with generators that let the provider substitute its
    own: requests stay distinct for the mock server, and real for the provider."""
    interaction = pact.upon_receiving(description)
    interaction.with_request(method, path)
    if state is None:
        interaction.with_header("Authorization", "Bearer not-a-token")
    else:
        interaction.given(state).with_header("Authorization", f"Bearer {TOKEN}")
        generators: dict[str, Any] = {
            "header": {"Authorization": {"type": "ProviderState", "expression": "Bearer ${token}"}}
        }
        if path.startswith("/api/v1/orders/") and path != _order_path(MISSING_ORDER_ID):
            generators["path"] = {"type": "ProviderState", "expression": "/api/v1/orders/${order_id}"}
        interaction.with_generators(generators, "Request")
    if description in PENDING:
        interaction.set_pending(pending=True)
    return interaction


def _answer(interaction: HttpInteraction, status: int, body: Any) -> None:
    interaction.will_respond_with(status).with_body(body, content_type="application/json")
    if rules := string_rules(body):
        interaction.with_matching_rules({"body": rules}, "Response")


def _place(pact: Pact, description: str, state: str, body: dict[str, Any], status: int, answer: Any) -> None:
    interaction = _call(pact, description, state, "POST", "/api/v1/orders")
    interaction.with_body(body, content_type="application/json")
    _answer(interaction, status, answer)


def client_pact() -> Pact:
    pact = Pact(CONSUMER, PROVIDER)
    market = {"symbol": "AAPL", "side": "buy", "qty": 10, "type": "market", "time_in_force": "day"}
    _place(
        pact,
        "place a market order",
        ACCOUNT,
        market | {"client_order_id": "pact-market-1"},
        202,
        order_resource(status="pending", order_type="market", limit_price=None, client_order_id="pact-market-1"),
    )
    _place(
        pact,
        "place a limit order at a decimal price",
        ACCOUNT,
        market | {"type": "limit", "limit_price": "99.50", "time_in_force": "gtc", "client_order_id": "pact-limit-1"},
        202,
        order_resource(status="pending") | {"limit_price": "99.50", "client_order_id": "pact-limit-1"},
    )
    _place(
        pact,
        "place an order again with the same client_order_id",
        PLACED,
        market | {"client_order_id": "pact-retry-1"},
        200,
        order_resource(order_type="market", limit_price=None, client_order_id="pact-retry-1"),
    )
    _place(
        pact,
        "place an order with a negative qty",
        ACCOUNT,
        market | {"qty": -5, "client_order_id": "pact-bad-1"},
        422,
        _error("invalid_order", field="qty"),
    )
    _place(
        pact,
        "place an order over the concentration limit",
        ACCOUNT,
        market | {"qty": 300, "client_order_id": "pact-big-1"},
        422,
        _error("risk_rejected", rule=match.str("max_concentration")),
    )
    listing = _call(pact, "list open orders", RESTING, "GET", "/api/v1/orders")
    listing.with_query_parameters({"status": "open", "limit": "50"})
    _answer(listing, 200, match.each_like(order_resource()))
    closed = _call(pact, "list closed orders", FILLED, "GET", "/api/v1/orders")
    closed.with_query_parameters({"status": "closed", "limit": "50"})
    _answer(
        closed,
        200,
        match.each_like(order_resource(status="filled", order_type="market", limit_price=None, filled=True)),
    )
    _answer(_call(pact, "get an order", RESTING, "GET", _order_path()), 200, order_resource(status="accepted"))
    missing = _call(pact, "get an order that does not exist", ACCOUNT, "GET", _order_path(MISSING_ORDER_ID))
    _answer(missing, 404, _error("order_not_found"))
    _answer(
        _call(pact, "cancel a resting order", RESTING, "DELETE", _order_path()),
        202,
        order_resource(status="pending_cancel"),
    )
    _answer(
        _call(pact, "cancel a filled order", FILLED, "DELETE", _order_path(FILLED_ORDER_ID)),
        409,
        _error("order_not_cancelable"),
    )
    amend = _call(pact, "amend the limit price of a resting order", RESTING, "PATCH", _order_path())
    amend.with_body({"limit_price": "99.75"}, content_type="application/json")
    _answer(amend, 202, order_resource(status="pending_replace"))
    no_token = _call(pact, "a request with a token that is not valid", None, "GET", "/api/v1/orders")
    no_token.with_query_parameters({"status": "open", "limit": "50"})
    _answer(no_token, 401, _error("unauthorized"))
    quotes = _call(pact, "quotes of two symbols", ACCOUNT, "GET", "/api/v1/market/quotes")
    quotes.with_query_parameter("symbols", "AAPL,MSFT")
    _answer(quotes, 200, [quote_resource("AAPL"), quote_resource("MSFT")])
    unknown = _call(pact, "quotes of a symbol that is not traded", ACCOUNT, "GET", "/api/v1/market/quotes")
    unknown.with_query_parameter("symbols", "ZZZZ")
    _answer(unknown, 422, _error("invalid_order", field="symbols"))
    _answer(
        _call(pact, "list positions", HOLDING, "GET", "/api/v1/positions"), 200, match.each_like(position_resource())
    )
    _answer(_call(pact, "one position", HOLDING, "GET", "/api/v1/positions/AAPL"), 200, position_resource())
    _answer(_call(pact, "the account", ACCOUNT, "GET", "/api/v1/account"), 200, account_resource())
    candles = _call(pact, "candles of a symbol", CANDLES, "GET", "/api/v1/market/candles/AAPL")
    candles.with_query_parameter("interval", "1m")
    _answer(candles, 200, match.each_like(candle_resource()))
    return pact


def stream_pact() -> Pact:
    pact = Pact(CONSUMER, STREAM_PROVIDER)
    for description, event, body in (
        (STREAM_ORDER, "order", order_resource()),
        (STREAM_FILL, "fill", fill_resource()),
        (STREAM_QUOTE, "quote", quote_resource()),
        (STREAM_POSITION, "position", position_resource()),
    ):
        metadata: dict[str, Any] = {"event": event}
        if event == "order":
            # resumable: the id is the event's account_seq (Last-Event-ID); a fill comes just before
            # the order message of the same event, without an id of its own
            metadata["id"] = match.regex("1", regex=r"^\d+$")
        (
            pact.upon_receiving(description, "Async")
            .with_body(body, content_type="application/json")
            .with_matching_rules({"body": string_rules(body)})
            .with_metadata(metadata)
        )
    return pact
