"""SQL over the audit archive with DuckDB, the way Athena would see it.

The selected partitions are copied from the object store into a local folder with the same
Hive layout, and exposed as the view ``events`` (``dt`` and ``type`` come from the paths; files
of different types are unioned by column name, absent columns null). DuckDB's own S3 reader
needs an extension downloaded at run time; copying keeps this offline and works on the
in-memory store too. For years of data, point Athena at the bucket instead: same layout, same SQL.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb

from tradewind.adapters.aws.audit.parquet import ObjectStore

_PARTS = re.compile(r"^events/dt=(?P<dt>[0-9-]+)/type=(?P<type>[^/]+)/[^/]+\.parquet$")


async def download(
    objects: ObjectStore,
    root: Path,
    *,
    dt_from: str | None = None,
    dt_to: str | None = None,
    types: list[str] | None = None,
) -> int:
    """Copy the archive's files (optionally only some dates and types) under ``root``."""
    count = 0
    for key in await objects.list("events/"):
        match = _PARTS.match(key)
        if match is None:
            continue
        dt, event_type = match["dt"], match["type"]
        if (dt_from and dt < dt_from) or (dt_to and dt > dt_to) or (types and event_type not in types):
            continue
        body = await objects.get(key)
        if body is None:
            continue
        target = root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        count += 1
    return count


def run_sql(root: Path, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ``sql`` with the view ``events`` over the files under ``root``; (columns, rows)."""
    con = duckdb.connect()
    try:
        pattern = str(root / "events" / "*" / "*" / "*.parquet").replace("'", "''")  # DDL takes no parameters
        con.execute(
            f"CREATE VIEW events AS SELECT * FROM read_parquet('{pattern}', hive_partitioning = true, union_by_name = true)"
        )
        result = con.execute(sql)
        columns = [d[0] for d in result.description or []]
        return columns, result.fetchall()
    finally:
        con.close()
