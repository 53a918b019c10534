"""cfn-lint on every template the app synthesizes (here: one stack, no nested stacks). Errors
and warnings fail; informational findings are printed only. Ignored, each on purpose:

- W3010 "avoid hardcoding availability zones": the zones are explicit parameters so that synth
  never looks them up (no credentials offline); ``availability_zones`` sets them per account.
- W3005 "dependency already enforced by a GetAtt": in the Lambda that CDK itself generates for
  AwsCustomResource (a DependsOn it adds to its own role); not our template to change.
"""

from __future__ import annotations

from pathlib import Path

from cfnlint.api import ManualArgs, lint_file

from conftest import synthesize

IGNORED = {"W3010": "explicit zones, no lookups", "W3005": "CDK's generated custom-resource Lambda"}


def templates(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.template.json"))


def lint(synth) -> None:
    found = templates(synth.directory)
    assert [p.name for p in found] == ["Tradewind.template.json"]
    config = ManualArgs(regions=[synth.stack.params.region], ignore_checks=sorted(IGNORED))
    for template in found:
        matches = lint_file(template, config=config)
        for m in matches:
            print(f"{template.name}: {m.rule.id} {m.message} ({m.path})")
        failing = [m for m in matches if m.rule.id[0] in "EW"]
        assert not failing, [f"{m.rule.id} {m.message}" for m in failing]


def test_every_synthesized_template_is_clean(synth):
    lint(synth)


def test_the_deployment_docs_recommend_is_clean_too(tmp_path):
    """docs/deploy.md's deploy today: one Redis node group, a CDN name, compliance-mode lock."""
    lint(
        synthesize(
            tmp_path,
            context={"redis_cluster_mode": "false", "audit_lock_mode": "COMPLIANCE", "retain_data": "false"},
            cdn_domain_name="static.example.com",
            cdn_certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/11111111-1111-1111-1111-111111111111",
        )
    )


def test_the_linter_does_catch_a_broken_template(tmp_path):
    """So that a clean result above means something: a bad property type is an error."""
    bad = tmp_path / "bad.template.json"
    bad.write_text('{"Resources": {"S": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": "eight"}}}}')
    matches = lint_file(bad, config=ManualArgs(regions=["us-east-1"]))
    assert any(m.rule.id.startswith("E") for m in matches)
