"""Untrusted order bodies: every bad one raises ``InvalidOrder`` naming the field (the HTTP layer
turns that into 422 ``invalid_order``); every good one yields ``Decimal`` prices, never floats."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from tradewind.domain.errors import InvalidOrder
from tradewind.domain.orders.commands import parse_amend_order, parse_place_order
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

ACCOUNT = uuid.uuid4()
ORDER = uuid.uuid4()
LIMIT_BUY: dict[str, Any] = {
    "symbol": "AAPL",
    "side": "buy",
    "qty": 10,
    "type": "limit",
    "limit_price": "101.25",
    "time_in_force": "gtc",
    "client_order_id": "c-1",
}
MARKET_BUY: dict[str, Any] = {"symbol": "AAPL", "side": "buy", "qty": 10, "type": "market"}
STOP_SELL: dict[str, Any] = {"symbol": "AAPL", "side": "sell", "qty": 10, "type": "stop", "stop_price": "95"}


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, **changes}


def without(base: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in base.items() if k != key}


BAD_PLACE = {
    "negative qty": (with_(LIMIT_BUY, qty=-5), "qty"),
    "zero qty": (with_(LIMIT_BUY, qty=0), "qty"),
    "fractional qty": (with_(LIMIT_BUY, qty=1.5), "qty"),
    "fractional qty string": (with_(LIMIT_BUY, qty="1.5"), "qty"),
    "bool qty": (with_(LIMIT_BUY, qty=True), "qty"),
    "qty as list": (with_(LIMIT_BUY, qty=[10]), "qty"),
    "qty as dict": (with_(LIMIT_BUY, qty={"n": 10}), "qty"),
    "qty not a number": (with_(LIMIT_BUY, qty="ten"), "qty"),
    "NaN qty": (with_(LIMIT_BUY, qty=float("nan")), "qty"),
    "NaN qty string": (with_(LIMIT_BUY, qty="NaN"), "qty"),
    "infinite qty": (with_(LIMIT_BUY, qty=float("inf")), "qty"),
    "absurd qty": (with_(LIMIT_BUY, qty=10**30), "qty"),
    "absurd qty string": (with_(LIMIT_BUY, qty="1e30"), "qty"),
    "missing qty": (without(LIMIT_BUY, "qty"), "qty"),
    "unknown type": (with_(LIMIT_BUY, type="iceberg"), "type"),
    "type not a string": (with_(LIMIT_BUY, type=1), "type"),
    "unknown side": (with_(LIMIT_BUY, side="hold"), "side"),
    "upper-case side": (with_(LIMIT_BUY, side="BUY"), "side"),
    "missing side": (without(LIMIT_BUY, "side"), "side"),
    "unknown tif": (with_(LIMIT_BUY, time_in_force="week"), "time_in_force"),
    "limit without limit_price": (without(LIMIT_BUY, "limit_price"), "limit_price"),
    "market with limit_price": (with_(MARKET_BUY, limit_price="100"), "limit_price"),
    "market with stop_price": (with_(MARKET_BUY, stop_price="100"), "stop_price"),
    "stop without stop_price": (without(STOP_SELL, "stop_price"), "stop_price"),
    "stop_limit without stop_price": (with_(LIMIT_BUY, type="stop_limit"), "stop_price"),
    "float limit_price": (with_(LIMIT_BUY, limit_price=101.25), "limit_price"),
    "bool limit_price": (with_(LIMIT_BUY, limit_price=True), "limit_price"),
    "limit_price as list": (with_(LIMIT_BUY, limit_price=["101"]), "limit_price"),
    "NaN limit_price": (with_(LIMIT_BUY, limit_price=float("nan")), "limit_price"),
    "NaN limit_price string": (with_(LIMIT_BUY, limit_price="NaN"), "limit_price"),
    "infinite limit_price": (with_(LIMIT_BUY, limit_price=float("inf")), "limit_price"),
    "Infinity limit_price string": (with_(LIMIT_BUY, limit_price="Infinity"), "limit_price"),
    "zero limit_price": (with_(LIMIT_BUY, limit_price="0"), "limit_price"),
    "negative limit_price": (with_(LIMIT_BUY, limit_price="-1"), "limit_price"),
    "absurd limit_price": (with_(LIMIT_BUY, limit_price="1000000.01"), "limit_price"),
    "astronomic limit_price": (with_(LIMIT_BUY, limit_price="1e100000000"), "limit_price"),
    "too many decimals": (with_(LIMIT_BUY, limit_price="101.12345"), "limit_price"),
    "limit_price not a number": (with_(LIMIT_BUY, limit_price="cheap"), "limit_price"),
    "NaN stop_price": (with_(STOP_SELL, stop_price=float("nan")), "stop_price"),
    "symbol as int": (with_(LIMIT_BUY, symbol=123), "symbol"),
    "unknown symbol": (with_(LIMIT_BUY, symbol="ZZZZ"), "symbol"),
    "symbol with a space": (with_(LIMIT_BUY, symbol="AA PL"), "symbol"),
    "missing symbol": (without(LIMIT_BUY, "symbol"), "symbol"),
    "extra field": (with_(LIMIT_BUY, account_id=str(uuid.uuid4())), "account_id"),
    "client_order_id too long": (with_(LIMIT_BUY, client_order_id="x" * 65), "client_order_id"),
    "client_order_id bad chars": (with_(LIMIT_BUY, client_order_id="a b!"), "client_order_id"),
    "client_order_id trailing newline": (with_(LIMIT_BUY, client_order_id="abc\n"), "client_order_id"),
    "client_order_id empty": (with_(LIMIT_BUY, client_order_id=""), "client_order_id"),
    "client_order_id as int": (with_(LIMIT_BUY, client_order_id=7), "client_order_id"),
}


@pytest.mark.parametrize(("body", "field"), BAD_PLACE.values(), ids=BAD_PLACE.keys())
def test_a_bad_place_body_names_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidOrder) as caught:
        parse_place_order(ACCOUNT, body)
    assert caught.value.field == field
    assert caught.value.code == "invalid_order" and caught.value.detail


@pytest.mark.parametrize("body", [[], "an order", None], ids=["list", "string", "null"])
def test_a_body_that_is_not_an_object_is_refused(body: Any) -> None:
    with pytest.raises(InvalidOrder) as caught:
        parse_place_order(ACCOUNT, body)
    assert caught.value.field == "body"


# int(Decimal("1e1000000")) blocks for most of a minute, inside C where a signal cannot stop it:
# a bound check must come first. A regression hangs, so the thread method ends the run.
@pytest.mark.timeout(10, method="thread")
def test_a_huge_qty_is_refused_without_building_a_huge_integer() -> None:
    with pytest.raises(InvalidOrder) as caught:
        parse_place_order(ACCOUNT, with_(LIMIT_BUY, qty="1e100000000"))
    assert caught.value.field == "qty"


def test_a_limit_order_has_decimal_prices() -> None:
    cmd = parse_place_order(ACCOUNT, LIMIT_BUY)
    assert cmd.account_id == ACCOUNT
    assert (cmd.symbol, cmd.side, cmd.qty, cmd.order_type, cmd.time_in_force) == (
        "AAPL",
        OrderSide.BUY,
        10,
        OrderType.LIMIT,
        TimeInForce.GTC,
    )
    assert type(cmd.limit_price) is Decimal and cmd.limit_price == Decimal("101.25")
    assert cmd.stop_price is None and cmd.client_order_id == "c-1"


def test_a_stop_limit_order_has_both_prices_as_decimals() -> None:
    cmd = parse_place_order(ACCOUNT, with_(LIMIT_BUY, type="stop_limit", stop_price=100, limit_price="100.5"))
    assert type(cmd.stop_price) is Decimal and cmd.stop_price == Decimal("100")
    assert type(cmd.limit_price) is Decimal and cmd.limit_price == Decimal("100.5")


def test_defaults_and_normalisation() -> None:
    cmd = parse_place_order(ACCOUNT, with_(MARKET_BUY, symbol="aapl", qty="7"))
    assert cmd.symbol == "AAPL" and cmd.qty == 7
    assert cmd.time_in_force is TimeInForce.DAY
    assert cmd.limit_price is None and cmd.stop_price is None
    assert uuid.UUID(cmd.client_order_id)  # one is made up when the caller gives none


def test_null_optional_prices_are_absent() -> None:
    cmd = parse_place_order(ACCOUNT, with_(MARKET_BUY, limit_price=None, stop_price=None))
    assert cmd.limit_price is None and cmd.stop_price is None


def test_the_given_correlation_id_is_kept() -> None:
    correlation = uuid.uuid4()
    assert parse_place_order(ACCOUNT, MARKET_BUY, correlation_id=correlation).correlation_id == correlation


BAD_AMEND = {
    "nothing to change": ({}, "qty"),
    "both null": ({"qty": None, "limit_price": None}, "qty"),
    "zero qty": ({"qty": 0}, "qty"),
    "negative qty": ({"qty": -3}, "qty"),
    "fractional qty": ({"qty": 1.5}, "qty"),
    "fractional qty string": ({"qty": "1.5"}, "qty"),
    "bool qty": ({"qty": False}, "qty"),
    "qty as list": ({"qty": [1]}, "qty"),
    "NaN qty": ({"qty": float("nan")}, "qty"),
    "infinite qty": ({"qty": float("-inf")}, "qty"),
    "absurd qty": ({"qty": 10_000_000}, "qty"),
    "float limit_price": ({"limit_price": 99.5}, "limit_price"),
    "NaN limit_price": ({"limit_price": float("nan")}, "limit_price"),
    "Infinity limit_price": ({"limit_price": "Infinity"}, "limit_price"),
    "absurd limit_price": ({"limit_price": "99999999"}, "limit_price"),
    "too many decimals": ({"limit_price": "1.00001"}, "limit_price"),
    "limit_price as dict": ({"limit_price": {"v": "1"}}, "limit_price"),
    "extra field": ({"qty": 5, "symbol": "MSFT"}, "symbol"),
}


@pytest.mark.parametrize(("body", "field"), BAD_AMEND.values(), ids=BAD_AMEND.keys())
def test_a_bad_amend_body_names_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidOrder) as caught:
        parse_amend_order(ACCOUNT, ORDER, body)
    assert caught.value.field == field


def test_an_amend_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidOrder) as caught:
        parse_amend_order(ACCOUNT, ORDER, ["qty", 5])  # type: ignore[arg-type]
    assert caught.value.field == "body"


def test_a_good_amend_has_a_decimal_price() -> None:
    cmd = parse_amend_order(ACCOUNT, ORDER, {"qty": 20, "limit_price": "99.5"})
    assert (cmd.account_id, cmd.order_id, cmd.qty) == (ACCOUNT, ORDER, 20)
    assert type(cmd.limit_price) is Decimal and cmd.limit_price == Decimal("99.5")
    only_price = parse_amend_order(ACCOUNT, ORDER, {"limit_price": "100"})
    assert only_price.qty is None and only_price.limit_price == Decimal("100")
    only_qty = parse_amend_order(ACCOUNT, ORDER, {"qty": "3"})
    assert only_qty.qty == 3 and only_qty.limit_price is None
