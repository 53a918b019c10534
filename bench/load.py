"""SSE clients and orders at once on the platform, then the same SSE clients on the peers (issue 15).

N SSE clients on K symbols each and an order generator over M accounts against the platform
stack, then the peer servers of ``../shared/peers/`` with the same SSE clients, side by side.
Prints ONE JSON line per run. Asserts nothing; not a test, not in CI (bench/ is not collected).

    scripts/services up && uv run tradewind infra init
    uv run python bench/load.py -n 15000 -k 5 --quote-rate 100 --orders-rate 50 --accounts 1000 \\
        --seconds 30 --peers control,seed

The platform half, in order:

1. the stack as processes on the local services (``stack.running_stack``, as ``order_load.py``
   starts it: web with ``--web-workers`` processes, worker, gateway; fresh consumer groups), M
   accounts (+1 for the warm-up) created through the users port, every token warmed;
2. ``--filled-streams`` SSE streams of the order generator's own, on the first accounts
   (``order_load.Streams``): they see each order's ``filled``;
3. ``sse_load.py``'s publisher (its own process: ``--quote-rate`` quotes/s in total over the 20
   symbols, on the platform's update channel) and its client (its own process: N raw-protocol
   connections, tokens of the M accounts round robin, paced ramp, settle);
4. when the client's measurement window opens (``--seconds`` long), the order generator starts
   (``order_load.measure``: open loop, R orders/s over the M accounts for ``--seconds``,
   consumer lag sampled every 0.5 s), and CPU/RSS of every process are taken over that window;
5. after the last order: the drain (every consumer group but audit back to zero lag and the
   outbox empty) and the fills still travelling; then the floor (PostgreSQL INSERT + COMMIT,
   Redis PING, ``--floor-n`` each) with the SSE load gone. The stack stops.

Then each peer of ``--peers`` (``control``, ``seed`` = ``seed_sse_peer.py --loop timer``) runs
exactly as ``sse_load.py`` runs it (``sse_load.run_target``): same N, K, quote rate, ramp,
settle, and a window of ``--seconds``; no orders (the peers take none). ``--peers ""`` skips them.

The line:

* ``run``: the parameters, ``utc`` (start), ``git_rev`` (``+`` if the tree had changes), the
  load average before and after, ``nofile`` (the fd limit the processes got);
* ``platform.sse`` and ``peers.<name>.sse``: ``attempted``; ``held_start`` / ``held_end`` =
  connections holding a 200 response at the window's start / end; ``failed`` (no 200: connect
  timeout, refused, HTTP status; ``fail_reasons``); ``dropped`` (a held connection closed by the
  server, ``dropped_in_window`` of them in the window; ``drop_reasons``); ``events`` = quotes
  received in the window (``events_per_s``; ``offered_events`` = what the publisher offered the
  connections held at the window's start, ``delivered_ratio`` the quotient); ``other_events`` =
  other frames (heartbeats, the stack's own quotes, the accounts' order events on the platform);
  ``lat_p50_ms`` ... ``lat_max_ms`` = client receipt wall clock minus the publisher's ``ts_ns``
  (one receipt time per socket read); ``ramp_s``, ``window_s``, ``box_cpu_busy_pct`` (200 = both
  cores; the platform's from the client's window, the same as the order window);
* ``platform.orders``: ``sent``, ``answers`` (HTTP status -> count; 0 = no answer),
  ``achieved_rate`` (answered/s), ``send_late_ms`` (how far the generator fell behind its
  schedule), ``ack_ms`` (POST /api/v1/orders), ``filled_ms`` (POST -> ``filled`` on the owner's
  stream, for the ``watched`` orders of the accounts that have a filled-stream), each as n / p50 /
  p95 / p99 / max in ms; ``lag_peak`` (largest lag sampled per consumer group, and the outbox's
  unsent rows), ``drain_s`` (s after the last answer until drained; null if not within 60 s),
  ``filled_streams`` (open / failed);
* ``platform.floor``: ``pg_commit`` and ``redis_rtt`` (n / p50 / p95 / p99 / max, ms) and
  ``sum_p50`` / ``sum_p99`` (the two added: the least an order ack could take);
* ``platform.processes`` / ``peers.<name>.processes``: ``cpu_pct`` (of one core, over the
  window) and ``rss_max_mib`` (largest sum seen, sampled each second) of each process with its
  children: web (all ``--web-workers``), worker, gateway, venue, postgres (all backends), redis,
  kafka, moto, kinesalite, publisher, order_generator (this process alone: the orders, the
  filled-streams, the lag sampling); a peer's: server, redis, publisher. ``sse_client`` is the
  client's own figure on both sides (CPU from its rusage over the window, peak RSS = VmHWM).
  RSS summed over a tree counts shared pages once per process: postgres's figure includes its
  shared buffers once per backend, web's the parent's image in each worker.

The tool's own cost is in its figures: the SSE client is one process (about 9 µs of CPU per quote
received, see ``../shared/peers/README.md``), sharing the box with everything it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import order_load
import sse_load
from stack import free_port, running_stack

from tradewind.adapters.aws.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / ".local"
SERVICES = {  # process name -> pid file that scripts/services writes (postgres: its own)
    "venue": LOCAL / "venue/venue.pid",
    "postgres": LOCAL / "postgres/data/postmaster.pid",
    "kafka": LOCAL / "kafka/kafka.pid",
    "moto": LOCAL / "moto/moto.pid",
    "kinesalite": LOCAL / "kinesalite/kinesalite.pid",
}
SSE_FIELDS = (
    "attempted", "failed", "fail_reasons", "dropped", "dropped_in_window", "drop_reasons", "events",
    "events_per_s", "offered_events", "delivered_ratio", "other_events", "lat_p50_ms", "lat_p95_ms",
    "lat_p99_ms", "lat_max_ms", "ramp_s", "window_s", "box_cpu_busy_pct",
)  # fmt: skip


def pid_file(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def sse(res: dict[str, Any]) -> dict[str, Any]:
    """The SSE fields of one client result (``sse_load.client_run``'s dict)."""
    if "error" in res:
        return {"error": res["error"], **({"stderr": res["stderr"]} if "stderr" in res else {})}
    out = {"attempted": res["attempted"], "held_start": res["established"], "held_end": res["established_at_end"]}
    return out | {k: res[k] for k in SSE_FIELDS if k != "attempted"}


def sse_args(args: argparse.Namespace) -> argparse.Namespace:
    """What ``sse_load.client_cmd`` and ``sse_load.run_target`` read, from this tool's flags."""
    return argparse.Namespace(
        n=args.n, k=args.k, rate=args.quote_rate, ramp_rate=args.ramp_rate, settle=args.settle,
        settle_max=args.settle_max, window=args.seconds, connect_timeout=args.connect_timeout,
        workers=args.web_workers, flush_ms=0.0, seed_workers=args.seed_workers,
    )  # fmt: skip


async def platform(
    args: argparse.Namespace, base: str, env: dict[str, str], pids: dict[str, int], token_file: Path
) -> dict[str, Any]:
    settings = Settings(profile="local")
    tokens = await order_load.create_accounts(settings, args.accounts + 1)
    seq_token, tokens = tokens[0], tokens[1:]
    await asyncio.to_thread(token_file.write_text, "\n".join(tokens) + "\n")  # the SSE client's
    ready = order_load.rig(
        settings, base, env["TRADEWIND_KAFKA_GROUP_PREFIX"], seq_token, tokens, args.filled_streams, "AAPL"
    )
    async with ready as (session, streams, lag, conn):
        await order_load.drained(lag, conn, 30)
        port = urlsplit(base).port
        assert port is not None
        pub = subprocess.Popen(sse_load.publisher_cmd(settings.redis_url, args.quote_rate, 3600, "platform"), cwd=ROOT)
        ccmd = sse_load.client_cmd(sse_args(args), port, sse_load.PLATFORM_PATH, token_file, [], mark=True)
        client = subprocess.Popen(ccmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert client.stderr is not None and client.stdout is not None
            head = []  # the client's stderr up to its mark (its whole stderr if it never marks)
            while (line := await asyncio.to_thread(client.stderr.readline)) and line.strip() != "window":
                head.append(line)
            tail = asyncio.create_task(asyncio.to_thread(client.stderr.read))  # a full pipe would stall it
            roots: dict[str, int | None] = {name: pids[name] for name in ("web", "worker", "gateway")}
            roots |= {name: pid_file(path) for name, path in SERVICES.items()}
            roots |= {"redis": sse_load.redis_pid(settings.redis_url), "publisher": pub.pid}
            watched = {name: sse_load.tree(pid) for name, pid in roots.items() if pid}
            watch = sse_load.Watch(watched | {"order_generator": [os.getpid()]})  # its children are counted apart
            orders = asyncio.create_task(
                order_load.measure(
                    session, tokens, streams, args.filled_streams, lag, conn, args.orders_rate, args.seconds
                )
            )
            t0 = time.monotonic()
            while (now := time.monotonic()) < t0 + args.seconds:
                watch.sample()
                await asyncio.sleep(min(1.0, t0 + args.seconds - now))
            processes = watch.result(time.monotonic() - t0)
            out = await asyncio.to_thread(client.stdout.read)  # its one line, when it is done
            err = await tail
            sse_load.stop(pub)
            run, _ = await orders
        finally:
            sse_load.stop(pub)
            sse_load.stop(client)
        try:
            client_res = json.loads(out.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            client_res = {"error": "client printed no result", "stderr": ("".join(head) + err)[-2000:]}
        if "client" in client_res.get("procs", {}):  # as the client measures itself for the peers
            processes["sse_client"] = client_res["procs"]["client"]
        floor = await order_load.floors(settings, args.floor_n)
        opened = {"open": streams.connected, "failed": streams.failed}
    return {
        "sse": sse(client_res),
        "orders": run | {"filled_streams": opened},
        "floor": floor,
        "processes": processes,
    }


def peer(target: str, args: argparse.Namespace) -> dict[str, Any]:
    res = sse_load.run_target(target, sse_args(args), free_port(), Path(os.devnull))
    procs = res.get("procs", {})
    if "client" in procs:
        procs["sse_client"] = procs.pop("client")
    return {"server": res["target"], "sse": sse(res), "processes": procs}


def git_rev() -> str:
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return git("rev-parse", "--short", "HEAD") + ("+" if git("status", "--porcelain", "--untracked-files=no") else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sse_load.client_flags(
        ap
    )  # -n, -k, --ramp-rate, --settle, --settle-max, --connect-timeout: the same for every server
    ap.add_argument("--quote-rate", type=float, default=100.0, help="quotes/s published in total")
    ap.add_argument("--orders-rate", type=float, default=10.0, help="orders/s (platform only)")
    ap.add_argument("--accounts", type=int, default=200, help="accounts: the orders' and the SSE clients' tokens")
    ap.add_argument("--seconds", type=float, default=30.0, help="the window: orders sent, SSE measured")
    ap.add_argument("--peers", default="control,seed", help="peer servers after the platform; '' for none")
    ap.add_argument("--filled-streams", type=int, default=50, help="order generator's SSE streams (place -> filled)")
    ap.add_argument("--web-workers", type=int, default=2, help="web processes (SO_REUSEPORT)")
    ap.add_argument("--seed-workers", type=int, default=1)
    ap.add_argument("--floor-n", type=int, default=500, help="PG commits and Redis pings for the floor")
    ap.add_argument("--paper-latency-ms", default="5")
    ap.add_argument("--ports", help="web,worker health,gateway health (default: BENCH_PORTS, else free ones)")
    args = ap.parse_args()
    if args.n > 18_000:
        raise SystemExit("n is capped at 18,000 (ulimit -n is 20,000 here)")
    args.filled_streams = min(args.filled_streams, args.accounts)
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    nofile = sse_load.raise_nofile()  # the stack, the peers and the client inherit it
    run = {
        "bench": "load",
        "utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "git_rev": git_rev(),
        **{k: v for k, v in vars(args).items() if k not in ("ports", "peers")},
        "symbols": len(sse_load.SYMBOLS),
        "peers": peers,
        "nofile": nofile,
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
    }
    ports = tuple(int(p) for p in args.ports.split(",")) if args.ports else None
    extra = order_load.stack_env(args.paper_latency_ms) | {"TRADEWIND_WEB_WORKERS": str(args.web_workers)}
    pids: dict[str, int] = {}
    token_file = Path(tempfile.mkstemp(prefix="load-tokens-", suffix=".txt")[1])
    try:
        with running_stack(extra, LOCAL / "bench-logs" / "load", ports=ports, pids=pids) as (base, env):  # type: ignore[arg-type]
            result = order_load.run_loop(platform(args, base, env, pids, token_file))
    finally:
        token_file.unlink(missing_ok=True)
    side = {target: peer(target, args) for target in peers}
    run["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps({"run": run, "platform": result, "peers": side}), flush=True)


if __name__ == "__main__":
    main()
