"""Consumer: ``tradewind.client``, the typed Python client teams build on.

Every method is exercised against Pact's mock server, which answers only what the pact states and
fails if the client sends anything else (or leaves an interaction unused); the SSE examples are
fed, as ``event:``/``id:``/``data:`` lines, to the client's own stream parser. Results must come
back typed: ``Decimal`` money (exactly the digits sent), ``int`` quantities, UTC times, and
``ApiError`` carrying the server's ``error``, ``field`` and ``rule``. Then the pact is written.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from pact_client_api import FILLED_ORDER_ID, MISSING_ORDER_ID, STREAM_EVENTS, TOKEN, client_pact, stream_pact
from pact_support import ORDER_ID, message_examples, write_pact

from tradewind.client import ApiError, Fill, Order, Position, Quote, TradewindClient, parse_events


def expect_error(status: int, code: str, call: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call()
    assert (caught.value.status, caught.value.error) == (status, code), caught.value
    assert caught.value.detail
    return caught.value


def exercise(tw: TradewindClient) -> None:
    market = tw.place_order("AAPL", "buy", 10, "market", client_order_id="pact-market-1")
    assert isinstance(market, Order) and market.status == "pending" and market.limit_price is None
    assert market.created_at.utcoffset() == timedelta(0)
    limit = tw.place_order(
        "AAPL", "buy", 10, "limit", limit_price=Decimal("99.50"), time_in_force="gtc", client_order_id="pact-limit-1"
    )
    assert limit.limit_price == Decimal("99.50") and str(limit.limit_price) == "99.50"  # not 99.5, not a float
    again = tw.place_order("AAPL", "buy", 10, "market", client_order_id="pact-retry-1")
    assert again.client_order_id == "pact-retry-1"
    assert (
        expect_error(
            422, "invalid_order", lambda: tw.place_order("AAPL", "buy", -5, client_order_id="pact-bad-1")
        ).field
        == "qty"
    )
    refused = expect_error(
        422, "risk_rejected", lambda: tw.place_order("AAPL", "buy", 300, client_order_id="pact-big-1")
    )
    assert refused.rule == "max_concentration"

    page = tw.list_orders("open")
    assert page.orders and all(isinstance(o.qty, int) for o in page.orders)
    [filled] = tw.list_orders("closed").orders
    assert filled.status == "filled" and filled.filled_avg_price == Decimal("100.02")
    order = tw.get_order(ORDER_ID)
    assert order.id == uuid.UUID(ORDER_ID) and order.status == "accepted"
    expect_error(404, "order_not_found", lambda: tw.get_order(MISSING_ORDER_ID))
    assert tw.cancel_order(ORDER_ID).status == "pending_cancel"
    expect_error(409, "order_not_cancelable", lambda: tw.cancel_order(FILLED_ORDER_ID))
    assert tw.amend_order(ORDER_ID, limit_price="99.75").status == "pending_replace"

    aapl, msft = tw.quotes(["AAPL", "MSFT"])
    assert (aapl.symbol, msft.symbol) == ("AAPL", "MSFT") and isinstance(aapl.bid, Decimal)
    assert expect_error(422, "invalid_order", lambda: tw.quotes(["ZZZZ"])).field == "symbols"
    [position] = tw.positions()
    assert position.qty == 10 and isinstance(position.avg_entry_price, Decimal)
    assert tw.position("AAPL").symbol == "AAPL"
    assert isinstance(tw.account().cash, Decimal)
    [candle] = tw.candles("AAPL", "1m")
    assert isinstance(candle.close, Decimal) and isinstance(candle.volume, int)


def sse_lines(body: bytes, metadata: dict[str, Any]) -> list[str]:
    lines = [f"event: {metadata['event']}"]
    if "id" in metadata:
        lines.append(f"id: {metadata['id']}")
    return [*lines, f"data: {body.decode()}", ""]


def test_the_client_gets_what_it_states_then_writes_the_api_pact() -> None:
    pact = client_pact()
    with pact.serve(addr="127.0.0.1") as server, TradewindClient(str(server.url), TOKEN) as tw:
        exercise(tw)
        with TradewindClient(str(server.url), "not-a-token") as stranger:
            expect_error(401, "unauthorized", lambda: stranger.list_orders())

    write_pact(pact)


def test_the_stream_parser_reads_every_event_it_states_then_writes_the_pact() -> None:
    pact = stream_pact()
    examples = message_examples(pact)
    assert set(examples) == set(STREAM_EVENTS)
    lines = [line for body, metadata in examples.values() for line in sse_lines(body, metadata)]
    events = list(parse_events([": heartbeat", "", *lines]))
    assert [e.event for e in events] == [examples[d][1]["event"] for d in examples]
    values = {type(e.value) for e in events}
    assert values == {Order, Fill, Quote, Position}
    assert all(e.id is not None for e in events if e.event == "order")  # the account_seq: Last-Event-ID
    assert all(e.id is None for e in events if e.event != "order")
    write_pact(pact)


def test_the_stream_parser_tolerates_fields_it_does_not_know() -> None:
    """Schema evolution: the server may add fields to a resource within v1; the client ignores them."""
    for description, (body, metadata) in message_examples(stream_pact()).items():
        richer = json.dumps(json.loads(body) | {"added_in_a_later_minor": {"x": 1}}).encode()
        [event] = parse_events(sse_lines(richer, metadata))
        assert event.value is not None, description
