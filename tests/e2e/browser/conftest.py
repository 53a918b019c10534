"""Browser fixtures: Debian's chromium (``scripts/install-browser``) driven by Playwright, against
the e2e ``stack`` (web, worker and gateway processes on the local servers).

``playwright install`` cannot download its own browser here, so Playwright is pointed at the
system binary. The background-networking flags matter: without them Chromium reaches for Google
services at start-up, and this machine's closed network refuses those connections.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from tradewind.adapters.aws.postgres.orders import PgUnitOfWork
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser

from ..conftest import Stack
from .proxy import TcpProxy

CHROMIUM = os.environ.get("TRADEWIND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1600, "height": 900}
WAIT_MS = 30_000  # generous deadline for anything that crosses Kafka and three processes


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if shutil.which(CHROMIUM) is None:  # an absolute path works too: it must exist and be executable
        pytest.fail(f"{CHROMIUM} not found; install it with scripts/install-browser")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class Desk:
    """One signed-in trader's browser tab, and the JS errors it raised (must stay empty)."""

    page: Page
    context: BrowserContext
    base_url: str
    token: str
    errors: list[str] = field(default_factory=list)


def by_id(testid: str) -> str:
    return f'[data-testid="{testid}"]'


async def ticket(desk: Desk, *, qty: int, type_: str = "market", limit: str = "", side: str = "buy") -> None:
    page = desk.page
    await page.click(by_id(f"side-{side}"))
    await page.select_option(by_id("ticket-symbol"), "AAPL")
    await page.select_option(by_id("ticket-type"), type_)
    await page.fill(by_id("ticket-qty"), str(qty))
    if limit:
        await page.fill(by_id("ticket-limit"), limit)
    await page.click(by_id("ticket-submit"))


async def sign_in(browser: Browser, base_url: str, token: str) -> Desk:
    context = await browser.new_context(viewport=VIEWPORT, base_url=base_url)
    page = await context.new_page()
    desk = Desk(page, context, base_url, token)
    page.on("pageerror", lambda exc: desk.errors.append(str(exc)))
    await page.goto("/")
    await expect(page).to_have_url(f"{base_url}/login")
    await page.fill('[data-testid="token"]', token)
    await page.click('[data-testid="sign-in"]')
    await expect(page).to_have_url(f"{base_url}/", timeout=WAIT_MS)
    await expect(page.locator('[data-testid="connection"]')).to_have_attribute("data-state", "live", timeout=WAIT_MS)
    return desk


@pytest.fixture
async def new_trader(local_settings: Settings) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """``await new_trader("name")`` -> the API token of a fresh account with 100,000 cash in the
    stack's database. In-process through the ``CreateUser`` use case (what ``tradewind users
    create`` runs), to spare a CLI process start per test; ``tests/e2e/test_order_flow.py``
    covers the command itself."""
    pool = await asyncpg.create_pool(local_settings.pg_dsn, min_size=1, max_size=2)
    create = CreateUser(lambda: PgUnitOfWork(pool))

    async def make(prefix: str) -> str:
        return (await create(f"{prefix}-{uuid.uuid4().hex[:8]}", "100000")).token

    try:
        yield make
    finally:
        await pool.close()


@pytest.fixture
async def desk(browser: Browser, stack: Stack, new_trader: Callable[[str], Awaitable[str]]) -> AsyncIterator[Desk]:
    """A fresh trader (100,000 cash) signed in on the dashboard, straight to the web process."""
    signed_in = await sign_in(browser, stack.base_url, await new_trader("browser"))
    try:
        yield signed_in
    finally:
        await signed_in.context.close()
    assert not signed_in.errors, f"JavaScript errors on the page: {signed_in.errors}"


@pytest.fixture
async def proxy(stack: Stack) -> AsyncIterator[TcpProxy]:
    """A cuttable network path to the web process (see proxy.py)."""
    tcp = TcpProxy(int(stack.base_url.rsplit(":", 1)[1]))
    await tcp.start()
    try:
        yield tcp
    finally:
        await tcp.stop()
