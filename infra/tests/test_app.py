"""The entry point ``cdk.json`` runs, given context the way the CDK CLI gives it (strings)."""

from __future__ import annotations

import json
import tomllib

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template

from conftest import EDGE, REPO
from tradewind_infra.app import build


def test_cdk_json_runs_the_app_module():
    config = json.loads((REPO / "infra/cdk.json").read_text())
    assert config["app"].endswith("python -m tradewind_infra.app")
    assert "--package tradewind-infra" in config["app"]


def test_context_from_the_cli_reaches_the_stack(tmp_path):
    """`cdk synth -c k=v` hands the app its context as strings (CDK_CONTEXT_JSON, read into
    App's context); the same strings given to App here. In-process: a second Node runtime in a
    subprocess costs 10-50 s on this shared machine. The real CLI was run by hand (docs/deploy.md)."""
    context = {**EDGE, "stack_name": "TradewindStaging", "web_max_tasks": "12", "audit_bucket": "acme-tw-audit"}
    app = cdk.App(outdir=str(tmp_path), context=context)
    stack = build(app)
    assert stack.stack_name == "TradewindStaging"
    template = Template.from_stack(stack).to_json()
    (target,) = [r for r in template["Resources"].values() if r["Type"].endswith("ScalableTarget")]
    assert target["Properties"]["MaxCapacity"] == 12
    (bucket,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::S3::Bucket"]
    assert bucket["Properties"]["BucketName"] == "acme-tw-audit"


def test_without_a_domain_the_app_says_what_to_pass(tmp_path):
    with pytest.raises(ValueError, match="domain_name"):
        build(cdk.App(outdir=str(tmp_path), context={}))


def test_infra_depends_on_no_project_package():
    infra = tomllib.loads((REPO / "infra/pyproject.toml").read_text())
    assert not [d for d in infra["project"]["dependencies"] if d.startswith("tradewind")]
    sources = "\n".join(p.read_text() for p in (REPO / "infra/src").rglob("*.py"))
    assert "import tradewind." not in sources and "from tradewind." not in sources


def test_synthesis_raises_no_warnings_or_errors(synth):
    """CDK's own annotations (what `cdk synth` prints as WARNING): none is acceptable unnoticed."""
    annotations = Annotations.from_stack(synth.stack)
    assert annotations.find_error("*", Match.any_value()) == []
    assert [w.entry.data for w in annotations.find_warning("*", Match.any_value())] == []
