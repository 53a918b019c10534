"""Least privilege: each task role holds only what its process calls (services.py's table)."""

from __future__ import annotations

import pytest
from iam import actions, allowed, role_of, statements

WEB, WORKER, GATEWAY = "ServicesWebTaskTaskRole", "ServicesWorkerTaskTaskRole", "ServicesGatewayTaskTaskRole"


def ids(synth):
    bucket, _ = synth.one("AWS::S3::Bucket", "Audit")
    table, _ = synth.one("AWS::DynamoDB::Table")
    stream, _ = synth.one("AWS::Kinesis::Stream")
    return bucket, table, stream


def test_worker_may_write_the_audit_bucket_and_the_web_may_not(synth):
    bucket, _, _ = ids(synth)
    r = synth.resources
    assert allowed(r, role_of(r, WORKER), "s3:PutObject", bucket)
    assert not allowed(r, role_of(r, WEB), "s3:PutObject", bucket)
    assert not allowed(r, role_of(r, GATEWAY), "s3:PutObject", bucket)


def test_web_role_has_no_s3_or_kinesis_at_all(synth):
    r = synth.resources
    granted = actions(r, role_of(r, WEB))
    assert granted, "the web reads positions: its role is not empty"
    assert not [a for a in granted if a.startswith(("s3:", "kinesis:"))], granted


@pytest.mark.parametrize("action", ["s3:DeleteObject", "s3:BypassGovernanceRetention", "s3:PutObjectRetention"])
def test_no_role_may_remove_or_unlock_an_archived_event(synth, action):
    r = synth.resources
    for prefix in (WEB, WORKER, GATEWAY):
        role = role_of(r, prefix)
        for st in statements(r, role):
            named = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            if any(action.lower() == a.lower() for a in named):
                # only the worker deletes, and only its checkpoints
                assert prefix == WORKER and action == "s3:DeleteObject"
                assert "checkpoints/*" in str(st["Resource"]), st


def test_positions_table_access(synth):
    _, table, _ = ids(synth)
    r = synth.resources
    assert allowed(r, role_of(r, WEB), "dynamodb:GetItem", table)
    assert not allowed(r, role_of(r, WEB), "dynamodb:PutItem", table)
    assert allowed(r, role_of(r, WORKER), "dynamodb:UpdateItem", table)
    assert not [a for a in actions(r, role_of(r, GATEWAY)) if a.startswith("dynamodb:")]


def test_kinesis_access(synth):
    _, _, stream = ids(synth)
    r = synth.resources
    assert allowed(r, role_of(r, GATEWAY), "kinesis:PutRecords", stream)
    assert not allowed(r, role_of(r, GATEWAY), "kinesis:GetRecords", stream)
    assert allowed(r, role_of(r, WORKER), "kinesis:GetRecords", stream)
    assert not allowed(r, role_of(r, WORKER), "kinesis:PutRecords", stream)


def test_no_task_role_has_a_wildcard_action(synth):
    r = synth.resources
    for prefix in (WEB, WORKER, GATEWAY):
        assert not [a for a in actions(r, role_of(r, prefix)) if a in ("*", "s3:*", "dynamodb:*", "kinesis:*")]


def test_database_password_comes_from_secrets_manager(synth):
    for name in ("Web", "Worker", "Gateway"):
        _, task = synth.one("AWS::ECS::TaskDefinition", f"Services{name}Task")
        (container,) = task["Properties"]["ContainerDefinitions"]
        secrets = {s["Name"]: s["ValueFrom"] for s in container["Secrets"]}
        assert set(secrets) == {"TRADEWIND_PG_USER", "TRADEWIND_PG_PASSWORD"}
        assert "LedgerClusterSecretAttachment" in str(secrets["TRADEWIND_PG_PASSWORD"])
        env = {e["Name"] for e in container["Environment"]}
        assert "TRADEWIND_PG_PASSWORD" not in env
