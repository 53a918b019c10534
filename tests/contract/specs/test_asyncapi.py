"""``contracts/asyncapi.yaml`` is the AsyncAPI document FastStream generates from the real topics,
consumer groups and event models, and it is up to date: a change to an event or a consumer that
is not regenerated fails here, saying which command fixes it."""

from __future__ import annotations

import difflib
from pathlib import Path

import yaml

from tradewind.application.topics import COMMAND_TOPICS, ORDER_TOPICS, TOPIC_OF_EVENT
from tradewind.apps.cli.asyncapi import asyncapi_document, asyncapi_yaml

COMMITTED = Path(__file__).resolve().parents[3] / "contracts" / "asyncapi.yaml"


def test_the_committed_document_is_up_to_date() -> None:
    fresh = asyncapi_yaml()
    committed = COMMITTED.read_text() if COMMITTED.exists() else ""
    diff = "".join(
        difflib.unified_diff(committed.splitlines(True), fresh.splitlines(True), "committed", "generated", n=1)
    )
    assert committed == fresh, (
        f"contracts/asyncapi.yaml is stale; run `uv run tradewind contracts asyncapi`:\n{diff[:4000]}"
    )
    assert yaml.safe_load(committed)["asyncapi"] == "3.0.0"


def test_every_order_topic_has_its_producers_and_consumers() -> None:
    document = asyncapi_document()
    channels = document["channels"]
    addresses = {c["address"] for c in channels.values()}
    assert set(ORDER_TOPICS) <= addresses
    received = {
        (c["address"], name.split(":")[1])
        for name, c in channels.items()
        if document["operations"][name]["action"] == "receive"
    }
    assert {(t, "execution-engine") for t in COMMAND_TOPICS} <= received
    assert {(t, "order-projection") for t in ORDER_TOPICS} <= received
    assert {("order.filled", "positions")} | {(t, "audit") for t in ORDER_TOPICS} <= received
    sent = {c["address"] for name, c in channels.items() if document["operations"][name]["action"] == "send"}
    assert {*ORDER_TOPICS, "position.updated", "dead_letter"} <= sent
    schemas = document["components"]["schemas"]
    for event_type in TOPIC_OF_EVENT:
        assert any(s.get("properties", {}).get("type", {}).get("const") == event_type for s in schemas.values()), (
            event_type
        )


def test_money_is_a_decimal_string_and_the_key_is_the_account() -> None:
    document = asyncapi_document()
    filled = document["components"]["schemas"]["OrderFilled"]["properties"]
    for field in ("fill_price", "avg_price"):
        assert filled[field]["type"] == "string" and filled[field]["pattern"] == r"^-?\d+(\.\d+)?$", filled[field]
    for name, message in document["components"]["messages"].items():
        if not name.startswith("dead_letter"):
            assert message["bindings"]["kafka"]["key"]["format"] == "uuid", name
            assert message["correlationId"]["location"] == "$message.payload#/correlation_id", name
