"""``contracts/asyncapi.yaml`` is the AsyncAPI document FastStream generates from the real topics,
consumer groups and event models, and it is up to date: a change to an event or a consumer that
is not regenerated fails here, saying which command fixes it.

The order core (issue 11) has three topics keyed by account: ``order.commands`` (web -> gateway),
``execution.reports`` (gateway -> OMS ledger) and ``order.events`` (web and ledger -> every
projection). The document must say exactly who writes and who reads each of them.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from tradewind.application.topics import COMMAND_TYPES, EXECUTION_REPORTS, ORDER_COMMANDS, ORDER_EVENTS, topics_for
from tradewind.apps.cli.asyncapi import asyncapi_document, asyncapi_yaml
from tradewind.domain.orders.events import ORDER_EVENT_TYPES

COMMITTED = Path(__file__).resolve().parents[3] / "contracts" / "asyncapi.yaml"
DECIMAL = r"^-?\d+(\.\d+)?$"


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


def _operations(document: dict[str, Any], action: str) -> set[tuple[str, str]]:
    """(topic, producer or consumer group) of every channel whose operation is ``action``."""
    return {
        (channel["address"], name.split(":")[1])
        for name, channel in document["channels"].items()
        if document["operations"][name]["action"] == action
    }


def _schema(document: dict[str, Any], ref: str) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return schema


def _event_types_of(document: dict[str, Any], channel: str) -> set[str]:
    """The ``type`` constants of every payload a channel's message may carry."""
    [message] = document["channels"][channel]["messages"].values()
    payload = document["components"]["messages"][message["$ref"].rsplit("/", 1)[-1]]["payload"]
    schema = _schema(document, payload["$ref"])
    options = [_schema(document, o["$ref"]) for o in schema.get("oneOf", [])] or [schema]
    return {o["properties"]["type"]["const"] for o in options}


def test_the_three_order_topics_have_exactly_their_producers() -> None:
    sent = _operations(asyncapi_document(), "send")
    order_topics = {ORDER_COMMANDS, EXECUTION_REPORTS, ORDER_EVENTS}
    assert {s for s in sent if s[0] in order_topics} == {
        (ORDER_COMMANDS, "web"),
        (EXECUTION_REPORTS, "gateway"),
        (ORDER_EVENTS, "web"),
        (ORDER_EVENTS, "ledger"),
    }
    assert {("position.updated", "positions"), ("dead_letter", "any-consumer")} <= sent
    # none of the old per-type topics survives
    addresses = {c["address"] for c in asyncapi_document()["channels"].values()}
    assert not addresses & {"order.submitted", "order.canceled", "order.amended", "order.filled", "audit.events"}


def test_every_order_topic_has_its_consumer_groups() -> None:
    received = _operations(asyncapi_document(), "receive")
    order_topics = {ORDER_COMMANDS, EXECUTION_REPORTS, ORDER_EVENTS}
    assert {r for r in received if r[0] in order_topics} == {
        (ORDER_COMMANDS, "execution-engine"),
        (EXECUTION_REPORTS, "oms-ledger"),
        (ORDER_EVENTS, "order-projection"),
        (ORDER_EVENTS, "positions"),
        (ORDER_EVENTS, "audit"),
    }
    assert ("position.updated", "audit") in received


def test_each_channel_carries_the_event_types_that_travel_on_it() -> None:
    document = asyncapi_document()
    requests = set(COMMAND_TYPES)
    outcomes = set(ORDER_EVENT_TYPES) - requests
    assert _event_types_of(document, f"{ORDER_COMMANDS}:web") == requests
    assert _event_types_of(document, f"{ORDER_COMMANDS}:execution-engine") == requests
    assert _event_types_of(document, f"{ORDER_EVENTS}:web") == requests
    assert _event_types_of(document, f"{ORDER_EVENTS}:ledger") == outcomes
    for group in ("order-projection", "positions", "audit"):
        assert _event_types_of(document, f"{ORDER_EVENTS}:{group}") == set(ORDER_EVENT_TYPES), group
    for channel in (f"{EXECUTION_REPORTS}:gateway", f"{EXECUTION_REPORTS}:oms-ledger"):
        assert _event_types_of(document, channel) == {"execution.report"}, channel
    # the document and the outbox's routing agree
    for event_type in ORDER_EVENT_TYPES:
        assert ORDER_EVENTS in topics_for(event_type)
        assert (ORDER_COMMANDS in topics_for(event_type)) == (event_type in requests)


def test_order_events_are_numbered_and_venue_reports_have_their_ids() -> None:
    schemas = asyncapi_document()["components"]["schemas"]
    order_schemas = [
        s for s in schemas.values() if s.get("properties", {}).get("type", {}).get("const") in ORDER_EVENT_TYPES
    ]
    assert {s["properties"]["type"]["const"] for s in order_schemas} == set(ORDER_EVENT_TYPES)
    for schema in order_schemas:
        for number in ("order_seq", "account_seq"):
            assert {"type": "integer"} in schema["properties"][number]["anyOf"], (schema["title"], number)
    filled = schemas["OrderFilled"]["properties"]
    assert "gap" in filled and "status_after" not in filled
    report = schemas["VenueReport"]
    assert {"report_id", "account_id", "order_id", "kind", "exec_id", "cum_qty", "leaves_qty"} <= set(
        report["properties"]
    )
    assert {"report_id", "account_id", "order_id", "kind", "exec_id", "symbol"} <= set(report["required"])
    kinds = set(schemas["ReportKind"]["enum"])
    assert {"new", "fill", "canceled", "replaced", "rejected", "expired", "cancel_rejected"} <= kinds


def test_money_is_a_decimal_string_and_the_key_is_the_account() -> None:
    document = asyncapi_document()
    schemas = document["components"]["schemas"]
    for model, fields in (("OrderFilled", ("fill_price", "avg_price")), ("VenueReport", ("avg_price", "last_price"))):
        for field in fields:
            spec = schemas[model]["properties"][field]
            decimal = spec["anyOf"][0] if "anyOf" in spec else spec
            assert decimal["type"] == "string" and decimal["pattern"] == DECIMAL, (model, field, spec)
    for name, message in document["components"]["messages"].items():
        if name.startswith("dead_letter"):
            continue
        assert message["bindings"]["kafka"]["key"]["format"] == "uuid", name
        if name.startswith(EXECUTION_REPORTS):
            assert "correlationId" not in message, name  # a venue fact: the ledger threads it to its order
        else:
            assert message["correlationId"]["location"] == "$message.payload#/correlation_id", name
