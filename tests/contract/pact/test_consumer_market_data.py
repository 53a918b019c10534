"""Consumer: the worker's market-data service, reading the Kinesis stream ``market-data``.

It relies on the gateway's normalized price updates. The example record is decoded by the
consumer's own codec and handed, as a stream batch, to the real ``MarketDataService`` with its
three observers (last price, quote fan-out, candles): none may fail, the quote must go out to the
live streams and the update must open a candle. Then the pact is written.
"""

from __future__ import annotations

import json
from typing import Any

from pact import Pact
from pact_market import expect_price_update
from pact_support import message_examples, write_pact

from tradewind.adapters.aws.kinesis.codec import decode
from tradewind.adapters.aws.memory.candles import MemoryCandleStore
from tradewind.adapters.aws.memory.notifier import MemoryNotifier
from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.memory.quotes import MemoryQuoteBroadcaster, MemoryQuoteWriter
from tradewind.application.market.observers import CandleObserver, LastPriceObserver, QuoteFanoutObserver
from tradewind.application.market.service import MarketDataService
from tradewind.application.ports import PriceBatch
from tradewind.domain.marketdata import Interval

CONSUMER = "tradewind-market-data"


def market_pact() -> Pact:
    return expect_price_update(Pact(CONSUMER, "tradewind-gateway"))


async def consume(body: bytes, metadata: dict[str, Any]) -> None:
    update = decode(body)
    assert metadata["partition_key"] == update.symbol  # one symbol's updates stay in one shard
    notifier, candles = MemoryNotifier(), MemoryCandleStore()
    quotes: list[dict[str, Any]] = []

    async def record(message: dict[str, Any]) -> None:
        quotes.append(message)

    notifier.listen(record)
    service = MarketDataService()
    service.register("last_price", LastPriceObserver(MemoryQuoteWriter(MemoryPriceCache())))
    service.register("quotes", QuoteFanoutObserver(MemoryQuoteBroadcaster(notifier)))
    candle_observer = CandleObserver(candles)
    await candle_observer.start()
    service.register("candles", candle_observer)
    await service.on_batch(PriceBatch("shardId-000000000000", [(1, update)]))
    assert not service.failures, service.failures
    assert [(q["kind"], q["data"]["symbol"], q["data"]["last"]) for q in quotes] == [("quote", "AAPL", "100.01")]
    [candle] = await candles.list_candles("AAPL", Interval.M1, limit=5)
    assert candle.open == candle.close == update.last and candle.volume == update.volume


async def test_the_market_data_service_uses_the_update_it_states_then_writes_the_pact() -> None:
    pact = market_pact()
    [(body, metadata)] = message_examples(pact).values()
    await consume(body, metadata)
    write_pact(pact)


async def test_an_unknown_extra_field_is_tolerated() -> None:
    [(body, metadata)] = message_examples(market_pact()).values()
    await consume(json.dumps(json.loads(body) | {"conditions": ["@", "T"]}).encode(), metadata)
