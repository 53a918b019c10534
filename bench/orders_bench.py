"""Order acknowledgement and place -> filled latency against the local servers (issue 4).

    scripts/services up && uv run tradewind infra init
    uv run python bench/orders_bench.py --rate 200 --seconds 60

Prints p50/p95/p99 of POST /api/v1/orders (ack) at a steady rate, and of place -> `filled` seen on
the trader's SSE stream, each beside floors measured in the same run: one PostgreSQL
INSERT + COMMIT and one Redis round trip. Not a test: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from redis.asyncio import Redis
from stack import TRADEWIND, running_stack

from tradewind.adapters.aws.settings import Settings

SYMBOLS = ["AAPL", "MSFT", "JPM", "XOM", "KO", "PG", "PFE", "WMT", "HD", "JNJ"]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def line(name: str, values: list[float]) -> str:
    return (
        f"{name:34} n={len(values):6d}  p50={pct(values, 0.50):7.2f} ms  p95={pct(values, 0.95):7.2f} ms  "
        f"p99={pct(values, 0.99):7.2f} ms"
    )


async def floors(settings: Settings, n: int = 2000) -> tuple[list[float], list[float]]:
    conn = await asyncpg.connect(settings.pg_dsn)
    await conn.execute("CREATE TEMP TABLE bench_floor (id uuid PRIMARY KEY, v text)")
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
    return pg, rd


async def run(base: str, token: str, rate: float, seconds: float) -> tuple[list[float], list[float], int]:
    acks: list[float] = []
    placed_at: dict[str, float] = {}
    filled_at: dict[str, float] = {}  # a fill can reach the stream before its POST has returned
    errors = 0
    auth = {"Authorization": f"Bearer {token}"}
    done = asyncio.Event()

    async def watch(client: httpx.AsyncClient) -> None:
        async with client.stream("GET", "/api/v1/stream?symbols=AAPL", headers=auth, timeout=None) as resp:
            event = None
            async for raw in resp.aiter_lines():
                if raw.startswith("event:"):
                    event = raw[6:].strip()
                elif raw.startswith("data:") and event == "order":
                    data = json.loads(raw[5:])
                    if data["status"] == "filled":
                        filled_at.setdefault(data["id"], time.perf_counter())
                if done.is_set() and set(placed_at) <= set(filled_at):
                    return

    async def one(client: httpx.AsyncClient, i: int) -> None:
        nonlocal errors
        body = {
            "symbol": SYMBOLS[i % len(SYMBOLS)],
            "side": "buy" if i % 2 == 0 else "sell",
            "qty": 1,
            "type": "market",
        }
        t = time.perf_counter()
        r = await client.post("/api/v1/orders", headers=auth, json=body)
        acks.append(time.perf_counter() - t)
        if r.status_code == 202:
            placed_at[r.json()["id"]] = t
        else:
            errors += 1

    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        watcher = asyncio.create_task(watch(client))
        await asyncio.sleep(1.0)  # let the stream connect before the first order
        tasks = []
        start = time.perf_counter()
        total = int(rate * seconds)
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)  # the load generator's pacing
            tasks.append(asyncio.create_task(one(client, i)))
        await asyncio.gather(*tasks)
        done.set()
        try:
            await asyncio.wait_for(watcher, 30)
        except TimeoutError:
            watcher.cancel()
    filled = [filled_at[i] - t for i, t in placed_at.items() if i in filled_at]
    return acks, filled, errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    settings = Settings(profile="local")
    pg, rd = asyncio.run(floors(settings))
    with running_stack(
        {"TRADEWIND_PAPER_LATENCY_MS": "0", "TRADEWIND_MAX_ORDER_NOTIONAL": "1000000000"}, Path(".local/bench-logs")
    ) as (base, env):
        token = (
            subprocess.run(
                [TRADEWIND, "users", "create", f"bench-{uuid.uuid4().hex[:6]}", "--cash", "1000000000"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        acks, filled, errors = asyncio.run(run(base, token, args.rate, args.seconds))
    print(
        f"orders: {args.rate:g}/s for {args.seconds:g}s, {len(acks)} sent, {errors} not accepted, "
        f"{len(filled)} seen filled on the stream"
    )
    print(line("floor: PostgreSQL INSERT+COMMIT", pg))
    print(line("floor: Redis round trip", rd))
    print(line("ack: POST /api/v1/orders", acks))
    print(line("place -> filled on the stream", filled))
    if acks:
        print(f"ack mean {statistics.mean(acks) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
