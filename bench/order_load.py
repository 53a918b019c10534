"""Orders at the seed's pace (issue 15): an open-loop order generator over many accounts against
the running local stack (web + worker + gateway as processes), beside the floors of the same run.

    scripts/services up && uv run tradewind infra init
    cd bench && uv run python order_load.py --rates 10,50,100,250 --seconds 60 --accounts 1000 --streams 1000

For each rate, one JSON line: ack p50/p95/p99 of POST /api/v1/orders sent on a fixed schedule
(open loop: the i-th order leaves at start + i/rate whatever the answers do; ``send_late_ms`` says
how far the generator itself fell behind), place -> ``filled`` seen on the owner's SSE stream,
consumer-group lag (end offset - committed, Kafka admin) and the outbox backlog sampled every
0.5 s, how long after the last order every group was back to zero (``drain_s``), the floors (one
PostgreSQL INSERT + COMMIT, one Redis round trip) and sequential acks (one order at a time, one
account) measured in the same run just before, the load average and each process's CPU and RSS.

The audit group is reported but not in ``drain_s``: the archive commits its offsets when it
flushes a Parquet file (every ``audit_max_events`` or ``audit_max_age_s``), by design.
Not a test: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from redis.asyncio import Redis
from stack import running_stack

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser

SYMBOLS = ["AAPL", "MSFT", "JPM", "XOM", "KO", "PG", "PFE", "WMT", "HD", "JNJ"]
GROUPS = {  # consumer group (without prefix) -> topics it reads
    "oms-ledger": ["execution.reports"],
    "execution-engine": ["order.commands"],
    "order-projection": ["order.events"],
    "positions": ["order.events"],
    "audit": ["order.events", "position.updated", "risk.events"],
}
NOT_DRAINED = {"audit"}  # commits when it flushes a file: see the module docstring
CLK_TCK = os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50": pct(values, 0.5),
        "p95": pct(values, 0.95),
        "p99": pct(values, 0.99),
        "max": pct(values, 1.0),
    }


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def floors(settings: Settings, n: int) -> dict[str, Any]:
    conn = await asyncpg.connect(settings.pg_dsn)
    await conn.execute("CREATE TEMP TABLE IF NOT EXISTS bench_floor (id uuid PRIMARY KEY, v text)")
    pg = []
    for _ in range(n):
        t = time.perf_counter()
        async with conn.transaction():
            await conn.execute("INSERT INTO bench_floor VALUES ($1, 'x')", uuid.uuid4())
        pg.append(time.perf_counter() - t)
    await conn.close()
    redis = Redis.from_url(settings.redis_url)
    rd = []
    for _ in range(n):
        t = time.perf_counter()
        await redis.ping()
        rd.append(time.perf_counter() - t)
    await redis.aclose()
    both = [a + b for a, b in zip(sorted(pg), sorted(rd), strict=True)]
    return {"pg_commit": summary(pg), "redis_rtt": summary(rd), "sum_p50": pct(both, 0.5), "sum_p99": pct(both, 0.99)}


class Lag:
    """Consumer-group lag from the Kafka admin API: end offset minus committed offset, summed
    over partitions; a partition a group has not committed on yet counts from where the run began
    (the stack's groups are new and start at ``latest``)."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self._bootstrap = bootstrap
        self._prefix = prefix
        self._base: dict[TopicPartition, int] = {}
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        await self._admin.start()
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False)
        await self._consumer.start()
        topics = sorted({t for ts in GROUPS.values() for t in ts})
        described = await self._admin.describe_topics(topics)
        self._tps = [TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]]
        if len(self._tps) < len(topics):
            raise RuntimeError(f"no partitions found for {topics}: {described}")
        self._base = await self._consumer.end_offsets(self._tps)

    async def stop(self) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def sample(self, conn: asyncpg.Connection) -> dict[str, int]:
        """Lag per group, and the outbox's unsent rows; one sample at a time (shared clients)."""
        async with self._lock:
            lags = await self._sample()
            lags["outbox"] = await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            return lags

    async def _sample(self) -> dict[str, int]:
        ends = await self._consumer.end_offsets(self._tps)
        lags = {}
        for group, topics in GROUPS.items():
            committed = await self._admin.list_consumer_group_offsets(self._prefix + group)
            lag = 0
            for tp in self._tps:
                if tp.topic in topics:
                    meta = committed.get(tp)
                    done = meta.offset if meta is not None and meta.offset >= 0 else self._base[tp]
                    lag += max(0, ends[tp] - done)
            lags[group] = lag
        return lags


class Streams:
    """One SSE stream per account (the first ``n``), recording when each order is seen filled."""

    def __init__(self, session: aiohttp.ClientSession, symbols: str) -> None:
        self._session = session
        self._symbols = symbols
        self.filled_at: dict[str, float] = {}
        self.filled = asyncio.Event()  # set at every new fill seen
        self.connected = 0
        self.failed = 0
        self.events = 0
        self._tasks: list[asyncio.Task[None]] = []

    async def open(self, tokens: list[str], per_second: float = 200) -> None:
        ready: list[asyncio.Event] = []
        for i, token in enumerate(tokens):
            event = asyncio.Event()
            ready.append(event)
            self._tasks.append(asyncio.create_task(self._watch(token, event)))
            if i % 20 == 19:
                await asyncio.sleep(20 / per_second)
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in ready)), 120)

    async def _watch(self, token: str, ready: asyncio.Event) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with self._session.get(
                f"/api/v1/stream?symbols={self._symbols}", headers=headers, timeout=aiohttp.ClientTimeout(total=None)
            ) as resp:
                if resp.status != 200:
                    self.failed += 1
                    return
                self.connected += 1
                ready.set()
                event = None
                async for raw in resp.content:
                    line = raw.decode().rstrip("\r\n")
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:") and event == "order":
                        self.events += 1
                        data = json.loads(line[5:])
                        if data.get("status") == "filled":
                            self.filled_at.setdefault(data["id"], time.perf_counter())
                            self.filled.set()
        except (TimeoutError, aiohttp.ClientError):
            self.failed += 1
        finally:
            ready.set()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def sequential(session: aiohttp.ClientSession, token: str, n: int) -> list[float]:
    acks = []
    headers = {"Authorization": f"Bearer {token}"}
    for i in range(n):
        body = {"symbol": SYMBOLS[i % len(SYMBOLS)], "side": "buy", "qty": 1, "type": "market"}
        t = time.perf_counter()
        try:
            async with session.post("/api/v1/orders", json=body, headers=headers) as resp:
                await resp.read()
                if resp.status == 202:
                    acks.append(time.perf_counter() - t)
        except aiohttp.ClientError:  # a pooled connection the server closed after a burst: not an ack
            continue
    return acks


async def load(
    session: aiohttp.ClientSession, tokens: list[str], rate: float, seconds: float
) -> tuple[list[float], dict[str, tuple[float, int]], Counter[int], list[float]]:
    acks: list[float] = []
    placed: dict[str, tuple[float, int]] = {}  # order id -> (sent, account index)
    codes: Counter[int] = Counter()
    late: list[float] = []

    async def one(i: int) -> None:
        account = i % len(tokens)
        body = {"symbol": SYMBOLS[i % len(SYMBOLS)], "side": "buy", "qty": 1, "type": "market"}
        headers = {"Authorization": f"Bearer {tokens[account]}"}
        t = time.perf_counter()
        try:
            async with session.post("/api/v1/orders", json=body, headers=headers) as resp:
                answer = await resp.read()
                codes[resp.status] += 1
        except aiohttp.ClientError:
            codes[0] += 1
            return
        acks.append(time.perf_counter() - t)
        if resp.status == 202:
            placed[json.loads(answer)["id"]] = (t, account)

    tasks = []
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        late.append(max(0.0, time.perf_counter() - due))
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    return acks, placed, codes, late


async def wait_quotes(session: aiohttp.ClientSession, token: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        async with session.get(
            f"/api/v1/market/quotes?symbols={','.join(SYMBOLS)}", headers={"Authorization": f"Bearer {token}"}
        ) as resp:
            quotes = await resp.json() if resp.status == 200 else []
        if len(quotes) == len(SYMBOLS) and not any(q["stale"] for q in quotes):
            return
        await asyncio.sleep(0.2)  # polling the stack's price cache until it has every symbol
    raise RuntimeError("no fresh quotes for every symbol within 60 s")


async def create_accounts(settings: Settings, n: int) -> list[str]:
    adapters: Any = build_adapters(settings)
    await adapters.lifecycle().start(kafka=False)
    try:
        create = CreateUser(adapters.uow)
        tag = uuid.uuid4().hex[:6]
        return [(await create(f"load-{tag}-{i}", "1000000000")).token for i in range(n)]
    finally:
        await adapters.lifecycle().stop()


async def warm(session: aiohttp.ClientSession, tokens: list[str]) -> None:
    """The web's token cache, as a trader's first request would (32 at a time)."""
    sem = asyncio.Semaphore(32)

    async def one(token: str) -> None:
        async with sem, session.get("/api/v1/account", headers={"Authorization": f"Bearer {token}"}) as r:
            await r.read()

    await asyncio.gather(*(one(t) for t in tokens))


@contextlib.asynccontextmanager
async def rig(
    settings: Settings, base: str, group_prefix: str, seq_token: str, tokens: list[str], streams: int, symbols: str
) -> AsyncIterator[tuple[aiohttp.ClientSession, Streams, Lag, asyncpg.Connection]]:
    """What a measured run needs, ready: the lag sampler, a PostgreSQL connection (outbox backlog),
    a session on the web tier once the price cache has every symbol and every token is warm, SSE
    streams on the first ``streams`` accounts, 20 sequential orders sent as a warm-up."""
    lag = Lag(settings.kafka_bootstrap, group_prefix)
    await lag.start()
    conn = await asyncpg.connect(settings.pg_dsn)
    try:
        async with aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=0)) as session:
            await wait_quotes(session, seq_token)
            await warm(session, [seq_token, *tokens])
            watching = Streams(session, symbols)
            try:
                await watching.open(tokens[:streams])
                await sequential(session, seq_token, 20)  # warm-up, not counted
                yield session, watching, lag, conn
            finally:
                await watching.close()
    finally:
        await conn.close()
        await lag.stop()


async def measure(
    session: aiohttp.ClientSession,
    tokens: list[str],
    streams: Streams,
    n_streams: int,
    lag: Lag,
    conn: asyncpg.Connection,
    rate: float,
    seconds: float,
) -> tuple[dict[str, Any], float]:
    """One open-loop run of ``rate`` orders/s for ``seconds`` over ``tokens``, lag sampled every
    0.5 s; then the drain and the fills of the orders of the first ``n_streams`` accounts on their
    streams (10 s at most). Returns the fields of the run and its length in seconds (load + drain)."""
    samples: list[dict[str, int]] = []
    stop = asyncio.Event()

    async def sampler() -> None:
        while not stop.is_set():
            samples.append(await lag.sample(conn))
            await asyncio.sleep(0.5)

    sampling = asyncio.create_task(sampler())
    t0 = time.perf_counter()
    acks, placed, codes, late = await load(session, tokens, rate, seconds)
    sent_done = time.perf_counter()
    drain = await drained(lag, conn, 60)
    watched = {oid: sent for oid, (sent, account) in placed.items() if account < n_streams}
    deadline = time.monotonic() + 10
    while (left := deadline - time.monotonic()) > 0 and not set(watched) <= set(streams.filled_at):
        streams.filled.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(streams.filled.wait(), left)  # the last fills reaching the streams
    stop.set()
    await sampling
    elapsed = time.perf_counter() - t0
    filled = [streams.filled_at[o] - s for o, s in watched.items() if o in streams.filled_at]
    peak = {k: max(s.get(k, 0) for s in samples) for k in [*GROUPS, "outbox"]} if samples else {}
    return {
        "sent": len(acks) + codes[0],
        "answers": dict(codes),
        "achieved_rate": round(len(acks) / (sent_done - t0), 1),
        "send_late_ms": summary(late),
        "ack_ms": summary(acks),
        "filled_ms": {**summary(filled), "watched": len(watched)},
        "lag_peak": peak,
        "drain_s": drain,
    }, elapsed


async def bench(args: argparse.Namespace, base: str, env: dict[str, str], pids: dict[str, int]) -> None:
    settings = Settings(profile="local")
    tokens = await create_accounts(settings, args.accounts + 1)
    seq_token, tokens = tokens[0], tokens[1:]
    prefix = env["TRADEWIND_KAFKA_GROUP_PREFIX"]
    ready = rig(settings, base, prefix, seq_token, tokens, args.streams, args.stream_symbols)
    async with ready as (session, streams, lag, conn):
        for rate in args.rates:
            await drained(lag, conn, 30)
            floor = await floors(settings, args.floor_n)
            seq = await sequential(session, seq_token, args.sequential)
            load_before = os.getloadavg()
            cpu_before = {name: proc_cpu(pid) for name, pid in {**pids, "bench": os.getpid()}.items()}
            run, elapsed = await measure(session, tokens, streams, args.streams, lag, conn, rate, args.seconds)
            cpu = {
                name: round(100 * (proc_cpu(pid) - cpu_before[name]) / elapsed, 1)
                for name, pid in {**pids, "bench": os.getpid()}.items()
            }
            print(
                json.dumps(
                    {
                        "bench": "order_load",
                        "rate": rate,
                        "seconds": args.seconds,
                        "accounts": len(tokens),
                        "streams": {
                            "open": streams.connected,
                            "failed": streams.failed,
                            "symbols": args.stream_symbols,
                        },
                        **{k: run[k] for k in ("sent", "answers", "achieved_rate", "send_late_ms", "ack_ms")},
                        "filled_ms": run["filled_ms"],
                        "seq_ack_ms": summary(seq),
                        "floor_ms": floor,
                        "lag_peak": run["lag_peak"],
                        "drain_s": run["drain_s"],
                        "loadavg": {
                            "before": [round(x, 2) for x in load_before],
                            "after": [round(x, 2) for x in os.getloadavg()],
                        },
                        "cpu_pct": cpu,
                        "rss_mb": {name: proc_rss_mb(pid) for name, pid in pids.items()},
                    }
                ),
                flush=True,
            )


async def drained(lag: Lag, conn: asyncpg.Connection, limit: float) -> float | None:
    """Seconds until every group but the audit one has no lag and the outbox is empty."""
    t = time.perf_counter()
    while time.perf_counter() - t < limit:
        lags = await lag.sample(conn)
        if all(v == 0 for g, v in lags.items() if g not in NOT_DRAINED):
            return round(time.perf_counter() - t, 2)
        await asyncio.sleep(0.1)  # polling the admin API, bounded by limit
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")], default=[10, 50, 100, 250])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--streams", type=int, default=1000, help="SSE streams, one per account (<= accounts)")
    parser.add_argument("--stream-symbols", default="AAPL", help="quotes on each stream, comma-separated")
    parser.add_argument("--sequential", type=int, default=300, help="orders one at a time, per rate")
    parser.add_argument("--floor-n", type=int, default=1000)
    parser.add_argument("--ports", default="8500,8501,8502", help="web, worker health, gateway health")
    parser.add_argument("--paper-latency-ms", default="5")
    parser.add_argument("--attach", help="a stack already running: web URL (with --group-prefix, --pids)")
    parser.add_argument("--group-prefix", default="")
    parser.add_argument("--pids", default="", help="name=pid,... of the attached stack's processes")
    args = parser.parse_args()
    args.streams = min(args.streams, args.accounts)
    ports = tuple(int(p) for p in args.ports.split(","))
    pids: dict[str, int] = {}
    if args.attach:
        pids = {k: int(v) for k, v in (kv.split("=") for kv in args.pids.split(",") if kv)}
        env = {"TRADEWIND_KAFKA_GROUP_PREFIX": args.group_prefix}
        run_loop(bench(args, args.attach, env, pids))
        return
    extra = stack_env(args.paper_latency_ms)
    log_dir = Path(__file__).resolve().parents[1] / ".local" / "bench-logs" / "order_load"
    with running_stack(extra, log_dir, ports=ports, pids=pids) as (base, env):  # type: ignore[arg-type]
        run_loop(bench(args, base, env, pids))


def stack_env(paper_latency_ms: str) -> dict[str, str]:
    """The stack's settings for an order load: paper venue latency, quotes every 200 ms, no notional cap."""
    return {
        "TRADEWIND_PAPER_LATENCY_MS": paper_latency_ms,
        "TRADEWIND_QUOTE_INTERVAL_MS": "200",
        "TRADEWIND_MAX_ORDER_NOTIONAL": "1000000000",
    }


def run_loop(main: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    else:
        return uvloop.run(main)


if __name__ == "__main__":
    main()
