"""A real venue process (``tradewind venue``) for the FIX adapter's tests, and the feed that
prices it the way production does: a quote published on the venue's Redis channel, as the
worker's market-data service publishes it. ``feed`` returns once the venue shows that exact
quote on ``/quotes`` (the engine works requests in arrival order, so an order submitted after
that sees it). Everything waits on a condition with a deadline, never a fixed sleep."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import redis

from tradewind.adapters.broker.fix.adapter import FixBroker
from tradewind.adapters.broker.fix.session import FixEndpoint
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote

TRADEWIND = str(Path(sys.executable).with_name("tradewind"))
_pause = threading.Event()  # never set: .wait(t) is an interruptible pause for polling


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        _pause.wait(0.02)


@dataclass
class VenueProcess:
    """One ``tradewind venue`` on its own ports, state directory and quote channel."""

    state_dir: Path
    redis_port: int
    port: int = field(default_factory=free_port)
    health_port: int = field(default_factory=free_port)
    channel: str = field(default_factory=lambda: f"tradewind:test-venue:{uuid.uuid4().hex[:8]}")
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    _redis: Any = None
    _last_ts: Any = None

    @property
    def endpoint(self) -> FixEndpoint:
        return FixEndpoint(port=self.port, heartbeat_s=1)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "TRADEWIND_PROFILE": "local",
            "TRADEWIND_VENUE_PORT": str(self.port),
            "TRADEWIND_VENUE_HEALTH_PORT": str(self.health_port),
            "TRADEWIND_VENUE_DIR": str(self.state_dir / "venue"),
            "TRADEWIND_VENUE_QUOTES_CHANNEL": self.channel,
            "TRADEWIND_REDIS_PORT": str(self.redis_port),
        }

    def start(self) -> None:
        self.log = self.state_dir / f"venue-{int(time.time() * 1000)}.log"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen([TRADEWIND, "venue"], env=self.env(), stdout=out, stderr=subprocess.STDOUT)
        wait_until(self._ready, "the venue's /readyz (FIX up, subscribed to prices)", timeout=90)

    def _ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"venue exited {self.proc.returncode}:\n{self.output()}")
        try:
            doc = self._get("/readyz")
        except OSError:
            return False
        return doc.get("checks", {}).get("prices") == "ok"

    def output(self) -> str:
        return "" if self.log is None else self.log.read_text()[-4000:]

    def _get(self, path: str) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}{path}", timeout=2) as resp:
                return dict(json.loads(resp.read()))
        except urllib.error.HTTPError as exc:  # 503 while not ready still has the document
            return dict(json.loads(exc.read()))

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        if self._redis is not None:
            self._redis.close()

    # -- the market --------------------------------------------------------------------------

    def _client(self) -> Any:
        if self._redis is None:
            self._redis = redis.Redis(host="127.0.0.1", port=self.redis_port)
        return self._redis

    def publish(self, kind: str, data: dict[str, object]) -> None:
        message = {"account_id": None, "kind": kind, "seq": None, "data": data}
        self._client().publish(self.channel, json.dumps(message))

    def feed(self, symbol: str, bid: Decimal, ask: Decimal) -> None:
        ts = utcnow()
        if self._last_ts is not None and ts <= self._last_ts:  # each quote told apart by its stamp
            ts = self._last_ts + timedelta(microseconds=1)
        self._last_ts = ts
        quote = Quote(symbol, bid, ask, (bid + ask) / 2, ts)
        self.publish("quote", quote.to_dict())
        stamp = ts.isoformat()
        wait_until(lambda: self.quotes().get(symbol, {}).get("ts") == stamp, f"the venue to see {symbol} {bid}/{ask}")

    def quotes(self) -> dict[str, dict[str, str]]:
        return dict(self._get("/quotes").get("quotes", {}))

    def gateway_logged_on(self) -> bool:
        return bool(self._get("/fix").get("logged_on"))

    def session_day(self) -> str | None:
        value = self._get("/quotes").get("session_day")
        return None if value is None else str(value)

    def announce_session(self, day: str) -> None:
        """What the gateway's replay says on every tick: the replayed trading day."""
        self.publish("session", {"exchange": "HIST", "day": day})
        wait_until(lambda: self.session_day() == day, f"the venue to be in session {day}")


def fix_broker(venue: VenueProcess, store: Path, *callbacks: Callable[..., None], **options: Any) -> FixBroker:
    """A started adapter; ``callbacks`` are registered before it logs on, as the BrokerGateway
    does, so that nothing resent right at the logon is missed."""
    broker = FixBroker(venue.endpoint, store, **options)
    for callback in callbacks:
        broker.register_callback(callback)
    broker.start()
    wait_until(lambda: broker.logged_on, "the FIX logon")
    return broker
