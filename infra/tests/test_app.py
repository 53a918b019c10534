"""The entry point ``cdk.json`` runs, driven the way the CDK CLI drives it: context arrives in
``CDK_CONTEXT_JSON``, the output folder in ``CDK_OUTDIR``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import aws_cdk as cdk
import pytest

from conftest import EDGE, REPO
from tradewind_infra.app import build


def test_cdk_json_runs_the_app_module():
    config = json.loads((REPO / "infra/cdk.json").read_text())
    assert config["app"].endswith("python -m tradewind_infra.app")
    assert "--package tradewind-infra" in config["app"]


def test_context_from_the_cli_reaches_the_stack(tmp_path):
    """A separate process, as `cdk synth` runs it (jsii's Node reads the environment at start)."""
    context = {**EDGE, "stack_name": "TradewindStaging", "web_max_tasks": "12", "audit_bucket": "acme-tw-audit"}
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "tradewind_infra.app"], env=env, check=True, timeout=120)
    template = json.loads((tmp_path / "TradewindStaging.template.json").read_text())
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
