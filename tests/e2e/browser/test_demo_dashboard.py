"""The newcomer's path: ``tradewind demo`` prints a dashboard URL; opening it lands on the trader's
screen, signed in as the demo account, with real-history quotes moving and a market order that
fills (memory profile, one process, in-memory session store)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from ..conftest import free_port
from .conftest import VIEWPORT, WAIT_MS, Desk, by_id, ticket

pytestmark = pytest.mark.e2e

TRADEWIND = str(Path(sys.executable).with_name("tradewind"))


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, str]]:
    port = free_port()
    log = tmp_path / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEWIND_")} | {"PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [TRADEWIND, "demo", "--port", str(port)], stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env
    )
    try:
        yield proc, log, f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def test_the_printed_dashboard_url_opens_signed_in(
    demo: tuple[subprocess.Popen[bytes], Path, str], browser: Browser, eventually: Any
) -> None:
    proc, log, base = demo

    async def printed_url() -> str | None:
        assert proc.poll() is None, log.read_text()
        found = re.search(r"Dashboard:\s+(\S+)", log.read_text())
        if found is None:
            return None
        async with httpx.AsyncClient() as client:
            try:
                ok = (await client.get(f"{base}/healthz")).status_code == 200
            except httpx.TransportError:
                ok = False
        return found.group(1) if ok else None

    url = await eventually(printed_url, timeout=120, interval=0.2, what="the demo to print its dashboard URL")
    assert url.startswith(f"{base}/")

    context = await browser.new_context(viewport=VIEWPORT)
    try:
        page = await context.new_page()
        desk = Desk(page, context, base, token="demo")
        page.on("pageerror", lambda exc: desk.errors.append(str(exc)))
        await page.goto(url)
        await expect(page).to_have_url(f"{base}/", timeout=WAIT_MS)  # signed in, the fragment forgotten
        await expect(page.locator(".who")).to_have_text("demo")
        last = page.locator(f'{by_id("watchlist")} tr[data-symbol="AAPL"] [data-col="last"]')
        await expect(last).not_to_have_text("—", timeout=WAIT_MS)
        first = await last.inner_text()
        await expect(last).not_to_have_text(first, timeout=WAIT_MS)

        await ticket(desk, qty=5)
        await page.click(f'{by_id("blotter-filter")} [data-filter="all"]')
        row = page.locator(f'{by_id("blotter")} tr[data-symbol="AAPL"]').first
        await expect(row).to_have_attribute("data-status", "filled", timeout=WAIT_MS)
        await expect(page.locator(f'{by_id("positions")} tr[data-symbol="AAPL"]')).to_have_attribute(
            "data-qty", "5", timeout=WAIT_MS
        )
        assert not desk.errors, desk.errors
    finally:
        await context.close()
