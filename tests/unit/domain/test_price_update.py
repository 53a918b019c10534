"""``PriceUpdate`` refuses what a normalizer must drop (floats, crossed books, bad units) and
round-trips its wire form exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tradewind.domain.marketdata import InvalidPriceUpdate, PriceUpdate

D = Decimal
TS = 1_700_000_000_123


def update(**overrides: Any) -> PriceUpdate:
    fields: dict[str, Any] = {
        "symbol": "AAPL",
        "bid": D("189.01"),
        "ask": D("189.03"),
        "last": D("189.02"),
        "volume": 100,
        "timestamp_ms": TS,
        "exchange": "WSX",
    }
    return PriceUpdate(**(fields | overrides))


def test_round_trips_through_its_wire_form_exactly() -> None:
    u = update(bid=D("0.0001"), last=D("123.456789"), ask=D("200"))
    assert PriceUpdate.from_dict(u.to_dict()) == u
    assert u.to_dict()["last"] == "123.456789"


def test_the_quote_carries_the_event_time_in_utc() -> None:
    q = update().to_quote()
    assert q.ts == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert (q.bid, q.ask, q.last) == (D("189.01"), D("189.03"), D("189.02"))


def test_strings_and_ints_become_decimals() -> None:
    u = update(bid="10", ask=11, last="10.5")
    assert (u.bid, u.ask, u.last) == (D("10"), D("11"), D("10.5"))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"bid": 189.01}, "bid"),
        ({"last": "NaN"}, "last"),
        ({"last": "abc"}, "last"),
        ({"ask": D("-1")}, "ask"),
        ({"bid": D("0")}, "bid"),
        ({"bid": D("190"), "ask": D("189")}, "bid"),
        ({"volume": -1}, "volume"),
        ({"volume": 1.5}, "volume"),
        ({"volume": True}, "volume"),
        ({"timestamp_ms": TS // 1000}, "timestamp_ms"),  # seconds, not ms
        ({"timestamp_ms": TS * 1_000_000}, "timestamp_ms"),  # nanoseconds
        ({"symbol": "aapl"}, "symbol"),
        ({"symbol": ""}, "symbol"),
        ({"exchange": ""}, "exchange"),
    ],
)
def test_refuses_what_no_exchange_meant(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidPriceUpdate) as err:
        update(**overrides)
    assert err.value.field == field


def test_a_locked_book_is_allowed() -> None:
    assert update(bid=D("10"), ask=D("10"), last=D("10")).bid == D("10")


def test_from_dict_names_a_missing_field() -> None:
    raw = update().to_dict()
    del raw["ask"]
    with pytest.raises(InvalidPriceUpdate) as err:
        PriceUpdate.from_dict(raw)
    assert err.value.field == "ask"
