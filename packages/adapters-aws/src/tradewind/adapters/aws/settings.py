"""Settings from the environment (prefix ``TRADEWIND_``), read when a container is built.

Profiles: ``memory`` (in-process twins, no servers) and ``local`` (real servers on 127.0.0.1
through exactly the code that targets AWS; only endpoints differ). ``aws`` is ``local`` with
AWS endpoints: set the hosts and leave ``aws_endpoint_url`` and ``kinesis_endpoint_url`` empty.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field, computed_field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRADEWIND_", extra="ignore")

    profile: Literal["memory", "local", "aws"] = "local"

    web_host: str = "127.0.0.1"
    web_port: int = 8000
    gateway_health_port: int = 8001
    worker_health_port: int = 8002

    pg_host: str = "127.0.0.1"
    pg_port: int = 5433
    pg_user: str = "tradewind"
    pg_password: str = "tradewind"
    pg_database: str = "tradewind"
    pg_pool_size: int = 10

    redis_host: str = "127.0.0.1"
    redis_port: int = 6380
    #: connections per process; a request waits up to redis_pool_wait_s for one, then answers 503
    redis_pool_size: int = 100
    redis_pool_wait_s: float = 2.0

    kafka_host: str = "127.0.0.1"
    kafka_port: int = 9092
    #: prefixed to every consumer group id; empty in production, unique per isolated test stack
    kafka_group_prefix: str = ""
    #: the most records one poll hands a batching consumer (ledger, read model, positions)
    consumer_batch_max: int = 200
    #: where a consumer group without committed offsets starts (``latest`` only for test stacks)
    kafka_new_group_offset: Literal["earliest", "latest"] = "earliest"

    moto_port: int = 5050
    #: DynamoDB and S3. Unset in ``local``/``memory``: moto on 127.0.0.1:``moto_port``; unset in ``aws``: AWS
    aws_endpoint_url: str | None = None
    #: Kinesis has a twin of its own, kinesalite (moto's slows as a stream grows; DESIGN.md "Benchmarks")
    kinesis_port: int = 4567
    #: unset in ``local``/``memory``: kinesalite on 127.0.0.1:``kinesis_port``; unset in ``aws``: AWS
    kinesis_endpoint_url: str | None = None
    aws_region: str = "us-east-1"
    aws_access_key_id: str = "testing"
    aws_secret_access_key: str = "testing"
    s3_bucket: str = "tradewind-audit"
    positions_table: str = "tradewind-positions"
    kinesis_stream: str = "market-data"
    #: the market-data stream's shards (the article's 8); isolated test stacks make smaller ones
    kinesis_shards: int = 8

    # risk: the platform's default limits (an admin overrides them per account at run time)
    max_order_notional: Decimal = Decimal("250000")
    max_concentration: Decimal = Decimal("0.20")
    max_position_notional: Decimal | None = None
    max_gross_exposure: Decimal | None = None
    max_open_orders: int | None = 1000
    fat_finger_pct: Decimal | None = Decimal("20")
    #: no platform default: a loss budget is a per-account decision (``tradewind risk limits``)
    daily_loss_limit: Decimal | None = None
    #: how often the worker takes session starts and checks the daily loss of accounts that hold positions
    session_sweep_s: float = 60.0

    # per account and web process: order requests per second, and the burst allowed above it
    order_rate_per_second: float = 250.0
    order_burst: int = 500
    amend_rate_per_second: float = 50.0
    amend_burst: int = 100
    cancel_rate_per_second: float = 50.0
    cancel_burst: int = 200

    # execution
    broker_ack_timeout: float = 5.0
    #: circuit breaker around every broker call (README "Broker circuit breaker"): this many
    #: calls in a row failing as unreachable open it (a refusal is an answer); while open,
    #: orders end broker_unavailable at once; after broker_breaker_reset_s one trial call goes through
    broker_breaker_failures: int = 5
    broker_breaker_reset_s: float = 10.0
    #: reconciliation against the venue (on start, on every reconnect, and every this many seconds)
    reconcile_interval_s: float = 30.0
    #: how long an open order may be unknown to the venue before reconciliation rejects it (its
    #: submit may still be on the wire): counted from the ledger's last change of the order
    reconcile_grace_s: float = 10.0
    paper_latency_ms: int = 20
    paper_slice_qty: int | None = None
    #: the in-process paper broker expires DAY orders when the replay moves to the next trading day
    #: (every 39 s of wall time at the default speed), as the venue does. The e2e stacks turn it off:
    #: their tests rest DAY orders across many replayed days and assert on how each one ends.
    paper_expire_day_orders: bool = True
    quote_interval_ms: int = 500  # the simulated/replayed quote source's tick

    # the paper venue over FIX 4.4 (issue 14; docs/decisions/0010-fix-venue.md)
    #: the gateway's broker: ``fix`` to the venue (``tradewind venue``, started by
    #: ``scripts/services``), or ``paper`` in the gateway's own process. Unset: ``fix`` on the
    #: ``local`` and ``aws`` profiles (the venue's book outlives the gateway), ``paper`` on
    #: ``memory`` (one process, no venue: the demo's broker is in process, always).
    broker: Literal["paper", "fix"] | None = None
    venue_host: str = "127.0.0.1"
    venue_port: int = 9878
    venue_health_port: int = 8003
    #: the venue's book (SQLite) and FIX store; the gateway's FIX store is gateway_fix_dir
    venue_dir: str = ".local/venue"
    gateway_fix_dir: str = ".local/gateway-fix"
    #: final orders stay in the venue's book this long (redelivered submits stay idempotent)
    venue_retention_days: float = 7.0
    venue_request_timeout: float = 5.0
    #: shares the venue finds at each side of the touch per quote (None: unlimited), so that a
    #: large order fills in parts over several quotes
    venue_liquidity: int | None = None
    #: the Redis channel the venue takes quotes and session announcements from (the live one)
    venue_quotes_channel: str = "tradewind:updates"

    # market data (issue 5; README "Market data")
    #: exchange feeds the gateway connects to besides the replay, comma-separated:
    #: ws://host:port (JSON over WebSocket), fix://host:port (tag=value over TCP), http://host:port (REST, polled)
    market_feeds: str = ""
    #: symbols asked of those feeds, comma-separated: empty = the tradable universe, * = all they have
    market_symbols: str = ""
    replay_enabled: bool = True
    #: real-history replay: market seconds replayed per wall-clock second (one tick every quote_interval_ms)
    replay_speed: float = 600.0
    replay_start: date = date(2022, 1, 3)
    rest_poll_interval_ms: int = 250
    #: the market-data consumer's name (checkpoints), under kafka_group_prefix like the consumer groups
    market_data_consumer: str = "market-data"
    #: where a consumer without checkpoints starts: LATEST = the instant it first started (persisted)
    kinesis_initial_position: Literal["LATEST", "TRIM_HORIZON"] = "LATEST"
    kinesis_poll_interval_ms: int = 200  # AWS allows 5 GetRecords per second per shard
    kinesis_shard_refresh_s: float = 5.0
    kinesis_linger_ms: int = 20

    # positions and audit (issue 6; README "Positions, account and audit")
    #: the audit archive flushes at this many buffered events, or when the oldest waited audit_max_age_s
    audit_max_events: int = 10_000
    audit_max_age_s: float = 30.0
    #: retention of the tables that grow with every order (the worker prunes every retention_interval_s)
    retention_interval_s: float = 600.0
    retention_outbox_s: float = 86_400.0  # sent outbox rows: a day
    retention_reports_s: float = 8 * 86_400.0  # settled venue reports: longer than Kafka's 7 days
    retention_stream_log_s: float = 8 * 86_400.0  # SSE resume horizon
    retention_dead_letters_s: float = 30 * 86_400.0  # dead letters kept for `tradewind dlq` (the archive keeps all)

    # dead letters (README "Dead letters"): a consumer's handler that fails (not for want of a
    # dependency) is retried in place this many times in all, then its message goes to dead_letter
    consumer_max_attempts: int = 5

    # the web tier's SSE fan-out (ADR 0015-sse-at-15k)
    #: web processes sharing the port (SO_REUSEPORT), each with one Redis subscription
    web_workers: int = Field(default=1, ge=1, le=64)
    #: after a write, a connection waits this long before the next (quotes conflate meanwhile); 0 = at once
    sse_flush_interval_ms: float = Field(default=0.0, ge=0, le=5_000)
    #: a write blocked this long (the client stopped reading) cuts the connection
    sse_stall_s: float = Field(default=10.0, gt=0)
    #: order/fill/position updates queued per connection before it is cut (it resumes by Last-Event-ID)
    sse_max_pending: int = Field(default=1_000, ge=1)
    #: token -> account lookups remembered per web process (LRU), and for how long
    auth_cache_size: int = Field(default=50_000, ge=1)
    auth_cache_ttl_s: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _local_aws_endpoint(self) -> Settings:
        if self.profile == "memory":
            self.broker = "paper"  # one process, no venue: the demo's broker is in process
        elif self.broker is None:
            self.broker = "fix"
        if self.profile != "aws":
            if self.aws_endpoint_url is None:
                self.aws_endpoint_url = f"http://127.0.0.1:{self.moto_port}"
            if self.kinesis_endpoint_url is None:
                self.kinesis_endpoint_url = f"http://127.0.0.1:{self.kinesis_port}"
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pg_dsn(self) -> str:
        return f"postgresql://{self.pg_user}:{self.pg_password}@{self.pg_host}:{self.pg_port}/{self.pg_database}"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.kafka_host}:{self.kafka_port}"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def redis_url(self) -> str:
        return f"redis://{self.redis_host}:{self.redis_port}/0"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def market_stream(self) -> str:
        """The Kinesis stream this stack uses. An isolated test stack (``kafka_group_prefix`` set)
        has one of its own, created on start, so that no run reads another's records or checkpoints."""
        return f"{self.kafka_group_prefix}{self.kinesis_stream}"
