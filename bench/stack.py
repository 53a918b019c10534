"""Start web, worker and gateway as processes on the local servers, for the benchmarks."""

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
from pathlib import Path

TRADEWIND = str(Path(sys.executable).with_name("tradewind"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_stack(
    extra_env: dict[str, str],
    log_dir: Path,
    *,
    ports: tuple[int, int, int] | None = None,
    pids: dict[str, int] | None = None,
) -> Iterator[tuple[str, dict[str, str]]]:
    """``ports``: web, worker health, gateway health (default: free ones); ``pids``, if given,
    is filled with each process's pid (for CPU and RSS read from /proc)."""
    # BENCH_PORTS="web,worker,gateway" pins them (a shared machine hands out port ranges); else free ones
    pinned = tuple(int(p) for p in os.environ.get("BENCH_PORTS", "").split(",") if p)
    web, worker, gateway = ports or (pinned if len(pinned) == 3 else (free_port(), free_port(), free_port()))
    env = {
        **os.environ,
        "TRADEWIND_PROFILE": "local",
        "TRADEWIND_WEB_PORT": str(web),
        "TRADEWIND_WORKER_HEALTH_PORT": str(worker),
        "TRADEWIND_GATEWAY_HEALTH_PORT": str(gateway),
        # fresh consumer groups starting at the end of the shared topics
        "TRADEWIND_KAFKA_GROUP_PREFIX": f"bench-{uuid.uuid4().hex[:8]}-",
        "TRADEWIND_KAFKA_NEW_GROUP_OFFSET": "latest",
        # the gateway's FIX store, whatever the cwd: a second store (relative default) restarts the
        # sequence numbers the venue's store remembers, and the venue logs the gateway out
        "TRADEWIND_GATEWAY_FIX_DIR": os.environ.get(
            "TRADEWIND_GATEWAY_FIX_DIR", str(Path(__file__).resolve().parents[1] / ".local" / "gateway-fix")
        ),
        **extra_env,
    }
    log_dir.mkdir(parents=True, exist_ok=True)
    specs = [
        ("worker", [TRADEWIND, "worker"], worker),
        ("gateway", [TRADEWIND, "gateway"], gateway),
        ("web", [TRADEWIND, "web", "--port", str(web)], web),
    ]
    procs = []
    try:
        for name, cmd, _ in specs:
            procs.append(
                subprocess.Popen(cmd, env=env, stdout=(log_dir / f"{name}.log").open("wb"), stderr=subprocess.STDOUT)
            )
            if pids is not None:
                pids[name] = procs[-1].pid
        deadline = time.monotonic() + 90
        for _, _, port in specs:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"stack not ready; logs in {log_dir}")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{web}", env
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
