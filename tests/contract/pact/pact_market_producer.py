"""Producers of market data, built with their own code end to end.

The gateway's side: an exchange frame through the real feed normalizer (``normalize_ws_json``)
into the real ``KinesisPriceProducer`` over the stream's in-memory twin, read back as the record
Kinesis stores (data and partition key). The worker's side: the market-data service's
``QuoteFanoutObserver`` publishing ``quote`` updates through the production
``RedisQuoteBroadcaster`` (over a recording transport).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pact_market import PRICE_UPDATE
from pact_update_producer import RecordingRedis, _message
from pact_updates import QUOTE_UPDATE

from tradewind.adapters.aws.kinesis.producer import KinesisPriceProducer
from tradewind.adapters.aws.memory.kinesis import MemoryKinesis
from tradewind.adapters.aws.redis.quotes import RedisQuoteBroadcaster
from tradewind.adapters.broker.feeds.ws_json import normalize_ws_json
from tradewind.application.market.observers import QuoteFanoutObserver
from tradewind.application.ports import PriceBatch
from tradewind.domain.clock import utcnow
from tradewind.domain.marketdata.price_update import PriceUpdate

STREAM = "market-data"


async def produce_price_record() -> dict[str, dict[str, Any]]:
    frame = {
        "type": "ticker",
        "product_id": "AAPL",
        "best_bid": "100.00",
        "best_ask": "100.02",
        "price": "100.01",
        "last_size": "100",
        "time": utcnow().isoformat(),
    }
    update = normalize_ws_json(json.dumps(frame))
    assert update is not None
    kinesis = MemoryKinesis(streams={STREAM: 1})
    producer = KinesisPriceProducer(kinesis.client(), STREAM, linger=0.0)
    await producer.start()
    try:
        await producer.put(update)
        await producer.flush()
    finally:
        await producer.stop()
    [shard] = (await kinesis.list_shards(StreamName=STREAM))["Shards"]
    iterator = await kinesis.get_shard_iterator(STREAM, shard["ShardId"], "TRIM_HORIZON")
    [record] = (await kinesis.get_records(iterator["ShardIterator"]))["Records"]
    return {
        PRICE_UPDATE: {
            "contents": record["Data"],
            "metadata": {"stream": STREAM, "partition_key": record["PartitionKey"]},
            "content_type": "application/json",
        }
    }


class RecordingPipelineRedis(RecordingRedis):
    """``RecordingRedis`` with the pipeline the broadcaster batches its publishes in."""

    def pipeline(self, transaction: bool = False) -> RecordingPipelineRedis._Pipeline:
        return RecordingPipelineRedis._Pipeline(self)

    class _Pipeline:
        def __init__(self, redis: RecordingRedis) -> None:
            self._redis, self._queued = redis, []  # type: list[tuple[str, str]]

        async def __aenter__(self) -> RecordingPipelineRedis._Pipeline:
            return self

        async def __aexit__(self, *exc: object) -> None:
            return None

        def publish(self, channel: str, data: str) -> None:
            self._queued.append((channel, data))

        async def execute(self) -> list[int]:
            self._redis.published.extend(self._queued)
            return [1] * len(self._queued)


async def produce_quote_updates() -> dict[str, dict[str, Any]]:
    redis = RecordingPipelineRedis()
    observer = QuoteFanoutObserver(RedisQuoteBroadcaster(redis))  # type: ignore[arg-type]
    now_ms = int(utcnow().timestamp() * 1000)
    update = PriceUpdate("AAPL", Decimal("100.00"), Decimal("100.02"), Decimal("100.01"), 100, now_ms, "XNAS")
    await observer(PriceBatch("shardId-000000000000", [(1, update)]))
    [quote] = redis.of_kind("quote")
    return {QUOTE_UPDATE: _message(quote)}
