"""The e2e stack: ``tradewind web``, ``worker`` and ``gateway`` started as a user would, as three
processes on the local servers, against this session's own database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tradewind.adapters.aws.settings import Settings

TRADEWIND = str(Path(sys.executable).with_name("tradewind"))


#: the session stack's gateway while it runs: it consumes the shared ``order.commands`` topic, so
#: a test whose own gateway must be the only one to work its orders pauses it (``paused_session_gateway``)
SESSION_GATEWAYS: list[subprocess.Popen[bytes]] = []


@contextmanager
def paused_session_gateway() -> Iterator[None]:
    """SIGSTOP the session stack's gateway (if it runs) for the block, SIGCONT after. Its paper
    broker would otherwise also take this test's orders from the shared topic and fill them."""
    paused = [p for p in SESSION_GATEWAYS if p.poll() is None]
    for proc in paused:
        proc.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        for proc in paused:
            proc.send_signal(signal.SIGCONT)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    base_url: str
    env: dict[str, str]
    logs: Path

    def create_user(self, name: str, cash: str = "100000", admin: bool = False) -> str:
        out = subprocess.run(
            [TRADEWIND, "users", "create", name, "--cash", cash, *(["--admin"] if admin else [])],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        )
        return out.stdout.strip().splitlines()[-1]


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{url} process exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)  # polling a process we do not control; bounded by the deadline
    raise AssertionError(f"{url} not ready:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def stack(local_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    web_port, worker_port, gateway_port = free_port(), free_port(), free_port()
    logs = tmp_path_factory.mktemp("stack-logs")
    env = {
        **os.environ,
        "TRADEWIND_PROFILE": "local",
        "TRADEWIND_PG_DATABASE": local_settings.pg_database,
        "TRADEWIND_WEB_PORT": str(web_port),
        "TRADEWIND_WORKER_HEALTH_PORT": str(worker_port),
        "TRADEWIND_GATEWAY_HEALTH_PORT": str(gateway_port),
        # Fresh consumer groups that start at the end of the shared topics: this stack sees only
        # what it produces, not the history other test sessions left on the local Kafka.
        "TRADEWIND_KAFKA_GROUP_PREFIX": f"e2e-{uuid.uuid4().hex[:8]}-",
        "TRADEWIND_KAFKA_NEW_GROUP_OFFSET": "latest",
        # The in-process paper broker, not the local default (the venue over FIX): these tests are
        # of the order core, driven by the paper broker's sliced fills at a set latency, and the
        # one venue `scripts/services` started is shared by every test session on the machine
        # (one FIX session). The venue has tests of its own, each with a venue process of its
        # own (test_venue_outlives_gateway.py), and test_services_restart.py runs the default.
        "TRADEWIND_BROKER": "paper",
        "TRADEWIND_PAPER_SLICE_QTY": "40",
        # a replayed day lasts 39 s: resting DAY orders of a test must not expire under it
        "TRADEWIND_PAPER_EXPIRE_DAY_ORDERS": "false",
        "TRADEWIND_PAPER_LATENCY_MS": "5",
        "TRADEWIND_QUOTE_INTERVAL_MS": "200",
    }
    procs: list[subprocess.Popen[bytes]] = []
    commands = {
        "worker": ([TRADEWIND, "worker"], f"http://127.0.0.1:{worker_port}/readyz"),
        "gateway": ([TRADEWIND, "gateway"], f"http://127.0.0.1:{gateway_port}/readyz"),
        "web": ([TRADEWIND, "web", "--port", str(web_port)], f"http://127.0.0.1:{web_port}/readyz"),
    }
    try:
        for name, (cmd, _) in commands.items():
            log = (logs / f"{name}.log").open("wb")
            procs.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT))
            if name == "gateway":
                SESSION_GATEWAYS.append(procs[-1])
        deadline = time.monotonic() + 90
        for proc, (name, (_, url)) in zip(procs, commands.items(), strict=True):
            _wait_ready(url, proc, logs / f"{name}.log", deadline)
        yield Stack(f"http://127.0.0.1:{web_port}", env, logs)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
