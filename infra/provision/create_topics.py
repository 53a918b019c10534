"""Create the Kafka topics of ``tradewind_infra.topics`` on the cluster, idempotently.

Runs in the provisioning task (the application image, which has aiokafka), before
``tradewind infra init``. The table arrives as JSON in ``TRADEWIND_KAFKA_TOPICS`` (set by the
stack from the one table in infra), the brokers as the code's own settings:
``TRADEWIND_KAFKA_HOST`` and ``TRADEWIND_KAFKA_PORT``, joined the way ``Settings.kafka_bootstrap``
joins them. A topic that exists keeps its partitions (Kafka cannot take any away; adding them
would move keys between partitions and break per-account order), and gets its configs
(min.insync.replicas, retention.ms) set to the table's; AlterConfigs replaces a topic's whole
config, and these two are all the table sets.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping
from typing import Any


def bootstrap(env: Mapping[str, str]) -> str:
    return f"{env['TRADEWIND_KAFKA_HOST']}:{env.get('TRADEWIND_KAFKA_PORT', '9092')}"


def table(env: Mapping[str, str]) -> list[dict[str, Any]]:
    rows = json.loads(env["TRADEWIND_KAFKA_TOPICS"])
    for row in rows:
        missing = {"name", "partitions", "replication", "min_insync", "retention_ms"} - set(row)
        if missing:
            raise ValueError(f"topic row {row} lacks {sorted(missing)}")
    return list(rows)


def configs(row: Mapping[str, Any]) -> dict[str, str]:
    return {"min.insync.replicas": str(row["min_insync"]), "retention.ms": str(row["retention_ms"])}


def plan(rows: list[dict[str, Any]], existing: set[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(topics to create, topics to reconfigure)."""
    return [r for r in rows if r["name"] not in existing], [r for r in rows if r["name"] in existing]


async def main(env: Mapping[str, str]) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    rows = table(env)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap(env))
    await admin.start()
    try:
        create, update = plan(rows, set(await admin.list_topics()))
        if create:
            await admin.create_topics(
                [
                    NewTopic(
                        name=r["name"],
                        num_partitions=r["partitions"],
                        replication_factor=r["replication"],
                        topic_configs=configs(r),
                    )
                    for r in create
                ]
            )
        if update:
            await admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, r["name"], configs=configs(r)) for r in update]
            )
        print(f"kafka: {len(create)} topic(s) created, {len(update)} reconfigured, {len(rows)} in the table")
    finally:
        await admin.close()


if __name__ == "__main__":
    try:
        asyncio.run(main(os.environ))
    except Exception as exc:  # one line for the task's log, and a non-zero exit for ECS
        print(f"create_topics: {exc!r}", file=sys.stderr)
        raise SystemExit(1) from exc
