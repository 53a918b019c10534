"""Consumed records into audit rows, and the content key of a file.

Decoding is total: a record that is not a JSON event is still archived (type ``undecodable``,
dated by the broker's timestamp); a dead letter is archived as type ``dead_letter`` whatever it
carries, so an event that was dead-lettered is not counted twice under its own type. Every
derived value depends only on the record, so the same records always make the same rows, the
same files and the same keys.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from tradewind.application.audit.schema import FIELDS, Kind
from tradewind.application.topics import DEAD_LETTER

if TYPE_CHECKING:
    from tradewind.application.audit.ports import LogRecord

_NS = uuid.UUID("2b7f3f4e-8d2a-4d55-b0c4-7f1e6a9d3c21")
_SAFE_TYPE = re.compile(r"[^a-z0-9._-]")
UNDECODABLE = "undecodable"


@dataclass(frozen=True, slots=True)
class AuditRow:
    event_id: str
    event_type: str
    occurred_at: datetime
    topic: str
    partition: int
    offset: int
    kafka_ts: datetime
    payload: bytes
    correlation_id: str | None = None
    causation_id: str | None = None
    account_id: str | None = None
    schema_version: int | None = None
    #: the typed columns of ``schema.FIELDS[event_type]`` (absent ones are null)
    fields: dict[str, object] = field(default_factory=dict)

    @property
    def dt(self) -> str:
        return self.occurred_at.astimezone(UTC).strftime("%Y-%m-%d")


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts.astimezone(UTC) if ts.tzinfo is not None else None


def convert(kind: Kind, value: object) -> object:
    """A JSON value as the column's kind, or None when it is absent or not of that kind."""
    if value is None:
        return None
    if kind == "string":
        return value if isinstance(value, str) else None
    if kind == "int":
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if kind == "bool":
        return value if isinstance(value, bool) else None
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, str | int):
            return None  # money travels as strings; a float would already be a guess
        try:
            dec = Decimal(str(value))
        except InvalidOperation:
            return None
        return dec if dec.is_finite() else None
    if kind == "timestamp":
        return _parse_time(value)
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def to_row(record: LogRecord) -> AuditRow:
    """The audit row of one consumed record; never raises."""
    body: Any
    try:
        body = json.loads(record.value)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        body = {}
        event_type = DEAD_LETTER if record.topic == DEAD_LETTER else UNDECODABLE
    else:
        declared = body.get("type")
        event_type = DEAD_LETTER if record.topic == DEAD_LETTER else (declared if isinstance(declared, str) else "")
        event_type = _SAFE_TYPE.sub("_", event_type.lower())[:64] or UNDECODABLE
    occurred = _parse_time(body.get("occurred_at")) or _parse_time(body.get("ts")) or record.timestamp
    event_id = _text(body.get("event_id")) or str(uuid.uuid5(_NS, f"{record.topic}/{record.partition}/{record.offset}"))
    version = body.get("schema_version")
    return AuditRow(
        event_id=event_id,
        event_type=event_type,
        occurred_at=occurred,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        kafka_ts=record.timestamp,
        payload=record.value,
        correlation_id=_text(body.get("correlation_id")),
        causation_id=_text(body.get("causation_id")),
        account_id=_text(body.get("account_id")),
        schema_version=version if isinstance(version, int) and not isinstance(version, bool) else None,
        fields={name: convert(kind, body.get(name)) for name, kind in FIELDS.get(event_type, ())},
    )


def content_key(dt: str, event_type: str, rows: Sequence[AuditRow]) -> str:
    """``events/dt=…/type=…/<sha256>.parquet``: the hash of what the file holds (each row's Kafka
    coordinates and exact payload), so the same batch always gets the same key."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(f"{row.topic}\0{row.partition}\0{row.offset}\0{len(row.payload)}\0".encode())
        digest.update(row.payload)
    return f"events/dt={dt}/type={event_type}/{digest.hexdigest()}.parquet"
