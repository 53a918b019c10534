"""Fargate services: sizes, commands, and settings named exactly as the code reads them."""

from __future__ import annotations

import ast

import pytest

from conftest import REPO

SETTINGS = REPO / "packages/adapters-aws/src/tradewind/adapters/aws/settings.py"
CLI = REPO / "apps/cli/src/tradewind/apps/cli/main.py"


def settings_fields() -> set[str]:
    """The fields of ``Settings`` (read as source: infra imports no project layer)."""
    tree = ast.parse(SETTINGS.read_text())
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings"]
    assert 'env_prefix="TRADEWIND_"' in ast.unparse(cls).replace("'", '"')
    return {s.target.id for s in cls.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}


def cli_commands() -> set[str]:
    tree = ast.parse(CLI.read_text())
    return {
        f.name
        for f in tree.body
        if isinstance(f, ast.FunctionDef) and any("app.command" in ast.unparse(d) for d in f.decorator_list)
    }


def containers(synth):
    out = {}
    for name in ("Web", "Worker", "Gateway"):
        _, task = synth.one("AWS::ECS::TaskDefinition", f"Services{name}Task")
        (container,) = task["Properties"]["ContainerDefinitions"]
        out[name.lower()] = (task["Properties"], container)
    return out


@pytest.mark.parametrize("process", ["web", "worker", "gateway"])
def test_two_vcpu_four_gb_fargate(synth, process):
    task, _ = containers(synth)[process]
    assert (task["Cpu"], task["Memory"]) == ("2048", "4096")
    assert task["RequiresCompatibilities"] == ["FARGATE"]
    assert task["NetworkMode"] == "awsvpc"


@pytest.mark.parametrize("process", ["web", "worker", "gateway"])
def test_each_service_runs_its_own_tradewind_command(synth, process):
    _, container = containers(synth)[process]
    assert container["Command"][0] == process
    assert process in cli_commands()


def test_every_tradewind_variable_is_a_setting_of_the_code(synth):
    fields = settings_fields()
    _, provision = synth.one("AWS::ECS::TaskDefinition", "ProvisioningTask")
    envs = [c for _, c in containers(synth).values()] + provision["Properties"]["ContainerDefinitions"]
    script_only = {"TRADEWIND_KAFKA_TOPICS"}  # read by infra/provision/create_topics.py, not by Settings
    for container in envs:
        names = [e["Name"] for e in container["Environment"]] + [s["Name"] for s in container.get("Secrets", [])]
        for name in names:
            if name in script_only:
                continue
            assert name.startswith("TRADEWIND_"), name
            assert name.removeprefix("TRADEWIND_").lower() in fields, f"{name}: no such setting in settings.py"


def test_the_wiring_points_at_the_stack_resources(synth):
    _, container = containers(synth)["worker"]
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert env["TRADEWIND_PROFILE"] == "aws"
    assert "LedgerCluster" in str(env["TRADEWIND_PG_HOST"])
    assert "CacheRedis" in str(env["TRADEWIND_REDIS_HOST"]) and "ConfigurationEndPoint" in str(
        env["TRADEWIND_REDIS_HOST"]
    )
    assert "KafkaBootstrapBrokers" in str(env["TRADEWIND_KAFKA_HOST"])
    assert env["TRADEWIND_KAFKA_PORT"] == "9092"
    assert env["TRADEWIND_S3_BUCKET"] == "tradewind-audit"
    assert env["TRADEWIND_POSITIONS_TABLE"] == "tradewind-positions"
    assert env["TRADEWIND_KINESIS_STREAM"] == "market-data"
    assert env["TRADEWIND_AWS_REGION"] == "us-east-1"
    # empty keys = the SDK's default chain = the task role (never the code's "testing" default)
    assert env["TRADEWIND_AWS_ACCESS_KEY_ID"] == env["TRADEWIND_AWS_SECRET_ACCESS_KEY"] == ""
    assert "TRADEWIND_AWS_ENDPOINT_URL" not in env


def test_kafka_host_makes_the_full_broker_list():
    """kafka_bootstrap is f"{kafka_host}:{kafka_port}": the host value joins the brokers with
    ":9092," so that the port completes the last one. Checked here on a concrete string."""
    brokers = "b-1.x.kafka.us-east-1.amazonaws.com:9092,b-2.x.kafka.us-east-1.amazonaws.com:9092,b-3.x:9092"
    hosts = [entry.split(":")[0] for entry in brokers.split(",")]
    host = ":9092,".join(hosts)  # what Fn::Join(":9092,", [Fn::Select(0, Fn::Split(":", ...))...]) yields
    assert f"{host}:9092" == brokers


def test_services_run_in_the_private_app_subnets_and_roll_back(synth):
    app_subnets = {
        k
        for k, v in synth.of_type("AWS::EC2::Subnet").items()
        if {"Key": "aws-cdk:subnet-name", "Value": "private-app"} in v["Properties"]["Tags"]
    }
    services = synth.of_type("AWS::ECS::Service")
    assert len(services) == 3
    for service in services.values():
        props = service["Properties"]
        vpc = props["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert {s["Ref"] for s in vpc["Subnets"]} == app_subnets
        assert vpc["AssignPublicIp"] == "DISABLED"
        assert props["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
        assert props["LaunchType"] == "FARGATE"


def test_web_starts_at_the_minimum(synth):
    desired = sorted(s["Properties"]["DesiredCount"] for s in synth.of_type("AWS::ECS::Service").values())
    assert desired == [2, 2, 8]
