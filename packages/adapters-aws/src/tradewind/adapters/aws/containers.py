"""The two adapter containers, with the same provider names: ``AwsAdapters`` (real servers in the
``local`` and ``aws`` profiles) and ``MemoryAdapters`` (in-process twins). App containers depend
on either through ``providers.DependenciesContainer``; ``build_adapters`` picks by profile.

Clients are built synchronously as singletons and opened by ``lifecycle().start()``, so the
container stays a plain declarative graph and pools are closed in one place.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from tradewind.adapters.aws.audit.parquet import ParquetAuditArchive
from tradewind.adapters.aws.aws_clients import AwsClients
from tradewind.adapters.aws.dynamodb.positions import DynamoPositionStore
from tradewind.adapters.aws.kafka.consumers import KafkaSubscriptions
from tradewind.adapters.aws.kafka.log import KafkaPartitionedLog
from tradewind.adapters.aws.kafka.publisher import KafkaEventPublisher
from tradewind.adapters.aws.kinesis.checkpoints import PgCheckpointStore
from tradewind.adapters.aws.kinesis.clients import kinesis_client_factory
from tradewind.adapters.aws.kinesis.consumer import KinesisPriceConsumer
from tradewind.adapters.aws.kinesis.producer import KinesisPriceProducer
from tradewind.adapters.aws.lifecycle import AwsLifecycle, MemoryLifecycle
from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.candles import MemoryCandleStore
from tradewind.adapters.aws.memory.dead_letters import MemoryDeadLetterStore
from tradewind.adapters.aws.memory.kinesis import MemoryCheckpointStore, MemoryKinesis
from tradewind.adapters.aws.memory.log import MemoryLogOffsets, MemoryPartitionedLog
from tradewind.adapters.aws.memory.notifier import MemoryNotifier
from tradewind.adapters.aws.memory.objects import MemoryObjectStore
from tradewind.adapters.aws.memory.orders import MemoryLedgerOpenOrders, MemoryOrderLookup, MemoryUnitOfWork
from tradewind.adapters.aws.memory.outbox import MemoryOutboxStore
from tradewind.adapters.aws.memory.positions import MemoryPositionStore
from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.memory.quotes import MemoryQuoteBroadcaster, MemoryQuoteWriter
from tradewind.adapters.aws.memory.rate_limiter import MemoryRateLimiter
from tradewind.adapters.aws.memory.read_model import MemoryOrderReadModel
from tradewind.adapters.aws.memory.retention import MemoryRetention
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.adapters.aws.postgres.candles import PgCandleStore
from tradewind.adapters.aws.postgres.dead_letters import PgDeadLetterStore
from tradewind.adapters.aws.postgres.orders import PgLedgerOpenOrders, PgOrderLookup, PgUnitOfWork
from tradewind.adapters.aws.postgres.outbox import PgOutboxStore
from tradewind.adapters.aws.postgres.pool import create_pool
from tradewind.adapters.aws.postgres.read_model import PgOrderReadModel
from tradewind.adapters.aws.postgres.retention import PgRetention
from tradewind.adapters.aws.redis.client import redis_client
from tradewind.adapters.aws.redis.notifier import RedisNotifier, RedisUpdateListener
from tradewind.adapters.aws.redis.prices import RedisPriceCache
from tradewind.adapters.aws.redis.quotes import RedisQuoteBroadcaster, RedisQuoteWriter
from tradewind.adapters.aws.redis.rate_limiter import RedisRateLimiter
from tradewind.adapters.aws.s3.objects import S3ObjectStore
from tradewind.adapters.aws.settings import Settings


def _ms(value: int) -> float:
    return value / 1000


def _prefixed(prefix: str, name: str) -> str:
    return f"{prefix}{name}"


def _one_stream(name: str, shards: int) -> dict[str, int]:
    return {name: shards}


class AwsAdapters(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)

    pg_pool = providers.Singleton(create_pool, dsn=config.pg_dsn, min_size=1, max_size=config.pg_pool_size)
    redis = providers.Singleton(redis_client, config.redis_url, config.redis_pool_size, config.redis_pool_wait_s)
    publisher = providers.Singleton(KafkaEventPublisher, bootstrap_servers=config.kafka_bootstrap)
    subscriptions = providers.Factory(
        KafkaSubscriptions,
        bootstrap_servers=config.kafka_bootstrap,
        dead_letters=publisher,
        max_attempts=config.consumer_max_attempts,
        new_group_offset=config.kafka_new_group_offset,
    )
    dead_letters = providers.Singleton(PgDeadLetterStore, pool=pg_pool)

    uow = providers.Factory(PgUnitOfWork, pool=pg_pool)
    read_model = providers.Singleton(PgOrderReadModel, pool=pg_pool)
    outbox = providers.Singleton(PgOutboxStore, pool=pg_pool)
    order_lookup = providers.Singleton(PgOrderLookup, pool=pg_pool)
    ledger_open_orders = providers.Singleton(PgLedgerOpenOrders, pool=pg_pool)
    retention = providers.Singleton(
        PgRetention,
        pool=pg_pool,
        outbox_s=config.retention_outbox_s,
        reports_s=config.retention_reports_s,
        log_s=config.retention_stream_log_s,
        dead_letters_s=config.retention_dead_letters_s,
    )
    prices = providers.Singleton(RedisPriceCache, redis=redis)
    notifier = providers.Singleton(RedisNotifier, redis=redis)
    rate_limiter = providers.Singleton(RedisRateLimiter, redis=redis)
    update_listener = providers.Singleton(RedisUpdateListener, redis=redis)

    # market data (issue 5): Kinesis stream, checkpoints and candles in PostgreSQL, batched Redis writes
    kinesis_client = providers.Singleton(
        kinesis_client_factory,
        endpoint_url=config.kinesis_endpoint_url,
        region=config.aws_region,
        access_key_id=config.aws_access_key_id,
        secret_access_key=config.aws_secret_access_key,
    )
    price_producer = providers.Singleton(
        KinesisPriceProducer,
        client_factory=kinesis_client,
        stream=config.market_stream,
        linger=providers.Callable(_ms, config.kinesis_linger_ms),
    )
    checkpoints = providers.Singleton(PgCheckpointStore, pool=pg_pool)
    price_consumer = providers.Factory(
        KinesisPriceConsumer,
        client_factory=kinesis_client,
        stream=config.market_stream,
        checkpoints=checkpoints,
        consumer=providers.Callable(_prefixed, config.kafka_group_prefix, config.market_data_consumer),
        poll_interval=providers.Callable(_ms, config.kinesis_poll_interval_ms),
        shard_refresh=config.kinesis_shard_refresh_s,
        initial_position=config.kinesis_initial_position,
    )
    candles = providers.Singleton(PgCandleStore, pool=pg_pool, source=config.market_stream)
    quote_writer = providers.Singleton(RedisQuoteWriter, redis=redis)
    quote_broadcaster = providers.Singleton(RedisQuoteBroadcaster, redis=redis)

    # positions and audit (issue 6): DynamoDB view, Parquet on S3, Kafka read with manual commits
    aws_clients = providers.Singleton(
        AwsClients,
        region=config.aws_region,
        access_key_id=config.aws_access_key_id,
        secret_access_key=config.aws_secret_access_key,
        endpoint_url=config.aws_endpoint_url,
    )
    positions = providers.Singleton(DynamoPositionStore, clients=aws_clients, table=config.positions_table)
    audit_objects = providers.Singleton(S3ObjectStore, clients=aws_clients, bucket=config.s3_bucket)
    audit_archive = providers.Singleton(ParquetAuditArchive, objects=audit_objects)
    audit_log = providers.Factory(
        KafkaPartitionedLog, bootstrap_servers=config.kafka_bootstrap, new_group_offset=config.kafka_new_group_offset
    )

    lifecycle = providers.Singleton(
        AwsLifecycle,
        pool=pg_pool,
        redis=redis,
        publisher=publisher,
        update_listener=update_listener,
        aws_clients=aws_clients,
    )


class MemoryAdapters(containers.DeclarativeContainer):
    config = providers.Configuration()

    store = providers.Singleton(MemoryStore)
    bus = providers.Singleton(MemoryBus)
    publisher = bus
    subscriptions = bus  # one in-process bus shared by every app of the demo
    dead_letters = providers.Singleton(MemoryDeadLetterStore)

    uow = providers.Factory(MemoryUnitOfWork, store=store)
    read_model = providers.Singleton(MemoryOrderReadModel, store=store)
    outbox = providers.Singleton(MemoryOutboxStore, store=store)
    order_lookup = providers.Singleton(MemoryOrderLookup, store=store)
    ledger_open_orders = providers.Singleton(MemoryLedgerOpenOrders, store=store)
    retention = providers.Singleton(MemoryRetention)
    prices = providers.Singleton(MemoryPriceCache)
    notifier = providers.Singleton(MemoryNotifier)
    rate_limiter = providers.Singleton(MemoryRateLimiter)
    update_listener = notifier

    # market data: the same producer and consumer code over the in-process Kinesis twin
    kinesis = providers.Singleton(
        MemoryKinesis, streams=providers.Callable(_one_stream, config.market_stream, 2), long_poll=0.5
    )
    kinesis_client = providers.Singleton(lambda kinesis: kinesis.client(), kinesis)
    price_producer = providers.Singleton(
        KinesisPriceProducer, client_factory=kinesis_client, stream=config.market_stream, linger=0.0
    )
    checkpoints = providers.Singleton(MemoryCheckpointStore)
    price_consumer = providers.Factory(
        KinesisPriceConsumer,
        client_factory=kinesis_client,
        stream=config.market_stream,
        checkpoints=checkpoints,
        consumer=providers.Callable(_prefixed, config.kafka_group_prefix, config.market_data_consumer),
        poll_interval=0.0,
        shard_refresh=config.kinesis_shard_refresh_s,
        initial_position=config.kinesis_initial_position,
    )
    candles = providers.Singleton(MemoryCandleStore, source=config.market_stream)
    quote_writer = providers.Singleton(MemoryQuoteWriter, cache=prices)
    quote_broadcaster = providers.Singleton(MemoryQuoteBroadcaster, notifier=notifier)

    # positions and audit (issue 6): the same archive code over an in-memory object store
    positions = providers.Singleton(MemoryPositionStore)
    audit_objects = providers.Singleton(MemoryObjectStore)
    audit_archive = providers.Singleton(ParquetAuditArchive, objects=audit_objects)
    log_offsets = providers.Singleton(MemoryLogOffsets)
    audit_log = providers.Factory(MemoryPartitionedLog, bus=bus, offsets=log_offsets)

    lifecycle = providers.Singleton(MemoryLifecycle, bus=bus)


def build_adapters(settings: Settings) -> AwsAdapters | MemoryAdapters:
    adapters: AwsAdapters | MemoryAdapters = MemoryAdapters() if settings.profile == "memory" else AwsAdapters()
    adapters.config.from_dict(settings.model_dump(mode="python"))
    return adapters
