"""The audit archive: versioned, object-locked, tiered; a Glue table Athena reads it through,
whose columns and partitions agree with the archive's schema in the application (read as
source text: infra imports no project layer)."""

from __future__ import annotations

import ast
import re

from conftest import REPO
from tradewind_infra.audit import COLUMNS, EVENT_TYPES

SCHEMA = REPO / "packages/application/src/tradewind/application/audit/schema.py"
GLUE_TYPE = {
    "string": "string",
    "int": "bigint",
    "decimal": "decimal(38,10)",
    "timestamp": "timestamp",
    "bool": "boolean",
    "binary": "binary",
}


def _archive_schema() -> tuple[list[tuple[str, str]], dict[str, list[tuple[str, str]]]]:
    """ENVELOPE and FIELDS of schema.py, evaluated from its AST (tuples, names, spreads)."""
    tree = ast.parse(SCHEMA.read_text())
    names: dict[str, object] = {}

    def value(node: ast.expr) -> object:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return names[node.id]
        if isinstance(node, ast.Tuple):
            out: list[object] = []
            for elt in node.elts:
                if isinstance(elt, ast.Starred):
                    out.extend(value(elt.value))  # type: ignore[arg-type]
                else:
                    out.append(value(elt))
            return tuple(out)
        if isinstance(node, ast.Dict):
            return {value(k): value(v) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]
        raise AssertionError(f"unexpected node in schema.py: {ast.dump(node)}")

    for stmt in tree.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            if stmt.target.id in ("ENVELOPE", "_ORDER", "_REPORT", "FIELDS"):
                names[stmt.target.id] = value(stmt.value)
    envelope = list(names["ENVELOPE"])  # type: ignore[call-overload]
    fields = {k: list(v) for k, v in names["FIELDS"].items()}  # type: ignore[union-attr]
    return envelope, fields


def test_glue_columns_match_the_archive_schema():
    envelope, fields = _archive_schema()
    expected: dict[str, str] = {name: GLUE_TYPE[kind] for name, kind in envelope}
    for columns in fields.values():
        for name, kind in columns:
            assert expected.setdefault(name, GLUE_TYPE[kind]) == GLUE_TYPE[kind], f"{name} changes type across events"
    assert dict(COLUMNS) == expected
    assert [n for n, _ in COLUMNS[: len(envelope)]] == [n for n, _ in envelope]  # envelope first, in order


def test_partition_projection_knows_every_archived_event_type():
    _, fields = _archive_schema()
    assert set(fields) <= set(EVENT_TYPES)
    # every order event type the domain declares (``type: Literal["order.…"]``)
    events = (REPO / "packages/domain/src/tradewind/domain/orders/events.py").read_text()
    declared = set(re.findall(r'Literal\["(order\.[a-z_]+)"\]', events))
    assert declared and declared <= set(EVENT_TYPES), declared - set(EVENT_TYPES)
    # the archive's own types for records it cannot attribute
    rows = (REPO / "packages/application/src/tradewind/application/audit/rows.py").read_text()
    topics = (REPO / "packages/application/src/tradewind/application/topics.py").read_text()
    for source, name in ((rows, "UNDECODABLE"), (topics, "DEAD_LETTER")):
        (value,) = re.findall(rf'^{name} = "([^"]+)"', source, re.M)
        assert value in EVENT_TYPES, name


def test_bucket_versioned_locked_for_seven_years(synth):
    _, bucket = synth.one("AWS::S3::Bucket", "Audit")
    props = bucket["Properties"]
    assert props["BucketName"] == "tradewind-audit"
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["ObjectLockEnabled"] is True
    retention = props["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert retention["Mode"] == "GOVERNANCE"
    assert retention["Days"] == 7 * 365 + 1  # seven years, leap days included
    assert props["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True


def test_bucket_tiers_then_glacier_instant_retrieval(synth):
    _, bucket = synth.one("AWS::S3::Bucket", "Audit")
    (rule,) = [r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"] if r["Id"] == "tier-then-glacier"]
    assert rule["Prefix"] == "events/"
    assert [(t["StorageClass"], t["TransitionInDays"]) for t in rule["Transitions"]] == [
        ("INTELLIGENT_TIERING", 30),
        ("GLACIER_IR", 365),
    ]


def test_compliance_mode_is_one_parameter_away(tmp_path):
    from conftest import synthesize

    s = synthesize(tmp_path, audit_lock_mode="COMPLIANCE", audit_retention_years=10)
    _, bucket = s.one("AWS::S3::Bucket", "Audit")
    retention = bucket["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert retention == {"Mode": "COMPLIANCE", "Days": 3652}


def test_glue_table_over_dt_and_type_partitions(synth):
    _, table = synth.one("AWS::Glue::Table")
    table_input = table["Properties"]["TableInput"]
    assert [p["Name"] for p in table_input["PartitionKeys"]] == ["dt", "type"]
    params = table_input["Parameters"]
    assert params["projection.enabled"] == "true"
    assert params["projection.dt.format"] == "yyyy-MM-dd"
    assert "events/dt=${dt}/type=${type}/" in str(params["storage.location.template"])
    assert "ParquetHiveSerDe" in table_input["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
    _, database = synth.one("AWS::Glue::Database")
    assert database["Properties"]["DatabaseInput"]["Name"] == table["Properties"]["DatabaseName"]
