"""Soak test of the whole local stack (issue 12; not in CI). Prints numbers; asserts nothing.

Starts web, worker and gateway as processes (``bench/stack.py``) on the servers of
``scripts/services up``, then for ``--minutes`` holds a steady mix: ``--rate`` market orders per
second spread over ``--accounts`` accounts (each account buys one share twice, then alternates sell and
buy, so it holds one or two and a sell never waits on the buy just before it: cash accounts never
run dry and no order is refused ``short_sale`` for a fill still in flight), the gateway's real-history replay quotes, and ``--sse`` SSE clients.
Every ``--sample-s`` seconds one CSV row: the memory of every process and twin (``rss_mb_*``: RSS,
or for PostgreSQL's postmaster and backends the PSS of the tree, so that the shared buffers count
once), Kafka consumer lag per group (``lag_*``: not committed now; ``behind_*``: already on the topic
at the previous sample and still not committed, zero when the group keeps up), order ack p50/p99
(``POST /api/v1/orders`` answered), SSE quote age p50/p99 (now minus the quote's ``ts``), orders
sent/accepted. At the end: an SVG plot of the same (matplotlib is not a dependency), and a summary
against the issue's bar: RSS growth per hour after warm-up, lag back to zero, ack p99 and quote
age of the last ten minutes against the first ten.

    scripts/services up && uv run tradewind infra init
    uv run python bench/soak.py --minutes 120            # the issue's run
    uv run python bench/soak.py --minutes 10 --warmup 3  # a smoke of it
    TRADEWIND_BROKER=fix uv run python bench/soak.py     # through the venue process over FIX

The stack has consumer groups of its own (a prefix, starting at the end of the topics) and so a
Kinesis stream of its own, created here with the article's 8 shards and deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import shutil
import signal
import statistics
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from stack import running_stack

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.kinesis.clients import ensure_stream, kinesis_client_factory
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser

ROOT = Path(__file__).resolve().parents[1]
SYMBOLS = ["AAPL", "MSFT", "JPM", "KO", "XOM", "AMD", "GE", "PG"]
# The twins' pid files (scripts/services.d/*.sh); PostgreSQL's is its own postmaster.pid.
TWIN_PIDS = {
    "postgres": ".local/postgres/data/postmaster.pid",
    "redis": ".local/redis/redis.pid",
    "kafka": ".local/kafka/kafka.pid",
    "moto": ".local/moto/moto.pid",
    "kinesalite": ".local/kinesalite/kinesalite.pid",
    "venue": ".local/venue/venue.pid",
}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- processes ---------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _kb(path: str, key: str) -> int:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory_mb(pid: int, tree: dict[int, list[int]]) -> float:
    """RSS of a single process; PSS summed over a process tree (RSS with each shared page divided
    among its sharers), else PostgreSQL's shared buffers would count once per backend. PSS only
    for trees: reading ``smaps_rollup`` walks every mapping, which on a many-GB process (moto
    after its leak) takes long and holds that process's memory lock meanwhile."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo.extend(tree.get(p, []))
    if len(pids) == 1:
        return _kb(f"/proc/{pid}/status", "VmRSS:") / 1024
    return sum(_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids) / 1024


def _pid_from(path: Path) -> int | None:
    try:
        first = path.read_text().split("\n", 1)[0].strip()
    except OSError:
        return None
    return int(first) if first.isdigit() else None


def processes() -> dict[str, int]:
    """Name -> pid of every process to sample: the twins and this script's three children."""
    found = {name: pid for name, rel in TWIN_PIDS.items() if (pid := _pid_from(ROOT / rel)) is not None}
    for child in _children().get(os.getpid(), []):
        try:
            cmd = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        for app in ("web", "worker", "gateway"):
            if any(part.endswith(b"tradewind") for part in cmd) and app.encode() in cmd:
                found[app] = child
    return found


# -- load --------------------------------------------------------------------------------------


@dataclass
class Minute:
    acks: list[float] = field(default_factory=list)
    quote_ages: list[float] = field(default_factory=list)
    sent: int = 0
    accepted: int = 0
    refused: dict[int, int] = field(default_factory=dict)


@dataclass
class Load:
    minute: Minute = field(default_factory=Minute)
    loop_lag: list[float] = field(default_factory=list)  # this generator's own event-loop delay
    sse_connected: int = 0
    sse_errors: int = 0

    def take(self) -> Minute:
        taken, self.minute = self.minute, Minute()
        return taken


async def watch_loop(load: Load, stop: asyncio.Event) -> None:
    """How late a 100 ms timer fires in this process: when it is late, the figures measure the load
    generator (CPU-starved on a shared machine), not the stack."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        t = loop.time()
        try:
            await asyncio.wait_for(stop.wait(), 0.1)
        except TimeoutError:
            pass
        load.loop_lag.append(max(0.0, loop.time() - t - 0.1))


async def make_accounts(settings: Settings, n: int) -> list[str]:
    adapters: Any = build_adapters(settings)
    await adapters.lifecycle().start(kafka=False)
    try:
        create = CreateUser(adapters.uow)
        tag = uuid.uuid4().hex[:6]
        return [(await create(f"soak-{tag}-{i}", "10000000")).token for i in range(n)]
    finally:
        await adapters.lifecycle().stop()


async def place_orders(
    client: httpx.AsyncClient, tokens: list[str], rate: float, load: Load, stop: asyncio.Event
) -> None:
    """``rate`` orders per second, paced on a schedule (a late one does not delay the next)."""
    started, i = time.perf_counter(), 0
    pending: set[asyncio.Task[None]] = set()

    async def one(n: int) -> None:
        account = n % len(tokens)
        k = n // len(tokens)  # this account's k-th order: buy, buy, sell, buy, sell, ...
        side = "buy" if k < 2 or k % 2 == 1 else "sell"
        body = {"symbol": SYMBOLS[account % len(SYMBOLS)], "side": side, "qty": 1, "type": "market"}
        t = time.perf_counter()
        minute = load.minute
        minute.sent += 1
        try:
            r = await client.post("/api/v1/orders", headers={"Authorization": f"Bearer {tokens[account]}"}, json=body)
            status = r.status_code
        except httpx.HTTPError:
            status = 0
        minute.acks.append(time.perf_counter() - t)
        if status in (200, 202):
            minute.accepted += 1
        else:
            minute.refused[status] = minute.refused.get(status, 0) + 1

    while not stop.is_set():
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            try:
                await asyncio.wait_for(stop.wait(), delay)  # the load generator's pacing
                break
            except TimeoutError:
                pass
        task = asyncio.create_task(one(i))
        pending.add(task)
        task.add_done_callback(pending.discard)
        i += 1
        await asyncio.sleep(0)  # behind schedule, catch up without starving the other tasks
    await asyncio.gather(*pending, return_exceptions=True)


async def sse_client(client: httpx.AsyncClient, token: str, symbols: str, load: Load, stop: asyncio.Event) -> None:
    """One trader's stream; every ``quote`` event's age goes into the minute. Reconnects."""
    while not stop.is_set():
        try:
            async with client.stream(
                "GET", f"/api/v1/stream?symbols={symbols}", headers={"Authorization": f"Bearer {token}"}, timeout=None
            ) as resp:
                load.sse_connected += 1
                event = ""
                try:
                    async for line in resp.aiter_lines():
                        if stop.is_set():
                            return
                        if line.startswith("event:"):
                            event = line[6:].strip()
                        elif line.startswith("data:") and event == "quote":
                            ts = json.loads(line[5:])["ts"]
                            sent_at = datetime.fromisoformat(ts.replace("Z", "+00:00"))
                            load.minute.quote_ages.append((datetime.now(UTC) - sent_at).total_seconds())
                finally:
                    load.sse_connected -= 1
        except (httpx.HTTPError, OSError):
            load.sse_errors += 1
            try:
                await asyncio.wait_for(stop.wait(), 1.0)  # reconnect backoff
            except TimeoutError:
                pass


# -- consumer lag ------------------------------------------------------------------------------


class LagProbe:
    def __init__(self, bootstrap: str, prefix: str) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self._prefix = prefix
        self._ends: dict[str, dict[TopicPartition, int]] = {}  # per group: end offsets at the last probe

    async def start(self) -> None:
        await self._admin.start()
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def lag(self) -> tuple[dict[str, int], dict[str, int]]:
        """Per consumer group of this stack (by its prefix): ``lag``, the messages not yet
        committed now (never zero for long under a steady flow: something is always in flight),
        and ``behind``, the messages that were already on the topic at the previous probe and are
        still not committed (zero = the group caught up with everything older than a sample
        interval: the issue's "lag back to zero each minute"). No ``behind`` at the first probe."""
        lag: dict[str, int] = {}
        behind: dict[str, int] = {}
        groups = [g[0] for g in await self._admin.list_consumer_groups() if str(g[0]).startswith(self._prefix)]
        for group in sorted(groups):
            committed = await self._admin.list_consumer_group_offsets(group)
            tps = [TopicPartition(tp.topic, tp.partition) for tp in committed]
            if not tps:
                continue
            ends = await self._consumer.end_offsets(tps)
            name = group.removeprefix(self._prefix)
            lag[name] = sum(max(0, ends[tp] - meta.offset) for tp, meta in committed.items() if meta.offset >= 0)
            before = self._ends.get(group)
            if before is not None:
                behind[name] = sum(
                    max(0, before[tp] - max(meta.offset, 0)) for tp, meta in committed.items() if tp in before
                )
            self._ends[group] = dict(ends)
        return lag, behind


# -- output ------------------------------------------------------------------------------------


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    columns = list(dict.fromkeys(c for r in rows for c in r))
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and value == value  # not NaN (a minute without samples)


def svg_plot(rows: list[dict[str, Any]], path: Path) -> None:
    """Five panels (RSS per process, consumer lag, ack p99, quote age p99, load average) as polylines."""
    if len(rows) < 2:
        return
    width, panel_h, left, gap = 900, 200, 70, 40
    minutes = [float(r["minute"]) for r in rows]
    columns = list(dict.fromkeys(c for r in rows for c in r))
    rss_cols = [c for c in columns if c.startswith("rss_mb_")]
    lag_cols = [c for c in columns if c.startswith("lag_")]
    panels: list[tuple[str, list[str]]] = [
        ("memory (MB): RSS; PostgreSQL: PSS of its processes", rss_cols),
        ("Kafka consumer lag (messages)", lag_cols),
        ("order ack p99 (ms)", ["ack_p99_ms"]),
        ("SSE quote age p99 (ms)", ["quote_age_p99_ms"]),
        ("machine load average, 1 min (2 cores, shared)", ["loadavg_1m"]),
    ]
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 220}" height="{len(panels) * (panel_h + gap) + 20}"'
        ' font-family="sans-serif" font-size="11">',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    x0, x1 = min(minutes), max(minutes)
    for n, (title, cols) in enumerate(panels):
        top = 20 + n * (panel_h + gap)
        values = [v for r in rows for c in cols if _number(v := r.get(c))]
        hi = max(values, default=1.0) or 1.0

        def x(m: float) -> float:
            return left + (m - x0) / ((x1 - x0) or 1) * (width - left)

        def y(v: float, top: int = top, hi: float = hi) -> float:
            return top + panel_h - v / hi * panel_h

        out.append(f'<text x="{left}" y="{top - 5}" font-weight="bold">{title}</text>')
        out.append(f'<rect x="{left}" y="{top}" width="{width - left}" height="{panel_h}" fill="none" stroke="#999"/>')
        out.append(f'<text x="{left - 5}" y="{top + 10}" text-anchor="end">{hi:.0f}</text>')
        out.append(f'<text x="{left - 5}" y="{top + panel_h}" text-anchor="end">0</text>')
        out.append(f'<text x="{width}" y="{top + panel_h + 14}" text-anchor="end">minute {x1:.1f}</text>')
        for k, col in enumerate(cols):
            points = [f"{x(float(r['minute'])):.1f},{y(float(r[col])):.1f}" for r in rows if _number(r.get(col))]
            colour = colours[k % len(colours)]
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{" ".join(points)}"/>')
            label = col.removeprefix("rss_mb_").removeprefix("lag_")
            out.append(f'<text x="{width + 10}" y="{top + 12 + k * 13}" fill="{colour}">{label}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out))


def png_from_svg(svg: Path, height: int) -> Path | None:
    """A PNG of the plot through headless Chromium when it is installed (``scripts/install-browser``
    installs it for the browser tests); None otherwise (the SVG is the plot then)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        return None
    png = svg.with_suffix(".png")
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={png}",
            f"--window-size=1130,{height}",
            svg.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    return png if png.exists() else None


def summary(rows: list[dict[str, Any]], warmup: int, window: int) -> list[str]:
    """The issue's bar, computed from the rows (no verdict: a shared machine is noisy)."""
    lines: list[str] = []
    columns = list(dict.fromkeys(c for r in rows for c in r))
    settled = [r for r in rows if float(r["minute"]) >= warmup]
    if len(settled) >= 2:
        hours = (float(settled[-1]["minute"]) - float(settled[0]["minute"])) / 60
        for col in [c for c in columns if c.startswith("rss_mb_")]:
            xs = [float(r["minute"]) for r in settled if _number(r.get(col))]
            ys = [float(r[col]) for r in settled if _number(r.get(col))]
            if len(ys) < 2:
                continue
            slope = statistics.linear_regression(xs, ys).slope * 60 if len(set(xs)) > 1 else 0.0
            lines.append(
                f"{col.removeprefix('rss_mb_'):>10}: RSS {ys[0]:7.1f} -> {ys[-1]:7.1f} MB after warm-up, "
                f"trend {slope:+.1f} MB/h over {hours:.2f} h"
            )
    lag_cols = [c for c in columns if c.startswith("lag_")]
    probed = [r for r in settled if any(_number(r.get(c)) for c in lag_cols)]  # a timed-out probe has none
    zero = sum(1 for r in probed if all(float(r.get(c) or 0) == 0 for c in lag_cols))
    lines.append(
        f"consumer lag: zero at {zero} of {len(probed)} probed samples after warm-up "
        f"({len(settled) - len(probed)} probes timed out)"
    )
    behind_cols = [c for c in columns if c.startswith("behind_")]
    told = [r for r in settled if any(_number(r.get(c)) for c in behind_cols)]
    caught_up = [r for r in told if all(float(r.get(c) or 0) == 0 for c in behind_cols)]
    worst = {c.removeprefix("behind_"): max((float(r.get(c) or 0) for r in told), default=0) for c in behind_cols}
    lines.append(
        f"caught up with the previous sample's end offsets (behind = 0 in every group): {len(caught_up)} of "
        f"{len(told)} samples after warm-up; the most behind per group: {json.dumps(worst)}"
    )
    first, last = rows[:window], rows[-window:]
    for col in ("ack_p50_ms", "ack_p99_ms", "quote_age_p50_ms", "quote_age_p99_ms", "orders_sent", "loadavg_1m"):
        a_values = [float(r[col]) for r in first if _number(r.get(col))]
        b_values = [float(r[col]) for r in last if _number(r.get(col))]
        if not a_values or not b_values:
            lines.append(f"{col}: no samples")
            continue
        a, b = statistics.median(a_values), statistics.median(b_values)
        lines.append(
            f"{col}: first {len(first)} min median {a:.1f}, last {len(last)} min median {b:.1f} ({b / a:.2f}x)"
        )
    return lines


async def soak(args: argparse.Namespace, base: str, env: dict[str, str]) -> list[dict[str, Any]]:
    settings = Settings(profile="local")
    tokens = await make_accounts(settings, args.accounts)
    load, stop = Load(), asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):  # end early, cleanly: the stack is stopped, the CSV kept
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    lag = LagProbe(settings.kafka_bootstrap, env["TRADEWIND_KAFKA_GROUP_PREFIX"])
    await lag.start()
    limits = httpx.Limits(max_connections=args.sse + 100, max_keepalive_connections=args.sse + 100)
    rows: list[dict[str, Any]] = []
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        tasks = [
            asyncio.create_task(sse_client(client, tokens[i % len(tokens)], args.sse_symbols, load, stop))
            for i in range(args.sse)
        ]
        tasks.append(asyncio.create_task(place_orders(client, tokens, args.rate, load, stop)))
        tasks.append(asyncio.create_task(watch_loop(load, stop)))
        started = time.monotonic()
        sample = 0
        while time.monotonic() - started < args.minutes * 60 and not stop.is_set():
            sample += 1
            try:
                await asyncio.wait_for(stop.wait(), started + sample * args.sample_s - time.monotonic())
            except TimeoutError:
                pass
            minute = load.take()
            loop_lag, load.loop_lag = load.loop_lag, []
            tree = _children()
            row: dict[str, Any] = {"minute": round((time.monotonic() - started) / 60, 2)}
            for name, pid in sorted(processes().items()):
                row[f"rss_mb_{name}"] = round(tree_memory_mb(pid, tree), 1)
            probe_started = time.monotonic()
            try:  # a probe that hangs must not stop the sampling (a 10-minute smoke once did)
                now, behind = await asyncio.wait_for(lag.lag(), timeout=args.sample_s / 3)
                row |= {f"lag_{group}": messages for group, messages in now.items()}
                row |= {f"behind_{group}": messages for group, messages in behind.items()}
            except Exception as exc:  # recorded in the row; the sampling goes on
                row["probe_error"] = type(exc).__name__
            row["probe_ms"] = round((time.monotonic() - probe_started) * 1000, 1)
            row |= {
                "orders_sent": minute.sent,
                "orders_accepted": minute.accepted,
                "orders_refused": json.dumps(minute.refused),
                "ack_p50_ms": round(pct(minute.acks, 0.5) * 1000, 2),
                "ack_p99_ms": round(pct(minute.acks, 0.99) * 1000, 2),
                "quotes": len(minute.quote_ages),
                "quote_age_p50_ms": round(pct(minute.quote_ages, 0.5) * 1000, 1),
                "quote_age_p99_ms": round(pct(minute.quote_ages, 0.99) * 1000, 1),
                "loadgen_loop_lag_p99_ms": round(pct(loop_lag, 0.99) * 1000, 1),
                "sse_connected": load.sse_connected,
                "sse_errors": load.sse_errors,
                # the machine is shared (2 cores, other work on it): the load beside the numbers
                "loadavg_1m": round(os.getloadavg()[0], 2),
            }
            rows.append(row)
            await asyncio.to_thread(write_csv, out, rows)  # rewritten whole: a group may appear late
            print(json.dumps(row), flush=True)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    await lag.stop()
    return rows


async def delete_stream(kinesis: Any, stream: str) -> None:
    async with kinesis() as client:
        await client.delete_stream(StreamName=stream)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=120)
    parser.add_argument("--rate", type=float, default=20, help="orders per second")
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--sse", type=int, default=200, help="SSE clients")
    parser.add_argument("--sse-symbols", default="AAPL,MSFT", help="symbols each SSE client asks for")
    parser.add_argument("--sample-s", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10, help="minutes left out of the RSS trend")
    parser.add_argument("--window", type=int, default=10, help="samples compared, first vs last")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%MZ")
    parser.add_argument("--out", default=str(ROOT / ".local" / "soak" / f"soak-{stamp}.csv"))
    parser.add_argument("--replot", metavar="CSV", help="only draw the plot and summary of an earlier run's CSV")
    args = parser.parse_args()
    if args.replot:
        rows = read_csv(Path(args.replot))
        report(rows, Path(args.replot).with_suffix(".svg"), args)
        return
    prefix = f"soak-{uuid.uuid4().hex[:6]}-"
    settings = Settings(profile="local", kafka_group_prefix=prefix)
    kinesis = kinesis_client_factory(
        endpoint_url=settings.kinesis_endpoint_url,
        region=settings.aws_region,
        access_key_id=settings.aws_access_key_id,
        secret_access_key=settings.aws_secret_access_key,
    )
    asyncio.run(ensure_stream(kinesis, settings.market_stream, shards=settings.kinesis_shards))
    try:
        with running_stack({"TRADEWIND_KAFKA_GROUP_PREFIX": prefix}, ROOT / ".local" / "soak" / "logs") as (base, env):
            rows = asyncio.run(soak(args, base, env))
    finally:
        asyncio.run(delete_stream(kinesis, settings.market_stream))
    report(rows, Path(args.out).with_suffix(".svg"), args)


def report(rows: list[dict[str, Any]], svg: Path, args: argparse.Namespace) -> None:
    if not rows:
        print("no samples")
        return
    svg_plot(rows, svg)
    png = png_from_svg(svg, 5 * 240 + 20)
    print(f"csv: {svg.with_suffix('.csv')}\nplot: {svg}" + (f" and {png}" if png else ""))
    for line in summary(rows, int(args.warmup), args.window):
        print(line)


def read_csv(path: Path) -> list[dict[str, Any]]:
    def value(raw: str) -> Any:
        try:
            return float(raw)
        except ValueError:
            return raw  # "" (no such column yet) or the refused-orders JSON

    with path.open(newline="") as f:
        return [{k: value(v) for k, v in row.items()} for row in csv.DictReader(f)]


if __name__ == "__main__":
    main()
