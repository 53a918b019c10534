"""The topic table (DESIGN.md "Topics") and how it reaches MSK: the provisioning task gets it
as JSON and a custom resource runs the task on deploy."""

from __future__ import annotations

import ast
import json
import runpy

from conftest import REPO
from tradewind_infra.topics import DAY_MS, HOUR_MS, TOPICS, topics_digest, topics_json

#: DESIGN.md "Topics": name -> partitions
DESIGN = {
    "order.commands": 12,
    "execution.reports": 12,
    "order.events": 12,
    "position.updated": 12,
    "risk.events": 4,
    "market.price": 6,
    "dead_letter": 4,
}
SCRIPT = REPO / "infra/provision/create_topics.py"


def test_the_table_is_design_md():
    assert {t.name: t.partitions for t in TOPICS} == DESIGN


def test_the_table_is_the_code_table():
    """``tradewind.application.topics.PARTITIONS``, read from its source (no project import)."""
    tree = ast.parse((REPO / "packages/application/src/tradewind/application/topics.py").read_text())
    names = {
        n.targets[0].id: n.value.value
        for n in tree.body
        if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Constant)
    }
    (partitions,) = [
        n.value for n in tree.body if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "PARTITIONS"
    ]
    assert isinstance(partitions, ast.Dict)
    code = {names[k.id]: v.value for k, v in zip(partitions.keys, partitions.values, strict=True)}  # type: ignore[union-attr]
    assert code == {t.name: t.partitions for t in TOPICS}


def test_durability_replication_3_min_insync_2_except_the_loss_tolerant_prices():
    for t in TOPICS:
        if t.name == "market.price":
            assert (t.replication, t.min_insync, t.acks, t.retention_ms) == (2, 1, "1", HOUR_MS)
        else:
            assert (t.replication, t.min_insync, t.acks) == (3, 2, "all"), t.name
            assert t.retention_ms >= 7 * DAY_MS


def test_the_provisioning_task_gets_the_table_and_the_code_settings(synth):
    _, task = synth.one("AWS::ECS::TaskDefinition", "ProvisioningTask")
    (container,) = task["Properties"]["ContainerDefinitions"]
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert json.loads(env["TRADEWIND_KAFKA_TOPICS"]) == json.loads(topics_json())
    assert container["EntryPoint"] == ["sh", "-c"]
    assert container["Command"] == ["python /app/provision/create_topics.py && tradewind infra init"]


def test_a_custom_resource_runs_the_task_on_deploy_and_again_when_the_table_changes(synth):
    _, run = synth.one("Custom::AWS", "ProvisioningRun")
    create = str(run["Properties"]["Create"])
    assert '"action":"runTask"' in create and "FARGATE" in create
    assert f"provision-{topics_digest()}" in create
    # every service waits for it
    for logical_id, service in synth.of_type("AWS::ECS::Service").items():
        assert any(d.startswith("ProvisioningRun") for d in service.get("DependsOn", [])), logical_id


def test_the_script_plans_creates_and_updates_from_the_json():
    script = runpy.run_path(str(SCRIPT))  # imports aiokafka only when it runs
    env = {
        "TRADEWIND_KAFKA_TOPICS": topics_json(),
        "TRADEWIND_KAFKA_HOST": "b-1:9092,b-2",
        "TRADEWIND_KAFKA_PORT": "9092",
    }
    assert script["bootstrap"](env) == "b-1:9092,b-2:9092"
    rows = script["table"](env)
    create, update = script["plan"](rows, {"order.events", "something.else"})
    assert [r["name"] for r in update] == ["order.events"]
    assert len(create) == len(TOPICS) - 1
    assert script["configs"](update[0]) == {"min.insync.replicas": "2", "retention.ms": str(7 * DAY_MS)}
