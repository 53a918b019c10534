"""A relay process for the kill test: ``python relay_child.py <pg_dsn> <kafka_bootstrap>``."""

from __future__ import annotations

import asyncio
import sys

import asyncpg

from tradewind.adapters.aws.kafka.publisher import KafkaEventPublisher
from tradewind.adapters.aws.postgres.outbox import PgOutboxStore
from tradewind.application.outbox_relay import OutboxRelay


async def main(dsn: str, bootstrap: str) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    publisher = KafkaEventPublisher(bootstrap)
    await publisher.start()
    await OutboxRelay(PgOutboxStore(pool), publisher, batch_size=25).run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
