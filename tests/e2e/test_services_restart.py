"""Invariant 12 (issue 12): ``scripts/services down`` then ``up`` brings back a working platform.

A clone of this commit runs its own servers on ports of its own (PostgreSQL, Redis, Kafka, moto,
kinesalite) and the three processes; a market order fills; everything is stopped (processes and
servers, as a machine reboot would) and started again; the web's ``/readyz`` is red while no
price has arrived yet, then green, and a market order fills again. The time from the restart to
that fill is printed (the issue's bar is 10 s), not asserted: these machines are noisy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import free_port

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def run(*cmd: str, cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert out.returncode == 0, f"{' '.join(cmd)}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out


def readyz(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def wait_for(check: Any, *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)  # polling processes we do not control, bounded by the deadline
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Clone:
    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env = root, env
        self.procs: list[subprocess.Popen[bytes]] = []
        self.web = f"http://127.0.0.1:{env['TRADEWIND_WEB_PORT']}"

    def tradewind(self, *args: str) -> str:
        return run(str(self.root / ".venv" / "bin" / "tradewind"), *args, cwd=self.root, env=self.env).stdout

    def start_processes(self, *names: str) -> None:
        logs = self.root / ".local" / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for name in names or ("worker", "gateway", "web"):
            extra = ["--port", self.env["TRADEWIND_WEB_PORT"]] if name == "web" else []
            log = (logs / f"{name}-{time.monotonic_ns()}.log").open("wb")
            cmd = [str(self.root / ".venv" / "bin" / "tradewind"), name, *extra]
            self.procs.append(subprocess.Popen(cmd, cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT))

    def stop_processes(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = []


@pytest.fixture
def clone() -> Iterator[Clone]:
    top = Path(tempfile.mkdtemp(prefix="tw-restart-"))
    root = top / "tradewind"
    env = {
        **os.environ,
        "TRADEWIND_PROFILE": "local",
        "TRADEWIND_PG_PORT": str(free_port()),
        "TRADEWIND_REDIS_PORT": str(free_port()),
        "TRADEWIND_KAFKA_PORT": str(free_port()),
        "TRADEWIND_KAFKA_CONTROLLER_PORT": str(free_port()),
        "TRADEWIND_MOTO_PORT": str(free_port()),
        "TRADEWIND_KINESIS_PORT": str(free_port()),
        "TRADEWIND_VENUE_PORT": str(free_port()),  # scripts/services starts the venue too
        "TRADEWIND_VENUE_HEALTH_PORT": str(free_port()),
        "TRADEWIND_WEB_PORT": str(free_port()),
        "TRADEWIND_WORKER_HEALTH_PORT": str(free_port()),
        "TRADEWIND_GATEWAY_HEALTH_PORT": str(free_port()),
        "TRADEWIND_PAPER_LATENCY_MS": "5",
    }
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    run("git", "clone", "--quiet", str(REPO), str(root), cwd=top, env=env)
    run("git", "checkout", "--quiet", head.strip(), cwd=root, env=env)
    (root / ".venv").symlink_to(REPO / ".venv")  # the same packages; this commit's code
    c = Clone(root, env)
    try:
        yield c
    finally:
        c.stop_processes()
        subprocess.run(["scripts/services", "down"], cwd=root, env=env, capture_output=True, timeout=120, check=False)
        shutil.rmtree(top, ignore_errors=True)


def market_order_fills(web: str, token: str) -> float:
    started = time.monotonic()
    with httpx.Client(base_url=web, timeout=10, headers={"Authorization": f"Bearer {token}"}) as client:

        def placed() -> str | None:
            answer = client.post("/api/v1/orders", json={"symbol": "AAPL", "side": "buy", "qty": 1, "type": "market"})
            return answer.json()["id"] if answer.status_code == 202 else None  # 422 until prices flow

        order_id = wait_for(placed, timeout=120, what="an order accepted (prices flowing)")
        wait_for(
            lambda: client.get(f"/api/v1/orders/{order_id}").json()["status"] == "filled",
            timeout=60,
            what="the market order to fill",
        )
    return time.monotonic() - started


@pytest.mark.timeout(600)  # two whole stacks (now with the venue) on a shared 2-core machine: 357 s at load 20
def test_services_down_then_up_brings_back_a_working_platform(clone: Clone) -> None:
    run("scripts/services", "up", cwd=clone.root, env=clone.env)
    clone.tradewind("infra", "init")
    token = clone.tradewind("users", "create", f"restart-{uuid.uuid4().hex[:6]}", "--cash", "100000").splitlines()[-1]
    clone.start_processes()
    wait_for(lambda: readyz(f"{clone.web}/readyz") == 200, timeout=120, what="the web ready")
    market_order_fills(clone.web, token)

    clone.stop_processes()
    run("scripts/services", "down", cwd=clone.root, env=clone.env)
    restarted = time.monotonic()
    run("scripts/services", "up", cwd=clone.root, env=clone.env)
    clone.start_processes("web")  # alone: nothing brings prices yet (the gateway replays them)
    first = wait_for(lambda: readyz(f"{clone.web}/readyz") or None, timeout=60, what="/readyz answering")
    assert first == 503, "the web said ready before any price had arrived"
    clone.start_processes("worker", "gateway")
    wait_for(lambda: readyz(f"{clone.web}/readyz") == 200, timeout=120, what="the web ready again")
    took = market_order_fills(clone.web, token)
    print(
        f"restart: servers up and a market order filled {time.monotonic() - restarted:.1f}s after `up` began "
        f"(the order itself {took:.1f}s)"
    )
