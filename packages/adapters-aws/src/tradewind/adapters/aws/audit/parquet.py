"""Audit rows as Parquet files (Snappy) in an object store: S3 in ``local``/``aws``, a dict in
``memory``. The layout ``events/dt=YYYY-MM-DD/type=<type>/<content-hash>.parquet`` is Hive-style,
so Athena (and DuckDB, ``audit.query``) read it as a table partitioned by ``dt`` and ``type``
without any ETL. Checkpoints live under ``checkpoints/``, outside the table's location.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from tradewind.application.audit.rows import AuditRow
from tradewind.application.audit.schema import ENVELOPE, FIELDS, Kind, columns_for

_DECIMAL = pa.decimal128(38, 10)
_DECIMAL_STEP = Decimal("1e-10")
_DECIMAL_MAX = Decimal(10) ** 28
_ARROW: dict[Kind, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int64(),
    "decimal": _DECIMAL,
    "timestamp": pa.timestamp("us", tz="UTC"),
    "bool": pa.bool_(),
    "binary": pa.binary(),
}


class ObjectStore(Protocol):
    async def put(self, key: str, body: bytes, *, if_absent: bool = False) -> bool: ...

    async def get(self, key: str) -> bytes | None: ...

    async def list(self, prefix: str) -> list[str]: ...

    async def delete(self, key: str) -> None: ...


def arrow_schema(event_type: str) -> pa.Schema:
    fields = [pa.field(name, _ARROW[kind]) for name, kind in columns_for(event_type)]
    return pa.schema(fields, metadata={"tradewind.audit": "1", "event_type": event_type})


def _cell(kind: Kind, value: object) -> object:
    if kind == "decimal" and isinstance(value, Decimal):
        if abs(value) >= _DECIMAL_MAX:
            return None  # out of the column's range; the payload keeps the exact value
        return value.quantize(_DECIMAL_STEP, rounding=ROUND_HALF_EVEN)
    return value


def _envelope(row: AuditRow) -> dict[str, object]:
    return {
        "event_id": row.event_id,
        "event_type": row.event_type,
        "occurred_at": row.occurred_at,
        "correlation_id": row.correlation_id,
        "causation_id": row.causation_id,
        "account_id": row.account_id,
        "schema_version": row.schema_version,
        "topic": row.topic,
        "partition": row.partition,
        "offset": row.offset,
        "kafka_ts": row.kafka_ts,
        "payload": row.payload,
    }


def encode(event_type: str, rows: Sequence[AuditRow]) -> bytes:
    columns = columns_for(event_type)
    data: dict[str, list[object]] = {name: [] for name, _ in columns}
    for row in rows:
        if row.event_type != event_type:
            raise ValueError(f"a file holds one type: {row.event_type} in a {event_type} file")
        values = {**row.fields, **_envelope(row)}
        for name, kind in columns:
            data[name].append(_cell(kind, values.get(name)))
    table = pa.table(data, schema=arrow_schema(event_type))
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue()


def decode(body: bytes) -> list[AuditRow]:
    table = pq.read_table(io.BytesIO(body))
    envelope = {name for name, _ in ENVELOPE}
    out = []
    for record in table.to_pylist():
        event_type = record["event_type"]
        out.append(
            AuditRow(
                event_id=record["event_id"],
                event_type=event_type,
                occurred_at=record["occurred_at"],
                topic=record["topic"],
                partition=record["partition"],
                offset=record["offset"],
                kafka_ts=record["kafka_ts"],
                payload=record["payload"],
                correlation_id=record["correlation_id"],
                causation_id=record["causation_id"],
                account_id=record["account_id"],
                schema_version=record["schema_version"],
                fields={k: v for k, v in record.items() if k not in envelope and k in dict(FIELDS.get(event_type, ()))},
            )
        )
    return out


class ParquetAuditArchive:
    def __init__(self, objects: ObjectStore) -> None:
        self.objects = objects

    async def write(self, key: str, event_type: str, rows: Sequence[AuditRow]) -> None:
        await self.objects.put(key, encode(event_type, rows))

    async def create_checkpoint(self, key: str, body: Mapping[str, Any]) -> bool:
        return await self.objects.put(key, json.dumps(dict(body), sort_keys=True).encode(), if_absent=True)

    async def get_checkpoint(self, key: str) -> dict[str, Any] | None:
        raw = await self.objects.get(key)
        return None if raw is None else dict(json.loads(raw))

    async def delete_checkpoint(self, key: str) -> None:
        await self.objects.delete(key)

    async def keys(self, prefix: str) -> list[str]:
        return await self.objects.list(prefix)

    async def read(self, key: str) -> list[AuditRow]:
        body = await self.objects.get(key)
        return [] if body is None else decode(body)
