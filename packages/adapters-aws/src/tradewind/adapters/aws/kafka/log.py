"""A consumer group read with manual commits (aiokafka), for consumers that batch: the audit
archive buffers thousands of records and commits only after the file is written.

FastStream's per-message subscribers commit when a handler returns, and its batch subscribers
when a poll's batch returns; neither lets a consumer hold records across polls and commit
later. Here ``enable_auto_commit`` is off and nothing is committed but by ``commit``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from tradewind.application.audit.ports import LogRecord, RevokeHandler
from tradewind.application.audit.ports import TopicPartition as TP

log = logging.getLogger(__name__)


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, on_revoked: RevokeHandler) -> None:
        self._on_revoked = on_revoked

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self._on_revoked([(tp.topic, tp.partition) for tp in revoked])

    async def on_partitions_assigned(self, assigned: Any) -> None:
        log.info("partitions assigned", extra={"partitions": len(assigned)})


class KafkaPartitionedLog:
    def __init__(
        self,
        bootstrap_servers: str,
        topics: Sequence[str],
        group: str,
        *,
        new_group_offset: Literal["earliest", "latest"] = "earliest",
        client_id: str = "tradewind-audit",
        fetch_max_wait_ms: int = 500,  # the archive is not latency-bound: few idle fetches
    ) -> None:
        self._bootstrap = bootstrap_servers
        self.topics = list(topics)
        self.group = group
        self._new_group_offset = new_group_offset
        self._client_id = client_id
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self, on_revoked: RevokeHandler) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self.group,
            client_id=self._client_id,
            enable_auto_commit=False,
            auto_offset_reset=self._new_group_offset,
            fetch_max_wait_ms=self._fetch_max_wait_ms,
        )
        consumer.subscribe(self.topics, listener=_Listener(on_revoked))
        await consumer.start()
        self._consumer = consumer

    async def fetch(self, timeout: float, max_records: int) -> list[LogRecord]:
        assert self._consumer is not None, "start() first"
        batches = await self._consumer.getmany(timeout_ms=int(timeout * 1000), max_records=max_records)
        return [
            LogRecord(
                topic=tp.topic,
                partition=tp.partition,
                offset=message.offset,
                timestamp=datetime.fromtimestamp(message.timestamp / 1000, UTC),
                value=message.value or b"",
            )
            for tp, messages in batches.items()
            for message in messages
        ]

    async def commit(self, offsets: Mapping[TP, int]) -> None:
        assert self._consumer is not None, "start() first"
        await self._consumer.commit({TopicPartition(topic, partition): o for (topic, partition), o in offsets.items()})

    async def ready(self) -> bool:
        consumer = self._consumer
        if consumer is None or not consumer.assignment():
            return False
        for tp in consumer.assignment():
            await consumer.position(tp)
        return True

    async def stop(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            await consumer.stop()  # auto-commit is off: stopping commits nothing
