"""Market data throughput and latency (issue 5). Prints numbers; asserts nothing.

    scripts/services up && uv run tradewind infra init
    uv run python bench/marketdata_bench.py --seconds 20

1. The ceiling: the local Kinesis twin alone (kinesalite since issue 12; moto before), same run:
   put_records in batches of 500, and get_records from one client (records/s).
2. ``local`` profile, processes as deployed (``tradewind gateway``, ``worker``, ``web``) on a
   fresh stream of 2 shards: a WebSocket exchange (its own process) -> the gateway's feed and
   normalizer -> Kinesis (kinesalite) -> the worker's market-data service -> Redis (last price +
   fan-out) -> the web's SSE stream. Sustained updates/s counted at Redis (a pub/sub listener)
   and at one SSE client, offered above the 5,000/s target; then p50/p99 feed -> Redis and
   feed -> SSE latency at 1,000 updates/s across 500 symbols.
3. ``memory`` profile, in this process: exchange (own process) -> feed -> producer -> in-process
   Kinesis twin -> consumer -> market-data service -> the web's StreamHub connection (the SSE
   generator's source), same two runs.

Latency is the receiver's wall clock minus the exchange's send stamp (``timestamp_ms``, ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis
from stack import TRADEWIND, free_port, running_stack

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.kinesis.clients import kinesis_client_factory, wait_active
from tradewind.adapters.aws.redis.notifier import CHANNEL
from tradewind.adapters.aws.settings import Settings
from tradewind.adapters.broker.feeds.simulators.ws_exchange import ticker_message
from tradewind.adapters.broker.feeds.ws_json import WebSocketJsonFeed, normalize_ws_json
from tradewind.application.market.ingest import PriceIngest
from tradewind.apps.web.stream.hub import StreamHub
from tradewind.apps.worker.market_data import WorkerMarketData
from tradewind.domain.instruments import SYMBOLS
from tradewind.domain.marketdata import PriceUpdate

HERE = Path(__file__).resolve().parent
UNIVERSE = sorted(SYMBOLS)  # what the SSE endpoint serves
MANY = UNIVERSE + [f"S{n:03d}" for n in range(500 - len(UNIVERSE))]  # 500 symbols


def ours(data: dict[str, Any]) -> bool:
    """A bench quote: the bench exchange prices everything in 7000-7999 (no replay does)."""
    return str(data.get("last", "")).startswith("7")


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


class Meter:
    def __init__(self) -> None:
        self.arrivals: list[float] = []  # monotonic times
        self.latency_ms: list[float] = []

    def hit(self, data: dict[str, Any]) -> None:
        self.hit_ms(int(datetime.fromisoformat(str(data["ts"]).replace("Z", "+00:00")).timestamp() * 1000))

    def hit_ms(self, sent_ms: int) -> None:
        self.arrivals.append(time.monotonic())
        self.latency_ms.append(time.time() * 1000 - sent_ms)

    def reset(self) -> None:
        self.arrivals, self.latency_ms = [], []

    def rate(self, start: float, end: float) -> float:
        return sum(1 for t in self.arrivals if start <= t < end) / (end - start)


class Exchange:
    """The load-generating exchange process (``marketdata_exchange.py``)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "marketdata_exchange.py"), str(self.port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().startswith("ready")

    async def run(self, rate: float, symbols: list[str], seconds: float) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"rate": rate, "symbols": symbols, "seconds": seconds}) + "\n")
        self.proc.stdin.flush()
        reply = await asyncio.to_thread(self.proc.stdout.readline)
        return int(reply.split()[1])

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


async def measured(
    exchange: Exchange, meters: dict[str, Meter], rate: float, symbols: list[str], seconds: float
) -> tuple[int, float, float]:
    """Run the exchange; the steady window skips the first 2 s. Returns once the backlog drained
    (nothing new arrived for 2 s, at most 60 s), so the next run starts from an empty pipeline."""
    for m in meters.values():
        m.reset()
    start = time.monotonic()
    sent = await exchange.run(rate, symbols, seconds)
    end = time.monotonic()
    deadline = end + 60
    while time.monotonic() < deadline:
        last = max((m.arrivals[-1] for m in meters.values() if m.arrivals), default=end)
        if time.monotonic() - last > 2.0:
            break
        await asyncio.sleep(0.2)  # the bench's own drain check
    return sent, start + min(2.0, seconds / 4), end


def report(title: str, meters: dict[str, Meter], sent: int, start: float, end: float, offered: float) -> None:
    print(f"  {title}: offered {offered:,.0f}/s, sent {sent:,}")
    for name, m in meters.items():
        print(
            f"    {name:28} sustained {m.rate(start, end):8,.0f} updates/s   delivered {len(m.arrivals):,}   "
            f"latency p50 {pct(m.latency_ms, 0.5):7.1f} ms  p99 {pct(m.latency_ms, 0.99):7.1f} ms"
        )


# -- 1. the ceiling ------------------------------------------------------------------------


def kinesis(settings: Settings) -> Any:
    return kinesis_client_factory(
        endpoint_url=settings.kinesis_endpoint_url,
        region=settings.aws_region,
        access_key_id=settings.aws_access_key_id,
        secret_access_key=settings.aws_secret_access_key,
    )


async def stream_ceiling(settings: Settings, seconds: float, stream: str | None = None) -> tuple[float, float]:
    """put_records x500 then get_records from one client, on a fresh stream (or on ``stream``, as
    long as the run left it: moto's put slowed as a shard grew; kinesalite's should not)."""
    open_client = kinesis(settings)
    fresh = stream is None
    stream = stream or f"bench-ceiling-{uuid.uuid4().hex[:6]}"
    record = json.dumps({"symbol": "AAPL", "bid": "1.01", "ask": "1.03", "last": "1.02", "volume": 100,
                         "timestamp_ms": 1_700_000_000_000, "exchange": "X"}).encode()  # fmt: skip
    async with open_client() as client:
        if fresh:
            await client.create_stream(StreamName=stream, ShardCount=2)
            await wait_active(client, stream)  # CREATING for a moment on kinesalite, as on AWS
        try:
            put, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                batch = [{"Data": record, "PartitionKey": f"S{(put + i) % 500:03d}"} for i in range(500)]
                await client.put_records(StreamName=stream, Records=batch)
                put += 500
            put_rate = put / (time.perf_counter() - start)
            got, start = 0, time.perf_counter()
            for shard in (await client.list_shards(StreamName=stream))["Shards"]:
                it = (
                    await client.get_shard_iterator(
                        StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                    )
                )["ShardIterator"]
                while True:
                    response = await client.get_records(ShardIterator=it, Limit=10_000)
                    got += len(response["Records"])
                    it = response["NextShardIterator"]
                    if not response["Records"]:
                        break
            get_rate = got / (time.perf_counter() - start)
        finally:
            if fresh:
                await client.delete_stream(StreamName=stream)
    return put_rate, get_rate


# -- 2. local profile ----------------------------------------------------------------------


async def redis_listener(settings: Settings, meter: Meter) -> None:
    redis = Redis.from_url(settings.redis_url)
    async with redis.pubsub() as pubsub:
        await pubsub.subscribe(CHANNEL)
        async for message in pubsub.listen():
            if message.get("type") == "message":
                payload = json.loads(message["data"])
                if payload.get("kind") == "quote" and ours(payload["data"]):
                    meter.hit(payload["data"])


async def sse_client(base: str, token: str, meter: Meter, connected: asyncio.Event) -> None:
    async with (
        httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10, read=None)) as client,
        client.stream(
            "GET", f"/api/v1/stream?symbols={','.join(UNIVERSE)}", headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        connected.set()
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "quote":
                data = json.loads(line[5:])
                if ours(data):
                    meter.hit(data)


async def local_profile(settings: Settings, exchange: Exchange, args: argparse.Namespace, ceiling: float) -> None:
    env = {
        "TRADEWIND_MARKET_FEEDS": f"ws://127.0.0.1:{exchange.port}",
        "TRADEWIND_MARKET_SYMBOLS": "*",
        "TRADEWIND_REPLAY_ENABLED": "false",
        "TRADEWIND_KINESIS_POLL_INTERVAL_MS": str(args.poll_ms),
    }
    stream = None
    try:
        with running_stack(env, Path(".local/bench-logs/marketdata")) as (base, stack_env):
            # the stack is isolated (its group prefix): its processes created a stream of its own
            stream = Settings(kafka_group_prefix=stack_env["TRADEWIND_KAFKA_GROUP_PREFIX"]).market_stream
            created = await asyncio.to_thread(
                subprocess.run,
                [TRADEWIND, "users", "create", f"mdbench-{uuid.uuid4().hex[:6]}"],
                env=stack_env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            token = created.stdout.strip().splitlines()[-1]
            meters = {"feed -> Redis (pub/sub)": Meter(), "feed -> SSE client (20 sym)": Meter()}
            connected = asyncio.Event()
            tasks = [
                asyncio.create_task(redis_listener(settings, meters["feed -> Redis (pub/sub)"])),
                asyncio.create_task(sse_client(base, token, meters["feed -> SSE client (20 sym)"], connected)),
            ]
            await asyncio.wait_for(connected.wait(), 30)
            sent, start, end = await measured(exchange, meters, args.latency_rate, MANY, args.seconds)
            report(f"latency, {len(MANY)} symbols", meters, sent, start, end, args.latency_rate)
            sent, start, end = await measured(exchange, meters, args.rate, UNIVERSE, args.seconds)
            report("throughput, 20 symbols", meters, sent, start, end, args.rate)
            redis_rate = meters["feed -> Redis (pub/sub)"].rate(start, end)
            for task in tasks:
                task.cancel()
        grown, _ = await stream_ceiling(settings, min(args.seconds, 10), stream)
        print(f"    = {redis_rate / ceiling:.0%} of the twin's put ceiling on a fresh stream ({ceiling:,.0f}/s),")
        print(f"      {redis_rate / grown:.0%} of its ceiling on the bench stream as the run left it ({grown:,.0f}/s)")
    finally:
        if stream is not None:
            async with kinesis(settings)() as client:
                await client.delete_stream(StreamName=stream)


# -- 3. memory profile ---------------------------------------------------------------------


async def memory_profile(exchange: Exchange, args: argparse.Namespace) -> None:
    settings = Settings(profile="memory", kinesis_shard_refresh_s=60)
    adapters: Any = build_adapters(settings)
    producer = adapters.price_producer()
    market = WorkerMarketData(adapters)
    await producer.start()
    await market.start()
    hub = StreamHub(adapters.update_listener())
    conn = hub.connect("bench", frozenset(UNIVERSE))
    to_hub, to_cache = Meter(), Meter()
    meters = {"feed -> StreamHub conn (20 sym)": to_hub, "feed -> service (all)": to_cache}

    async def drain() -> None:  # what the SSE generator does, minus HTTP
        while True:
            await conn.wake.wait()
            conn.wake.clear()
            quotes, conn.quotes = conn.quotes, {}
            for data in quotes.values():
                if ours(data):
                    to_hub.hit(data)

    async def count_service(batch: Any) -> None:
        for _, update in batch.records:
            if update.last >= 7000:
                to_cache.hit_ms(update.timestamp_ms)

    market.service.register("bench_meter", count_service)
    stop = asyncio.Event()
    feed = WebSocketJsonFeed(f"ws://127.0.0.1:{exchange.port}", [])
    tasks = [asyncio.create_task(drain()), asyncio.create_task(feed.run(PriceIngest([("stream", producer.put)]), stop))]
    await asyncio.sleep(1.0)  # the feed connects
    sent, start, end = await measured(exchange, meters, args.latency_rate, MANY, args.seconds)
    report(f"latency, {len(MANY)} symbols", meters, sent, start, end, args.latency_rate)
    cpu = time.process_time()
    sent, start, end = await measured(exchange, meters, args.memory_rate, UNIVERSE, args.seconds)
    cpu = time.process_time() - cpu
    report("throughput, 20 symbols", meters, sent, start, end, args.memory_rate)
    print(f"    this process: {len(to_cache.arrivals) / cpu:,.0f} updates per CPU-second (feed to StreamHub)")
    direct = await in_process(producer, market, 40_000)
    print(f"    no sockets, pre-encoded frames: {direct[0]:,.0f} updates/s wall, {direct[1]:,.0f} per CPU-second")
    print(f"    feed stats {dict(feed.stats)}; observer failures {dict(market.service.failures)}")
    stop.set()
    for task in tasks:
        task.cancel()
    await market.stop()
    await producer.stop()


async def in_process(producer: Any, market: WorkerMarketData, n: int) -> tuple[float, float]:
    """The pipeline alone: n exchange frames through the normalizer, producer, in-process stream,
    consumer and service, no exchange process competing for the CPU."""
    walk = [
        ticker_message(PriceUpdate(MANY[i % len(MANY)], Decimal("7000.01"), Decimal("7000.03"), Decimal("7000.02"),
                                   100, int(time.time() * 1000), "X"), i)
        for i in range(n)
    ]  # fmt: skip
    seen, done = 0, asyncio.Event()

    async def count(batch: Any) -> None:
        nonlocal seen
        seen += sum(1 for _, u in batch.records if u.symbol in MANY and u.last == Decimal("7000.02"))
        if seen >= n:
            done.set()

    market.service.register(f"bench_count_{n}", count)
    wall, cpu = time.perf_counter(), time.process_time()
    for frame in walk:
        update = normalize_ws_json(frame)
        assert update is not None
        await producer.put(update)
    await producer.flush()
    await asyncio.wait_for(done.wait(), 120)
    return n / (time.perf_counter() - wall), n / (time.process_time() - cpu)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=6000, help="offered updates/s, local throughput run")
    parser.add_argument("--memory-rate", type=float, default=8000, help="offered updates/s, memory throughput run")
    parser.add_argument("--latency-rate", type=float, default=1000)
    parser.add_argument("--poll-ms", type=int, default=200, help="the worker's GetRecords interval")
    parser.add_argument("--skip-local", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    settings = Settings(profile="local")
    print(f"market data bench, {os.cpu_count()} cores, {args.seconds:.0f} s per run")
    put_rate, get_rate = await stream_ceiling(settings, min(args.seconds, 10))
    print(
        f"1. Kinesis twin ceiling: put_records x500 {put_rate:,.0f} records/s; get_records (1 client) {get_rate:,.0f}/s"
    )
    exchange = Exchange()
    try:
        if not args.skip_local:
            print(f"2. local profile (gateway, worker, web processes; poll {args.poll_ms} ms)")
            await local_profile(settings, exchange, args, put_rate)
        if not args.skip_memory:
            print("3. memory profile (in-process stream; this process)")
            await memory_profile(exchange, args)
    finally:
        exchange.close()


if __name__ == "__main__":
    asyncio.run(main())
