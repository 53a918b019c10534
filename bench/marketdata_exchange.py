"""A load-generating WebSocket exchange for ``marketdata_bench.py``, run as its own process so
its CPU is not the pipeline's. Serves the JSON ticker format on 127.0.0.1 and obeys one JSON
command per stdin line: ``{"rate": R, "symbols": [...], "seconds": S}`` publishes R updates/s
round-robin over the symbols for S seconds (prices from a random walk: a load test, not a
replay), each stamped with the wall clock when sent, then prints ``done <count>``. Between
commands it trickles 20 updates/s so the gateway sees a live feed.

    python bench/marketdata_exchange.py PORT
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from decimal import Decimal

from tradewind.adapters.broker.feeds.simulators.ws_exchange import WebSocketExchange
from tradewind.domain.marketdata import PriceUpdate

TRICKLE = ["AAPL", "MSFT"]


class Walk:
    def __init__(self) -> None:
        self._cents: dict[str, int] = {}

    def update(self, symbol: str) -> PriceUpdate:
        cents = self._cents.get(symbol, 700_000 + random.randrange(90_000))  # 7000-7900: no replay price
        cents += random.choice((-1, 0, 1))
        self._cents[symbol] = cents
        last = Decimal(cents) / 100
        return PriceUpdate(
            symbol, last - Decimal("0.01"), last + Decimal("0.01"), last, 100, int(time.time() * 1000), "X"
        )


async def publish(exchange: WebSocketExchange, walk: Walk, rate: float, symbols: list[str], seconds: float) -> int:
    sent, n = 0, 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        due = int(elapsed * rate) - sent
        for _ in range(due):
            exchange.publish(walk.update(symbols[n % len(symbols)]))
            n += 1
        sent += max(due, 0)
        await asyncio.sleep(0.002)  # the generator's tick: ~2 ms bursts at the requested rate
    return sent


async def main(port: int) -> None:
    exchange = WebSocketExchange(port=port)
    await exchange.start()
    walk = Walk()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print(f"ready {exchange.port}", flush=True)
    trickle = asyncio.create_task(publish(exchange, walk, 20, TRICKLE, 1e9))
    while line := await reader.readline():
        command = json.loads(line)
        trickle.cancel()
        count = await publish(exchange, walk, command["rate"], command["symbols"], command["seconds"])
        print(f"done {count}", flush=True)
        trickle = asyncio.create_task(publish(exchange, walk, 20, TRICKLE, 1e9))
    trickle.cancel()
    await exchange.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
