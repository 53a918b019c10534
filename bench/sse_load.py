"""SSE fan-out load (issue 15): N authenticated SSE clients on K symbols each, against the platform's
web tier and, in the same run, the peer servers of ``../shared/peers/`` (the one-subscription
control and the article's per-connection design). Prints one JSON line per server. Asserts nothing.

    scripts/services up && uv run tradewind infra init
    uv run python bench/sse_load.py -n 15000 --rate 100 --targets platform,control,seed

Per target: start the server (``tradewind web --workers W`` / ``control_sse.py`` /
``seed_sse_peer.py --loop timer``) on 127.0.0.1, a publisher (its own process) sending ``--rate``
quotes/s in total over the S symbols (the platform's 20 tradable names) for the whole run, then the
client (its own process, raw asyncio protocols on uvloop, all sockets from 127.0.0.1): a paced ramp
of N connections, a settle, a measurement window. Latency = the client's wall clock at receipt
minus the publisher's ``ts_ns`` stamp in the quote (one receipt time per socket read). CPU and RSS
of every process (server and its children, Redis, publisher, client) from /proc over the window.

Platform clients authenticate with bearer tokens of ``--accounts`` users created through the users
port (as ``tradewind users create`` does); the platform's quotes go on its update channel in its
envelope (``data`` = the quote resource plus ``ts_ns``); the peers' on ``price:<SYM>`` as
``../shared/peers/publisher.py`` sends them. The seed peer needs starlette: it runs from
``$PEERS_VENV`` (default /tmp/tradewind-peers-venv), made the way ``run_seed_peer.sh`` makes it.

The client is adapted from ``../shared/peers/sse_load.py`` (same parsing and counting), with one
token per connection and no source-address spreading (only 127.0.0.1 here).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from array import array
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PEERS = Path(os.environ.get("TRADEWIND_PEERS", ROOT.parent / "shared" / "peers"))
PEERS_VENV = Path(os.environ.get("PEERS_VENV", "/tmp/tradewind-peers-venv"))
SYMBOLS = "AAPL AMD BAC BBY CVX GE HD JNJ JPM KO LLY MRK MSFT PEP PFE PG RRC UNH WMT XOM".split()
CHANNEL = "tradewind:updates"
PLATFORM_PATH = "/api/v1/stream?symbols={symbols}&heartbeat=15"
TS_RE = re.compile(rb'"ts_ns"\s*:\s*(\d+)')
CLK_TCK = os.sysconf("SC_CLK_TCK")


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


# ---------------------------------------------------------------- /proc
def _stat(pid: int) -> list[bytes]:
    with open(f"/proc/{pid}/stat", "rb") as f:
        s = f.read()
    return s[s.rindex(b")") + 2 :].split()


def tree(pid: int | None) -> list[int]:
    if pid is None:
        return []
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                children.setdefault(int(_stat(int(d))[1]), []).append(int(d))
            except (OSError, ValueError, IndexError):
                continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def ticks(pids: list[int]) -> int:
    t = 0
    for p in pids:
        try:
            f = _stat(p)
            t += int(f[11]) + int(f[12])
        except (OSError, ValueError, IndexError):
            pass
    return t


def rss_kib(pids: list[int]) -> int:
    t = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        t += int(line.split()[1])
                        break
        except (OSError, ValueError):
            pass
    return t


class Watch:
    """CPU and RSS of named groups of processes over a window: CPU from their /proc ticks at the
    start and at ``result``, RSS the largest sum seen by ``sample``."""

    def __init__(self, watched: dict[str, list[int]]) -> None:
        self.watched = watched
        self.cpu0 = {name: ticks(pids) for name, pids in watched.items()}
        self.rss_max = dict.fromkeys(watched, 0)

    def sample(self) -> None:
        for name, pids in self.watched.items():
            self.rss_max[name] = max(self.rss_max[name], rss_kib(pids))

    def result(self, window_s: float) -> dict[str, dict[str, float]]:
        return {
            name: {
                "cpu_pct": round(100.0 * (ticks(pids) - self.cpu0[name]) / CLK_TCK / window_s, 1),
                "rss_max_mib": round(self.rss_max[name] / 1024, 1),
            }
            for name, pids in self.watched.items()
        }


def hwm_kib() -> int:
    """This process's peak RSS. Not ``ru_maxrss``: Linux carries that over an exec from the
    parent's image, so a client started by a large parent would report the parent's size."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def box_cpu() -> tuple[int, int]:
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v), v[3] + v[4]


# ---------------------------------------------------------------- publisher (own process)
def publish(args: argparse.Namespace) -> None:
    import redis

    r = redis.Redis.from_url(args.redis_url)
    rnd = random.Random(1)
    prices = {s: 100.0 + rnd.random() * 100 for s in SYMBOLS}
    tick, carry, sent = 0.01, 0.0, 0
    t0 = time.monotonic()
    next_t, t_end = t0, t0 + args.duration
    while (now := time.monotonic()) < t_end:
        if now < next_t:
            time.sleep(next_t - now)
        next_t += tick
        carry += args.rate * tick
        n = int(carry)
        carry -= n
        if not n:
            continue
        pipe = r.pipeline(transaction=False)
        for _ in range(n):
            s = SYMBOLS[rnd.randrange(len(SYMBOLS))]
            p = prices[s] = round(prices[s] * (1 + rnd.uniform(-0.001, 0.001)), 2)
            ts_ns = time.time_ns()
            if args.format == "platform":
                stamp = (
                    time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts_ns / 1e9)) + f".{ts_ns // 1000 % 1_000_000:06d}Z"
                )
                data = {"symbol": s, "bid": f"{p - 0.01:.2f}", "ask": f"{p + 0.01:.2f}", "last": f"{p:.2f}",
                        "ts": stamp, "stale": False, "ts_ns": ts_ns}  # fmt: skip
                pipe.publish(CHANNEL, json.dumps({"account_id": None, "kind": "quote", "seq": None, "data": data}))
            else:
                if args.cache:
                    pipe.set(f"price:{s}", p, ex=5)
                pipe.publish(f"price:{s}", json.dumps({"symbol": s, "price": p, "ts_ns": ts_ns}))
        pipe.execute()
        sent += n
    print(json.dumps({"sent": sent, "rate": round(sent / (time.monotonic() - t0), 1)}), file=sys.stderr)


# ---------------------------------------------------------------- client (own process)
class Gen:
    def __init__(self) -> None:
        self.measuring = self.closing = False
        self.open: set[Client] = set()
        self.established_total = self.failed = self.pending = 0
        self.fail_reasons: Counter[str] = Counter()
        self.drop_reasons: Counter[str] = Counter()
        self.dropped_window = self.dropped_other = 0
        self.events = self.events_outside = self.other_events = 0
        self.lat_us = array("q")


class Client(asyncio.Protocol):
    __slots__ = ("body", "cbuf", "chunk_left", "chunked", "g", "hbuf", "need_crlf", "req", "state", "tr")

    def __init__(self, g: Gen, req: bytes) -> None:
        self.g, self.req = g, req
        self.tr: Any = None
        self.state = 0  # 0 headers, 1 streaming, 2 done
        self.hbuf: bytearray | None = bytearray()
        self.chunked = False
        self.cbuf = bytearray()
        self.chunk_left = 0
        self.need_crlf = False
        self.body = bytearray()

    def connection_made(self, tr: Any) -> None:
        self.tr = tr
        self.g.pending += 1
        tr.write(self.req)

    def _fail(self, reason: str) -> None:
        if self.state == 0:
            self.g.pending -= 1
        self.state = 2
        self.g.failed += 1
        self.g.fail_reasons[reason] += 1
        self.tr.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        g = self.g
        if self.state == 0:
            g.pending -= 1
            self.state = 2
            g.failed += 1
            g.fail_reasons["closed before headers" if exc is None else type(exc).__name__] += 1
        elif self.state == 1:
            self.state = 2
            g.open.discard(self)
            if g.closing:
                return
            g.drop_reasons["eof" if exc is None else type(exc).__name__] += 1
            if g.measuring:
                g.dropped_window += 1
            else:
                g.dropped_other += 1

    def _dechunk(self, data: bytes) -> bytearray:
        buf = self.cbuf
        buf += data
        out = bytearray()
        pos, n = 0, len(buf)
        while True:
            if self.chunk_left:
                avail = n - pos
                if avail <= 0:
                    break
                take = min(self.chunk_left, avail)
                out += buf[pos : pos + take]
                pos += take
                self.chunk_left -= take
                if self.chunk_left:
                    break
                self.need_crlf = True
            if self.need_crlf:
                if n - pos < 2:
                    break
                pos += 2
                self.need_crlf = False
            e = buf.find(b"\r\n", pos)
            if e < 0:
                break
            size = int(bytes(buf[pos:e]).split(b";")[0], 16)
            pos = e + 2
            if size == 0:
                break
            self.chunk_left = size
        del buf[:pos]
        return out

    def data_received(self, data: bytes) -> None:
        g = self.g
        if self.state == 0:
            hb = self.hbuf
            assert hb is not None
            hb += data
            i = hb.find(b"\r\n\r\n")
            if i < 0:
                if len(hb) > 65536:
                    self._fail("headers too large")
                return
            head, data = bytes(hb[:i]), bytes(hb[i + 4 :])
            self.hbuf = None
            try:
                code = int(head.split(b"\r\n", 1)[0].split(b" ", 2)[1])
            except (IndexError, ValueError):
                self._fail("bad status line")
                return
            if code != 200:
                self._fail(f"http {code}")
                return
            self.chunked = b"transfer-encoding: chunked" in head.lower()
            self.state = 1
            g.pending -= 1
            g.established_total += 1
            g.open.add(self)
            if not data:
                return
        elif self.state != 1:
            return
        chunk = self._dechunk(data) if self.chunked else data
        if not chunk:
            return
        body = self.body
        body += chunk
        end = max(body.rfind(b"\n\n") + 2, body.rfind(b"\r\n\r\n") + 4)  # LF or CRLF frames
        if end < 4:
            return
        blob = bytes(body[:end])
        del body[:end]
        ts = TS_RE.findall(blob)
        g.other_events += blob.count(b"\n\n") + blob.count(b"\r\n\r\n") - len(ts)
        if not ts:
            return
        if g.measuring:
            now_us = time.time_ns() // 1000
            for m in ts:
                g.lat_us.append(now_us - int(m) // 1000)
            g.events += len(ts)
        else:
            g.events_outside += len(ts)


def pct(vals: list[int], p: float) -> int | None:
    if not vals:
        return None
    return vals[min(len(vals) - 1, max(0, round(p / 100.0 * len(vals) + 0.5) - 1))]


async def client_run(args: argparse.Namespace, tokens: list[str]) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    rnd = random.Random(7)
    g = Gen()

    def request(i: int) -> bytes:
        syms = ",".join(rnd.sample(SYMBOLS, args.k))
        auth = f"Authorization: Bearer {tokens[i % len(tokens)]}\r\n" if tokens else ""
        path = args.path.format(symbols=syms)
        return (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\nAccept: text/event-stream\r\n{auth}\r\n"
        ).encode()

    async def open_one(i: int) -> None:
        req = request(i)
        try:
            await asyncio.wait_for(
                loop.create_connection(lambda: Client(g, req), "127.0.0.1", args.port, local_addr=("127.0.0.1", 0)),
                args.connect_timeout,
            )
        except TimeoutError:
            g.failed += 1
            g.fail_reasons["connect timeout"] += 1
        except OSError as e:
            g.failed += 1
            g.fail_reasons[f"{type(e).__name__}:{e.errno}"] += 1

    tasks = []
    t0 = time.monotonic()
    for i in range(args.n):
        delay = t0 + i / args.ramp_rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(loop.create_task(open_one(i)))
    await asyncio.wait(tasks, timeout=args.connect_timeout + 2)
    ramp_s = time.monotonic() - t0
    # Settle: until every attempt has an answer (held or failed), at most --settle-max s; then --settle s.
    settle_end = time.monotonic() + args.settle_max
    while time.monotonic() < settle_end and (g.pending or g.established_total + g.failed < args.n):  # noqa: ASYNC110
        await asyncio.sleep(0.25)
    settle_wait_s = round(time.monotonic() - t0 - ramp_s, 2)
    await asyncio.sleep(args.settle)
    established_start, pending_start = len(g.open), g.pending
    watch = Watch({name: [int(p) for p in pids.split(",") if p] for name, pids in (w.split("=") for w in args.watch)})
    me0 = resource.getrusage(resource.RUSAGE_SELF)
    box0 = box_cpu()
    g.measuring = True
    if args.mark:
        print("window", file=sys.stderr, flush=True)  # for a caller that runs other load in this window
    tw0 = time.monotonic()
    while (now := time.monotonic()) < tw0 + args.window:
        watch.sample()
        await asyncio.sleep(min(1.0, tw0 + args.window - now))
    g.measuring = False
    window_s = time.monotonic() - tw0
    procs = watch.result(window_s)
    me1 = resource.getrusage(resource.RUSAGE_SELF)
    box1 = box_cpu()
    established_end = len(g.open)
    g.closing = True
    for c in list(g.open):
        c.tr.abort()
    lat = sorted(g.lat_us)

    def ms(v: int | None) -> float | None:
        return None if v is None else round(v / 1000.0, 3)

    per_client = args.rate * args.k / len(SYMBOLS)
    expected = round(per_client * window_s * established_start)
    procs["client"] = {
        "cpu_pct": round(100.0 * ((me1.ru_utime + me1.ru_stime) - (me0.ru_utime + me0.ru_stime)) / window_s, 1),
        "rss_max_mib": round(hwm_kib() / 1024, 1),
    }
    return {
        "attempted": args.n,
        "established": established_start,
        "established_at_end": established_end,
        "pending_headers": pending_start,
        "failed": g.failed,
        "fail_reasons": dict(g.fail_reasons),
        "dropped": g.dropped_window + g.dropped_other,
        "dropped_in_window": g.dropped_window,
        "drop_reasons": dict(g.drop_reasons),
        "ramp_s": round(ramp_s, 2),
        "settle_wait_s": settle_wait_s,
        "window_s": round(window_s, 2),
        "events": g.events,
        "events_per_s": round(g.events / window_s, 1),
        "offered_events": expected,
        "delivered_ratio": round(g.events / expected, 4) if expected else None,
        "other_events": g.other_events,
        "lat_p50_ms": ms(pct(lat, 50)),
        "lat_p95_ms": ms(pct(lat, 95)),
        "lat_p99_ms": ms(pct(lat, 99)),
        "lat_max_ms": ms(lat[-1] if lat else None),
        "procs": procs,
        "box_cpu_busy_pct": round(
            100.0 * (1 - (box1[1] - box0[1]) / max(1, box1[0] - box0[0])) * (os.cpu_count() or 1), 1
        ),
    }


def client(args: argparse.Namespace) -> None:
    raise_nofile()
    import uvloop

    uvloop.install()
    bound = 4 * args.n / args.ramp_rate + args.connect_timeout + args.settle_max + args.settle + args.window + 120
    try:
        tokens = Path(args.tokens).read_text().split() if args.tokens else []
        res = asyncio.run(asyncio.wait_for(client_run(args, tokens), bound))
    except TimeoutError:
        res = {"error": f"client timed out after {bound:.0f}s"}
    print(json.dumps(res), flush=True)
    os._exit(0)  # skip the teardown of thousands of transports


# ---------------------------------------------------------------- orchestration
def wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} not up within {seconds}s")


def stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            for pid in reversed(tree(proc.pid)):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait(5)


def redis_pid(url: str) -> int | None:
    import redis

    try:
        return int(redis.Redis.from_url(url).info("server")["process_id"])
    except Exception:
        return None


def make_tokens(n: int, path: Path) -> None:
    from tradewind.adapters.aws.containers import build_adapters
    from tradewind.adapters.aws.settings import Settings
    from tradewind.application.accounts.users import CreateUser

    async def create() -> list[str]:
        adapters: Any = build_adapters(Settings())
        await adapters.lifecycle().start(kafka=False)
        try:
            create_user = CreateUser(adapters.uow)
            run = uuid.uuid4().hex[:6]
            return [(await create_user(f"sse-{run}-{i}", "100000")).token for i in range(n)]
        finally:
            await adapters.lifecycle().stop()

    path.write_text("\n".join(asyncio.run(create())) + "\n")


def publisher_cmd(redis_url: str, rate: float, duration: float, fmt: str, *, cache: bool = False) -> list[str]:
    """The command line of the publisher process (``fmt``: ``platform`` or ``peer``)."""
    cmd = [sys.executable, __file__, "publish", "--redis-url", redis_url, "--rate", str(rate),
           "--duration", str(duration), "--format", fmt]  # fmt: skip
    return cmd + (["--cache"] if cache else [])


def client_cmd(
    args: argparse.Namespace, port: int, path: str, tokens: Path | None, watch: list[str], *, mark: bool = False
) -> list[str]:
    """The command line of the client process: ``args`` carries n, k, rate, ramp_rate, settle,
    settle_max, window and connect_timeout; ``watch`` is name=pid,pid... (CPU and RSS over the
    window); ``mark`` makes it print ``window`` on stderr when its measurement window opens."""
    cmd = [sys.executable, __file__, "client", "--port", str(port), "--path", path, "-n", str(args.n), "-k",
           str(args.k), "--rate", str(args.rate), "--ramp-rate", str(args.ramp_rate), "--settle",
           str(args.settle), "--settle-max", str(args.settle_max), "--window", str(args.window),
           "--connect-timeout", str(args.connect_timeout)]  # fmt: skip
    if tokens is not None:
        cmd += ["--tokens", str(tokens)]
    for w in watch:
        cmd += ["--watch", w]
    return cmd + (["--mark"] if mark else [])


def run_target(target: str, args: argparse.Namespace, port: int, tokens: Path) -> dict[str, Any]:
    from tradewind.adapters.aws.settings import Settings

    settings = Settings()
    redis_url = settings.redis_url
    peer_redis = redis_url.rsplit("/", 1)[0] + "/1" if redis_url.count("/") >= 3 else redis_url + "/1"
    env = dict(os.environ)
    if target == "platform":
        env.update(TRADEWIND_SSE_FLUSH_INTERVAL_MS=str(args.flush_ms))
        cmd = [str(ROOT / ".venv/bin/tradewind"), "web", "--port", str(port), "--workers", str(args.workers)]
        path, health, fmt = (
            PLATFORM_PATH,
            f"http://127.0.0.1:{port}/healthz",
            "platform",
        )
        label = f"platform(workers={args.workers},flush_ms={args.flush_ms:g})"
    elif target == "control":
        cmd = [sys.executable, str(PEERS / "control_sse.py"), "--port", str(port), "--redis-url", peer_redis]
        path, health, fmt, label = "/stream?symbols={symbols}", f"http://127.0.0.1:{port}/healthz", "peer", "control"
    elif target == "seed":
        py = PEERS_VENV / "bin/python"
        if not py.exists():
            raise RuntimeError(f"seed peer needs {py}: run ../shared/peers/run_seed_peer.sh once, or set PEERS_VENV")
        cmd = [str(py), str(PEERS / "seed_sse_peer.py"), "--port", str(port), "--redis-url", peer_redis,
               "--loop", "timer", "--workers", str(args.seed_workers)]  # fmt: skip
        path, health, fmt = "/stream?symbols={symbols}", None, "peer"
        label = f"seed(loop=timer,workers={args.seed_workers})"
    else:
        raise SystemExit(f"unknown target {target}")
    load_before = os.getloadavg()
    log = open(f"/tmp/sse_load-{target}-{port}.log", "w")
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    pub = None
    idle_rss_mib = 0.0
    try:
        if health:
            wait_http(health, 60)
        else:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
                if out.strip():
                    break
                time.sleep(0.3)
            time.sleep(2)  # workers import
        time.sleep(2)
        idle_rss_mib = rss_kib(tree(server.pid)) / 1024  # before any client: the per-1,000 figure excludes it
        duration = 3600.0  # stopped (by pid) when the client is done, however long the ramp took
        pub_url = redis_url if fmt == "platform" else peer_redis
        pub = subprocess.Popen(publisher_cmd(pub_url, args.rate, duration, fmt, cache=target == "seed"), cwd=ROOT)
        watch = [
            f"server={','.join(map(str, tree(server.pid)))}",
            f"redis={redis_pid(redis_url) or ''}",
            f"publisher={pub.pid}",
        ]
        ccmd = client_cmd(args, port, path, tokens if target == "platform" else None, watch)
        out = subprocess.run(ccmd, capture_output=True, text=True, cwd=ROOT)
        try:
            res = json.loads(out.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            res = {"error": "client printed no result", "stderr": out.stderr[-2000:]}
    finally:
        if pub is not None:
            stop(pub)
        stop(server)
        log.close()
    server_rss = res.get("procs", {}).get("server", {}).get("rss_max_mib")
    held = res.get("established_at_end") or 0
    return {
        "bench": "sse_fanout",
        "target": label,
        "n": args.n,
        "k": args.k,
        "symbols": len(SYMBOLS),
        "rate": args.rate,
        "per_client_quotes_s": round(args.rate * args.k / len(SYMBOLS), 2),
        "ramp_rate": args.ramp_rate,
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        **res,
        "server_idle_rss_mib": round(idle_rss_mib, 1),
        "server_rss_mib_per_1000": round((server_rss - idle_rss_mib) / held * 1000, 1) if server_rss and held else None,
    }


def client_flags(ap: argparse.ArgumentParser) -> None:
    """The client's shape: -n, -k, --ramp-rate, --settle, --settle-max, --connect-timeout."""
    ap.add_argument("-n", type=int, default=1000, help="SSE connections")
    ap.add_argument("-k", type=int, default=1, help="symbols per connection (of the 20)")
    ap.add_argument("--ramp-rate", type=float, default=1000.0, help="new connections/s")
    ap.add_argument("--settle", type=float, default=5.0, help="s after every connection attempt has its answer")
    ap.add_argument("--settle-max", type=float, default=60.0, help="at most this long waiting for those answers")
    ap.add_argument("--connect-timeout", type=float, default=15.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd")
    p = sub.add_parser("publish")
    p.add_argument("--redis-url", required=True)
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--format", choices=["platform", "peer"], required=True)
    p.add_argument("--cache", action="store_true")
    c = sub.add_parser("client")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--path", required=True)
    c.add_argument("--tokens")
    c.add_argument("-n", type=int, required=True)
    c.add_argument("-k", type=int, required=True)
    c.add_argument("--rate", type=float, required=True)
    c.add_argument("--ramp-rate", type=float, required=True)
    c.add_argument("--settle", type=float, required=True)
    c.add_argument("--settle-max", type=float, default=60.0)
    c.add_argument("--window", type=float, required=True)
    c.add_argument("--connect-timeout", type=float, required=True)
    c.add_argument("--watch", action="append", default=[])
    c.add_argument("--mark", action="store_true", help="print 'window' on stderr when the window opens")
    for a in (ap,):
        client_flags(a)
        a.add_argument("--rate", type=float, default=100.0, help="quotes/s published in total")
        a.add_argument("--window", type=float, default=30.0)
        a.add_argument("--targets", default="platform,control,seed")
        a.add_argument("--workers", type=int, default=2, help="platform web processes (SO_REUSEPORT)")
        a.add_argument("--flush-ms", type=float, default=0.0, help="platform: TRADEWIND_SSE_FLUSH_INTERVAL_MS")
        a.add_argument("--seed-workers", type=int, default=1)
        a.add_argument("--accounts", type=int, default=500, help="platform: users (tokens) the clients spread over")
        a.add_argument("--port", type=int, default=8410, help="first port; one per target")
    args = ap.parse_args()
    if args.cmd == "publish":
        publish(args)
        return
    if args.cmd == "client":
        client(args)
        return
    if args.n > 18_000:
        raise SystemExit("n is capped at 18,000 (ulimit -n is 20,000 here)")
    hard = raise_nofile()  # the servers inherit it
    tokens = Path(f"/tmp/sse_load-tokens-{os.getpid()}.txt")
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if "platform" in targets:
        make_tokens(args.accounts, tokens)
    try:
        for i, target in enumerate(targets):
            res = run_target(target, args, args.port + i, tokens)
            res["nofile"] = hard
            print(json.dumps(res), flush=True)
    finally:
        tokens.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
