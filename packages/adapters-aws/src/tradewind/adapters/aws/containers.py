"""The two adapter containers, with the same provider names: ``AwsAdapters`` (real servers in the
``local`` and ``aws`` profiles) and ``MemoryAdapters`` (in-process twins). App containers depend
on either through ``providers.DependenciesContainer``; ``build_adapters`` picks by profile.

Clients are built synchronously as singletons and opened by ``lifecycle().start()``, so the
container stays a plain declarative graph and pools are closed in one place.
"""

from __future__ import annotations

import asyncpg
from dependency_injector import containers, providers
from redis.asyncio import Redis

from tradewind.adapters.aws.kafka.consumers import KafkaSubscriptions
from tradewind.adapters.aws.kafka.publisher import KafkaEventPublisher
from tradewind.adapters.aws.lifecycle import AwsLifecycle, MemoryLifecycle
from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.notifier import MemoryNotifier
from tradewind.adapters.aws.memory.orders import MemoryOrderLookup, MemoryUnitOfWork
from tradewind.adapters.aws.memory.outbox import MemoryOutboxStore
from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.memory.read_model import MemoryOrderReadModel
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.adapters.aws.postgres.orders import PgOrderLookup, PgUnitOfWork
from tradewind.adapters.aws.postgres.outbox import PgOutboxStore
from tradewind.adapters.aws.postgres.read_model import PgOrderReadModel
from tradewind.adapters.aws.redis.notifier import RedisNotifier, RedisUpdateListener
from tradewind.adapters.aws.redis.prices import RedisPriceCache
from tradewind.adapters.aws.settings import Settings


class AwsAdapters(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)

    pg_pool = providers.Singleton(asyncpg.create_pool, dsn=config.pg_dsn, min_size=1, max_size=config.pg_pool_size)
    redis = providers.Singleton(Redis.from_url, config.redis_url, decode_responses=False)
    publisher = providers.Singleton(KafkaEventPublisher, bootstrap_servers=config.kafka_bootstrap)
    subscriptions = providers.Factory(
        KafkaSubscriptions, bootstrap_servers=config.kafka_bootstrap, new_group_offset=config.kafka_new_group_offset
    )

    uow = providers.Factory(PgUnitOfWork, pool=pg_pool)
    read_model = providers.Singleton(PgOrderReadModel, pool=pg_pool)
    outbox = providers.Singleton(PgOutboxStore, pool=pg_pool)
    order_lookup = providers.Singleton(PgOrderLookup, pool=pg_pool)
    prices = providers.Singleton(RedisPriceCache, redis=redis)
    notifier = providers.Singleton(RedisNotifier, redis=redis)
    update_listener = providers.Singleton(RedisUpdateListener, redis=redis)

    lifecycle = providers.Singleton(
        AwsLifecycle, pool=pg_pool, redis=redis, publisher=publisher, update_listener=update_listener
    )


class MemoryAdapters(containers.DeclarativeContainer):
    config = providers.Configuration()

    store = providers.Singleton(MemoryStore)
    bus = providers.Singleton(MemoryBus)
    publisher = bus
    subscriptions = bus  # one in-process bus shared by every app of the demo

    uow = providers.Factory(MemoryUnitOfWork, store=store)
    read_model = providers.Singleton(MemoryOrderReadModel, store=store)
    outbox = providers.Singleton(MemoryOutboxStore, store=store)
    order_lookup = providers.Singleton(MemoryOrderLookup, store=store)
    prices = providers.Singleton(MemoryPriceCache)
    notifier = providers.Singleton(MemoryNotifier)
    update_listener = notifier

    lifecycle = providers.Singleton(MemoryLifecycle, bus=bus)


def build_adapters(settings: Settings) -> AwsAdapters | MemoryAdapters:
    adapters: AwsAdapters | MemoryAdapters = MemoryAdapters() if settings.profile == "memory" else AwsAdapters()
    adapters.config.from_dict(settings.model_dump(mode="python"))
    return adapters
