"""Every number of the deployment, named, with the article's value as its default.

Each field can be overridden with CDK context of the same name (``cdk deploy -c web_max_tasks=60``
or the ``context`` block of ``cdk.json``); values from the command line arrive as strings and are
converted to the field's type. Fields marked "ours" are not in the article: they are what we chose
where it says nothing.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, fields
from typing import Any, Protocol


class ContextSource(Protocol):
    def try_get_context(self, key: str) -> Any: ...


@dataclass(frozen=True)
class Parameters:
    # where: a fixed region and explicit zones, so synth never looks anything up (no credentials)
    account: str | None = None  # None: environment-agnostic account, resolved at deploy
    region: str = "us-east-1"  # DESIGN.md's region for the local twins
    availability_zones: tuple[str, ...] = ()  # empty: <region>a, <region>b, <region>c
    name_prefix: str = "tradewind"

    # network (article "Deployment topology")
    vpc_cidr: str = "10.0.0.0/16"
    az_count: int = 3
    public_subnet_mask: int = 24  # ours
    app_subnet_mask: int = 20  # ours: room for 40 web tasks plus the rest, one ENI each
    data_subnet_mask: int = 24  # ours
    nat_gateways: int = 3  # ours: one per zone, so losing a zone does not cut the others' egress

    # the edge (article "Web Tier")
    domain_name: str = ""  # required to deploy: the public name of the ALB (CloudFront's origin)
    certificate_arn: str = ""  # required to deploy: an ACM certificate for domain_name in `region`
    alb_ssl_policy: str = "RECOMMENDED_TLS"  # ELBSecurityPolicy-TLS13-1-2-2021-06: TLS 1.3 first
    alb_idle_timeout_seconds: int = 60  # the article: ALB default 60 s, above the SSE heartbeat
    sse_heartbeat_seconds: int = 15  # the web's HEARTBEAT_SECONDS; the idle timeout must exceed it
    stream_path: str = "/api/v1/stream"
    stream_stickiness_seconds: int = 3600  # the article: duration-based stickiness, 1-hour cookie
    static_path: str = "/static/*"
    #: optional public name of the CDN, with an ACM certificate in us-east-1 (CloudFront's rule);
    #: without them CloudFront uses its default name and certificate, whose TLS floor it fixes
    cdn_domain_name: str = ""
    cdn_certificate_arn: str = ""
    waf_rate_limit_per_ip: int = 3000  # ours: requests per 5 minutes per client IP

    # compute (article "Web Tier": 8 min / 40 max tasks, 2 vCPU / 4 GB each)
    task_cpu: int = 2048
    task_memory_mib: int = 4096
    web_min_tasks: int = 8
    web_max_tasks: int = 40
    web_processes: int = 2  # ours: uvicorn workers per task, one per vCPU
    worker_tasks: int = 2  # ours: consumer groups share the 12 partitions
    gateway_tasks: int = 2  # ours
    web_port: int = 8000
    gateway_health_port: int = 8001
    worker_health_port: int = 8002
    image_repository: str = "tradewind"  # ECR repository the image is pushed to (docs/deploy.md)
    image_tag: str = "latest"
    log_retention_days: int = 30  # ours

    # web autoscaling (article "Autoscaling policy")
    scale_out_cpu_percent: float = 60.0
    scale_out_connections_per_task: float = 3000.0
    scale_in_minutes: int = 5  # both metrics below their thresholds for this many consecutive minutes
    scale_out_step_tasks: int = 2  # ours
    scale_in_step_tasks: int = 1  # ours
    scale_out_cooldown_seconds: int = 60  # ours
    scale_in_cooldown_seconds: int = 300  # ours

    # Aurora PostgreSQL Serverless v2 (article "Data Architecture")
    aurora_min_acu: float = 0.5
    aurora_max_acu: float = 64.0
    aurora_readers: int = 2
    aurora_engine_version: str = "VER_16_9"  # ours: an AuroraPostgresEngineVersion member
    database_name: str = "tradewind"
    database_user: str = "tradewind"
    aurora_backup_days: int = 7  # ours

    # ElastiCache Redis, cluster mode (article: 3 primary shards, Multi-AZ)
    #: the article's cluster mode. The code's client (redis.asyncio.Redis.from_url) is not
    #: cluster-aware: until it is, deploy with -c redis_cluster_mode=false (one shard, its
    #: replicas in other zones, a primary endpoint). docs/deploy.md "Known gaps".
    redis_cluster_mode: bool = True
    redis_shards: int = 3
    redis_replicas_per_shard: int = 1  # ours: the least that makes Multi-AZ failover possible
    redis_node_type: str = "cache.r7g.large"  # ours
    redis_engine_version: str = "7.1"  # ours
    #: the code's redis_url is redis:// (no TLS setting exists): in-transit encryption would lock it out
    redis_transit_encryption: bool = False

    # MSK (article: 3 broker nodes in 3 AZs; topic table in topics.py)
    kafka_brokers: int = 3
    kafka_version: str = "3.7.x"  # ours
    kafka_broker_type: str = "kafka.m7g.large"  # ours
    kafka_volume_gib: int = 500  # ours
    kafka_plaintext_port: int = 9092  # MSK's plaintext listener; the code has no Kafka TLS setting

    # DynamoDB positions view, Kinesis market data (DESIGN.md names; article: 8 shards)
    positions_table: str = "tradewind-positions"
    positions_ttl_attribute: str = ""  # empty: no TTL (the code writes none)
    market_stream: str = "market-data"
    market_shards: int = 8
    market_retention_hours: int = 24  # ours: Kinesis' minimum; the audit archive keeps history

    # audit archive (article "Event Sourcing and Audit": Parquet, dt=/type=, 7-year retention)
    audit_bucket: str = "tradewind-audit"  # S3 names are global: pass your own to deploy
    audit_prefix: str = "events/"
    audit_retention_years: int = 7
    audit_lock_mode: str = "GOVERNANCE"  # COMPLIANCE for a regulated deployment: not even root may delete
    audit_intelligent_tiering_days: int = 30  # ours
    audit_glacier_days: int = 365  # ours; Glacier Instant Retrieval, so Athena still reads it
    glue_database: str = "tradewind_audit"
    glue_table: str = "events"
    audit_first_date: str = "2026-01-01"  # partition projection range start for dt

    # what to keep when the stack is deleted
    retain_data: bool = True  # databases, bucket, stream, table survive `cdk destroy`

    @property
    def zones(self) -> list[str]:
        if self.availability_zones:
            return list(self.availability_zones)[: self.az_count]
        return [f"{self.region}{s}" for s in "abcdef"[: self.az_count]]

    def validate(self) -> None:
        """Refuse combinations that would deploy but not work."""
        problems = []
        if self.alb_idle_timeout_seconds <= self.sse_heartbeat_seconds:
            problems.append(
                "alb_idle_timeout_seconds must exceed sse_heartbeat_seconds (the ALB would cut idle streams)"
            )
        if not 0 < self.web_min_tasks <= self.web_max_tasks:
            problems.append("need 0 < web_min_tasks <= web_max_tasks")
        if not 0.5 <= self.aurora_min_acu <= self.aurora_max_acu <= 256:
            problems.append("need 0.5 <= aurora_min_acu <= aurora_max_acu <= 256")
        if self.kafka_brokers % self.az_count:
            problems.append("MSK wants the broker count to be a multiple of the zone count")
        if self.audit_lock_mode not in ("GOVERNANCE", "COMPLIANCE"):
            problems.append("audit_lock_mode is GOVERNANCE or COMPLIANCE")
        if problems:
            raise ValueError("; ".join(problems))

    def require_edge(self) -> None:
        if not self.domain_name or not self.certificate_arn:
            raise ValueError(
                "set the public name and its certificate: -c domain_name=trade.example.com "
                "-c certificate_arn=arn:aws:acm:REGION:ACCOUNT:certificate/ID (docs/deploy.md)"
            )

    @classmethod
    def from_context(cls, node: ContextSource, **overrides: Any) -> Parameters:
        """The defaults, then CDK context of the same names, then ``overrides`` (tests)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = node.try_get_context(f.name)
            if raw is not None:
                values[f.name] = _coerce(f.type, raw, f.name)
        values.update(overrides)
        params = dataclasses.replace(cls(), **values)
        params.validate()
        return params


def _coerce(annotation: Any, raw: Any, name: str) -> Any:
    kind = str(annotation)
    if not isinstance(raw, str):
        return tuple(raw) if kind.startswith("tuple") else raw
    if kind == "bool":
        if raw.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"context {name}={raw!r}: expected true or false")
        return raw.lower() in ("true", "1")
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind.startswith("tuple"):
        return tuple(json.loads(raw)) if raw.startswith("[") else tuple(p for p in raw.split(",") if p)
    if kind.startswith("str | None"):
        return raw or None
    return raw
