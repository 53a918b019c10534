"""Order round trip to the paper venue over FIX 4.4 (issue 14), beside the in-process paper broker
in the same run.

    scripts/services up redis
    uv run python bench/fix_roundtrip.py [--orders 500]

Starts its own ``tradewind venue`` (free ports, its own state directory and quote channel),
prices it with one quote on Redis as the worker would, connects a ``FixBroker`` (QuickFIX
initiator) and sends market orders one at a time: submit -> acknowledgement (the NEW report on
the adapter's callback thread) and submit -> fill (the final FILL report). Then the same orders
on a ``PaperBroker`` in this process (no latency), which is the floor: the matching engine and a
thread hop without the wire, the venue's journal or the FIX session. p50/p99 in microseconds.
Not a test: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import redis

from tradewind.adapters.aws.settings import Settings
from tradewind.adapters.broker.fix.adapter import FixBroker
from tradewind.adapters.broker.fix.session import FixEndpoint
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.execution.broker import BrokerAdapter, BrokerOrder, ExecType, ExecutionReport
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

ACCOUNT = str(uuid.uuid4())
_pause = threading.Event()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        _pause.wait(0.02)


class Timings:
    """The report callback: when each order's NEW and final FILL arrived (perf_counter)."""

    def __init__(self) -> None:
        self.acked: dict[str, float] = {}
        self.filled: dict[str, float] = {}
        self.done: dict[str, threading.Event] = {}

    def expect(self, coid: str) -> threading.Event:
        self.done[coid] = event = threading.Event()
        return event

    def __call__(self, report: ExecutionReport) -> None:
        now = time.perf_counter()
        if report.exec_type == ExecType.NEW:
            self.acked.setdefault(report.client_order_id, now)
        elif report.exec_type == ExecType.FILL and report.leaves_qty == 0:
            self.filled[report.client_order_id] = now
            self.done[report.client_order_id].set()


def run(broker: BrokerAdapter, orders: int) -> tuple[list[float], list[float]]:
    timings = Timings()
    broker.register_callback(timings)
    acks, fills = [], []
    for i in range(orders + 20):  # the first 20 warm up
        coid = str(uuid.uuid4())
        done = timings.expect(coid)
        order = BrokerOrder(coid, "AAPL", OrderSide.BUY, 1, OrderType.MARKET, TimeInForce.DAY, account=ACCOUNT)
        started = time.perf_counter()
        broker.submit(order)
        if not done.wait(10):
            raise SystemExit(f"order {coid} did not fill")
        if i >= 20:
            acks.append((timings.acked[coid] - started) * 1e6)
            fills.append((timings.filled[coid] - started) * 1e6)
    return acks, fills


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]


def start_venue(state: Path, settings: Settings) -> tuple[subprocess.Popen[bytes], FixEndpoint, str, int]:
    port, health, channel = free_port(), free_port(), f"tradewind:bench-venue:{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "TRADEWIND_PROFILE": "local",
        "TRADEWIND_VENUE_PORT": str(port),
        "TRADEWIND_VENUE_HEALTH_PORT": str(health),
        "TRADEWIND_VENUE_DIR": str(state / "venue"),
        "TRADEWIND_VENUE_QUOTES_CHANNEL": channel,
    }
    tradewind = str(Path(sys.executable).with_name("tradewind"))
    log = (state / "venue.log").open("wb")
    proc = subprocess.Popen([tradewind, "venue"], env=env, stdout=log, stderr=subprocess.STDOUT)

    def get(path: str) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{health}{path}", timeout=2) as resp:
                return dict(json.loads(resp.read()))
        except urllib.error.HTTPError as exc:
            return dict(json.loads(exc.read()))
        except OSError:
            return {}

    wait_until(lambda: get("/readyz").get("checks", {}).get("prices") == "ok", "the venue")
    quote = Quote("AAPL", Decimal("100.00"), Decimal("100.10"), Decimal("100.05"), utcnow())
    client = redis.Redis(host=settings.redis_host, port=settings.redis_port)
    client.publish(channel, json.dumps({"account_id": None, "kind": "quote", "seq": None, "data": quote.to_dict()}))
    client.close()
    wait_until(lambda: "AAPL" in get("/quotes").get("quotes", {}), "the venue's first quote")
    return proc, FixEndpoint(port=port), channel, health


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    args = parser.parse_args()
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        proc, endpoint, _, _ = start_venue(state, settings)
        try:
            fix_broker = FixBroker(endpoint, state / "gateway-fix")
            fix_broker.start()
            wait_until(lambda: fix_broker.logged_on, "the FIX logon")
            fix_acks, fix_fills = run(fix_broker, args.orders)
            fix_broker.stop()
        finally:
            proc.terminate()
            proc.wait(30)
    paper = PaperBroker()
    paper.start()
    paper.on_quote(Quote("AAPL", Decimal("100.00"), Decimal("100.10"), Decimal("100.05"), utcnow()))
    paper_acks, paper_fills = run(paper, args.orders)
    paper.stop()

    print(f"{args.orders} market orders, one at a time, load average {os.getloadavg()[0]:.1f}")
    print(f"{'broker':<28} {'ack p50':>9} {'ack p99':>9} {'fill p50':>9} {'fill p99':>9}   (µs)")
    for name, acks, fills in (
        ("FIX venue (tradewind venue)", fix_acks, fix_fills),
        ("paper, in process", paper_acks, paper_fills),
    ):
        print(
            f"{name:<28} {pct(acks, 50):>9,.0f} {pct(acks, 99):>9,.0f} {pct(fills, 50):>9,.0f} {pct(fills, 99):>9,.0f}"
        )


if __name__ == "__main__":
    main()
