"""Market data on the Kinesis stream ``market-data``, as its consumer states it: one normalized
price update per record, decimals as strings, the exchange's event time in epoch milliseconds,
partition key = symbol (so one symbol's updates stay in order within a shard)."""

from __future__ import annotations

from pact import Pact, match
from pact_support import money, string_rules, symbol

PRICE_UPDATE = "market-data: a normalized price update"

PRICE_UPDATE_BODY = {
    "symbol": symbol("AAPL"),
    "bid": money("100.00"),
    "ask": money("100.02"),
    "last": money("100.01"),
    "volume": match.int(100),
    "timestamp_ms": match.int(1767364200123),
    "exchange": match.regex("XNAS", regex=r"^[A-Z0-9_-]{1,16}$"),
}


def expect_price_update(pact: Pact) -> Pact:
    (
        pact.upon_receiving(PRICE_UPDATE, "Async")
        .with_body(PRICE_UPDATE_BODY, content_type="application/json")
        .with_matching_rules({"body": string_rules(PRICE_UPDATE_BODY)})
        .with_metadata({"stream": "market-data", "partition_key": symbol("AAPL")})
    )
    return pact
