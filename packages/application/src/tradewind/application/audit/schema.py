"""The fixed schema of each event type in the archive.

Every file holds one date and one type, so every file of a type has exactly these columns: the
envelope, the Kafka coordinates, the raw payload (the exact bytes consumed: what replay reads
and what a regulator is shown), and typed columns for the fields worth querying. A type not
listed here is archived with the envelope and the payload only. Columns are added at the end
only (Athena and DuckDB read old files with the new column as null); never renamed or retyped.

Kinds map to Parquet in the adapter: ``decimal`` is decimal(38, 10) (the payload keeps the
exact digits), ``timestamp`` is microseconds UTC.
"""

from __future__ import annotations

from typing import Final, Literal

Kind = Literal["string", "int", "decimal", "timestamp", "bool", "binary"]
Column = tuple[str, Kind]

ENVELOPE: Final[tuple[Column, ...]] = (
    ("event_id", "string"),
    ("event_type", "string"),
    ("occurred_at", "timestamp"),
    ("correlation_id", "string"),
    ("causation_id", "string"),
    ("account_id", "string"),
    ("schema_version", "int"),
    ("topic", "string"),
    ("partition", "int"),
    ("offset", "int"),
    ("kafka_ts", "timestamp"),
    ("payload", "binary"),
)

_ORDER: Final[tuple[Column, ...]] = (("order_id", "string"), ("symbol", "string"))
_REPORT: Final[tuple[Column, ...]] = (*_ORDER, ("reason", "string"), ("reconciliation", "bool"))

FIELDS: Final[dict[str, tuple[Column, ...]]] = {
    "order.submitted": (
        *_ORDER,
        ("client_order_id", "string"),
        ("side", "string"),
        ("qty", "int"),
        ("order_type", "string"),
        ("time_in_force", "string"),
        ("limit_price", "decimal"),
        ("stop_price", "decimal"),
        ("created_at", "timestamp"),
    ),
    "order.cancel_requested": _ORDER,
    "order.amend_requested": (*_ORDER, ("qty", "int"), ("limit_price", "decimal")),
    "order.accepted": (*_ORDER, ("broker_order_id", "string"), ("reconciliation", "bool")),
    "order.filled": (
        *_ORDER,
        ("fill_id", "string"),
        ("side", "string"),
        ("fill_qty", "int"),
        ("fill_price", "decimal"),
        ("cum_qty", "int"),
        ("avg_price", "decimal"),
        ("leaves_qty", "int"),
        ("order_qty", "int"),
        ("broker_order_id", "string"),
        ("reconciliation", "bool"),
        ("after_cancel", "bool"),
    ),
    "order.canceled": _REPORT,
    "order.replaced": (*_ORDER, ("qty", "int"), ("limit_price", "decimal")),
    "order.rejected": _REPORT,
    "order.expired": _REPORT,
    "order.unknown": _REPORT,
    "order.broker_unavailable": _REPORT,
    "position.updated": (
        ("symbol", "string"),
        ("qty", "int"),
        ("avg_entry_price", "decimal"),
        ("cost_basis", "decimal"),
        ("realized_pl", "decimal"),
        ("cash_flow", "decimal"),
        ("fills", "int"),
        ("version", "int"),
        ("fill_id", "string"),
        ("order_id", "string"),
    ),
    "market.price": (
        ("symbol", "string"),
        ("bid", "decimal"),
        ("ask", "decimal"),
        ("last", "decimal"),
        ("ts", "timestamp"),
    ),
}


def columns_for(event_type: str) -> tuple[Column, ...]:
    """The full, ordered column list of files of ``event_type``."""
    return ENVELOPE + FIELDS.get(event_type, ())
