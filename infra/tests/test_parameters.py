"""Parameters: the article's defaults, context overrides converted to the field's type, and
refusals for combinations that would deploy but not work."""

from __future__ import annotations

import dataclasses

import pytest

from tradewind_infra.parameters import Parameters


class Context(dict):
    def try_get_context(self, key):
        return self.get(key)


def test_article_defaults():
    p = Parameters()
    assert (p.vpc_cidr, p.az_count, p.web_min_tasks, p.web_max_tasks) == ("10.0.0.0/16", 3, 8, 40)
    assert (p.task_cpu, p.task_memory_mib) == (2048, 4096)
    assert (p.scale_out_cpu_percent, p.scale_out_connections_per_task, p.scale_in_minutes) == (60, 3000, 5)
    assert (p.aurora_min_acu, p.aurora_max_acu, p.aurora_readers) == (0.5, 64, 2)
    assert (p.redis_shards, p.kafka_brokers, p.market_shards, p.audit_retention_years) == (3, 3, 8, 7)
    assert p.zones == ["us-east-1a", "us-east-1b", "us-east-1c"]


def test_context_strings_become_typed_values():
    p = Parameters.from_context(
        Context(
            web_max_tasks="60",
            aurora_max_acu="128",
            retain_data="false",
            availability_zones="eu-west-1a,eu-west-1b,eu-west-1c",
            account="123456789012",
        )
    )
    assert (p.web_max_tasks, p.aurora_max_acu, p.retain_data) == (60, 128.0, False)
    assert p.zones == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert p.account == "123456789012"


def test_context_from_cdk_json_keeps_its_json_types():
    p = Parameters.from_context(Context(web_min_tasks=4, availability_zones=["x1", "x2", "x3"]))
    assert p.web_min_tasks == 4 and p.zones == ["x1", "x2", "x3"]


@pytest.mark.parametrize(
    ("field", "value", "complaint"),
    [
        ("alb_idle_timeout_seconds", 15, "heartbeat"),
        ("web_min_tasks", 50, "web_min_tasks"),
        ("aurora_min_acu", 0.25, "aurora"),
        ("kafka_brokers", 4, "multiple"),
        ("audit_lock_mode", "LEGAL", "GOVERNANCE"),
    ],
)
def test_refuses_what_would_not_work(field, value, complaint):
    with pytest.raises(ValueError, match=complaint):
        dataclasses.replace(Parameters(), **{field: value}).validate()


def test_a_bad_boolean_is_an_error_not_false():
    with pytest.raises(ValueError, match="true or false"):
        Parameters.from_context(Context(retain_data="nope"))
