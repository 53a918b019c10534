"""Logs are one JSON object a line, with the correlation id of the work in hand."""

from __future__ import annotations

import json
import logging

from tradewind.adapters.aws.observability.logs import JsonFormatter
from tradewind.application.correlation import correlation_id


def test_a_log_line_is_json_with_the_correlation_id_and_extras() -> None:
    record = logging.makeLogRecord({"name": "t", "levelname": "INFO", "msg": "placed %s", "args": ("o-1",)})
    record.order_id = "o-1"
    token = correlation_id.set("c-123")
    try:
        line = JsonFormatter().format(record)
    finally:
        correlation_id.reset(token)
    entry = json.loads(line)
    assert entry["message"] == "placed o-1" and entry["correlation_id"] == "c-123" and entry["order_id"] == "o-1"
    assert entry["ts"].endswith("Z") and entry["level"] == "info"


def test_without_a_correlation_id_the_field_is_absent() -> None:
    entry = json.loads(JsonFormatter().format(logging.makeLogRecord({"msg": "idle"})))
    assert "correlation_id" not in entry
