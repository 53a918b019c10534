"""One synthesis per test session (about 15 s; offline: explicit region and zones, no lookups),
shared by every test that only reads the template."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# jsii prints a banner on every start under Node 20 (end of life for jsii since 2026-10-30); the
# machine has Node 20 and synthesis works on it. Silence only that banner, only for Node 20.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# jsii starts on the first import below, so these come after the environment is set
import aws_cdk as cdk
from aws_cdk.assertions import Template

from tradewind_infra.parameters import Parameters
from tradewind_infra.stack import TradewindStack

REPO = Path(__file__).resolve().parents[2]
#: what a deploy must pass (docs/deploy.md); tests use a placeholder name and certificate
EDGE = {
    "domain_name": "trade.example.com",
    "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
}


@dataclass
class Synth:
    stack: TradewindStack
    template: Template
    resources: dict[str, dict[str, Any]]
    directory: Path

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == kind}

    def one(self, kind: str, prefix: str = "") -> tuple[str, dict[str, Any]]:
        found = {k: v for k, v in self.of_type(kind).items() if k.startswith(prefix)}
        assert len(found) == 1, f"expected one {kind} starting {prefix!r}, found {sorted(found)}"
        return next(iter(found.items()))


def synthesize(tmp: Path, context: dict[str, Any] | None = None, **overrides: Any) -> Synth:
    app = cdk.App(outdir=str(tmp), context=context or {})
    params = Parameters.from_context(app.node, **{**EDGE, **overrides})
    stack = TradewindStack(app, "Tradewind", params=params)
    assembly = app.synth()
    template = Template.from_stack(stack)
    return Synth(stack, template, template.to_json()["Resources"], Path(assembly.directory))


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    yield synthesize(tmp_path_factory.mktemp("cdk.out"))
