"""`tradewind demo` as a newcomer runs it: one process, memory profile, a market order from the
API fills within a second at a real-history quote; the same with ``--venue`` (the paper venue in
the process, reached over FIX 4.4 on loopback)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import free_port

TRADEWIND = str(Path(sys.executable).with_name("tradewind"))


@pytest.mark.parametrize("flags", [[], ["--venue"]], ids=["paper", "venue"])
async def test_the_demo_fills_a_market_order(eventually: Any, tmp_path: Path, flags: list[str]) -> None:
    port = free_port()
    log = tmp_path / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEWIND_")}
    env["TRADEWIND_VENUE_PORT"] = str(free_port())  # not the local stack's venue
    proc = subprocess.Popen(
        [TRADEWIND, "demo", "--port", str(port), *flags], stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:

            async def up() -> bool:
                assert proc.poll() is None, log.read_text()
                try:
                    return (await client.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(up, timeout=60, what="the demo to serve")
            printed = log.read_text()
            token = next(line.split()[-1] for line in printed.splitlines() if "API token" in line)
            assert base in printed
            auth = {"Authorization": f"Bearer {token}"}
            quotes = (await client.get("/api/v1/market/quotes?symbols=AAPL", headers=auth)).json()
            assert quotes and quotes[0]["stale"] is False
            r = await client.post(
                "/api/v1/orders", headers=auth, json={"symbol": "AAPL", "side": "buy", "qty": 3, "type": "market"}
            )
            assert r.status_code == 202, r.text
            order_id = r.json()["id"]

            async def filled() -> dict[str, Any] | None:
                got = (await client.get(f"/api/v1/orders/{order_id}", headers=auth)).json()
                return got if got.get("status") == "filled" else None

            got = await eventually(filled, timeout=1.0, interval=0.01, what="the fill within a second")
            assert got["filled_qty"] == 3 and got["filled_avg_price"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
