"""The worker's market-data side: the Kinesis consumer feeding the market-data service, whose
observers keep the last-price cache (the risk check's marks and the quotes endpoint), fan every
update out to the web processes as ``quote`` events, and build the candles.

``ready`` once every shard has a reader and a first batch was handled: before that the price
cache may be empty and orders would be refused for want of a price.
"""

from __future__ import annotations

from typing import Any

from tradewind.adapters.aws.kinesis.clients import ensure_stream
from tradewind.application.market.observers import CandleObserver, LastPriceObserver, QuoteFanoutObserver
from tradewind.application.market.service import MarketDataService


class WorkerMarketData:
    def __init__(self, adapters: Any) -> None:
        self._adapters = adapters
        self.service = MarketDataService()
        self.candles = CandleObserver(adapters.candles())
        self.service.register("last_price", LastPriceObserver(adapters.quote_writer()))  # risk marks, quotes
        self.service.register("quotes", QuoteFanoutObserver(adapters.quote_broadcaster()))  # SSE
        self.service.register("candles", self.candles)
        self.consumer = adapters.price_consumer()

    async def start(self) -> None:
        if self._adapters.config.kafka_group_prefix():  # an isolated test stack: a stream of its own
            await ensure_stream(self._adapters.kinesis_client(), self._adapters.config.market_stream())
        await self.candles.start()
        await self.consumer.start(self.service.on_batch)

    async def ready(self) -> bool:
        return bool(await self.consumer.ready()) and self.service.batches > 0

    async def stop(self) -> None:
        await self.consumer.stop()
