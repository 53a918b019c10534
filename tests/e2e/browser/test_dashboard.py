"""The trader's dashboard in a real headless Chromium, on the ``local`` stack (three processes,
real PostgreSQL, Redis and Kafka): sign in, quotes move, a market order fills and its position
appears, a limit order is canceled and another amended, a risk rejection shows inline, sign-out is
final.
Network drops under a live page: test_dashboard_reconnect.py.

Every wait is a condition with a deadline (Playwright's ``expect``), never a sleep.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, expect

from tradewind.adapters.aws.postgres.orders import PgUnitOfWork
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser

from ..conftest import Stack
from .conftest import WAIT_MS, Desk, by_id, ticket

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOT = ROOT / "docs" / "screenshots" / "dashboard.png"


async def test_sign_in_shows_live_quotes(desk: Desk) -> None:
    page = desk.page
    last = page.locator(f'{by_id("watchlist")} tr[data-symbol="AAPL"] [data-col="last"]')
    await expect(last).not_to_have_text("—", timeout=WAIT_MS)
    first = await last.inner_text()
    await expect(last).not_to_have_text(first, timeout=WAIT_MS)  # the real-history replay moves it
    assert "." in await last.inner_text()
    # the chart follows the selected symbol
    await expect(page.locator(by_id("chart-symbol"))).to_have_text("AAPL")
    await expect(page.locator(by_id("chart-last"))).not_to_have_text("", timeout=WAIT_MS)


async def test_a_wrong_token_is_refused_at_sign_in(browser: Browser, stack: Stack) -> None:
    context = await browser.new_context(base_url=stack.base_url)
    try:
        page = await context.new_page()
        await page.goto("/login")
        await page.fill(by_id("token"), "tw_not-a-real-token")
        await page.click(by_id("sign-in"))
        await expect(page.locator(by_id("login-error"))).to_have_text("That token is not valid.")
        await page.goto("/")
        await expect(page).to_have_url(f"{stack.base_url}/login")
    finally:
        await context.close()


async def test_market_order_fills_in_the_blotter_and_the_position_appears(desk: Desk, tmp_path: Path) -> None:
    page = desk.page
    await ticket(desk, qty=7)
    await expect(page.locator(by_id("ticket-message"))).to_have_attribute("data-kind", "accepted", timeout=WAIT_MS)
    await page.click(f'{by_id("blotter-filter")} [data-filter="all"]')
    row = page.locator(f'{by_id("blotter")} tr[data-symbol="AAPL"]').first
    await expect(row).to_have_attribute("data-status", "filled", timeout=WAIT_MS)
    await expect(row.locator("td").nth(5)).to_have_text("7")  # filled qty
    position = page.locator(f'{by_id("positions")} tr[data-symbol="AAPL"]')
    await expect(position).to_have_attribute("data-qty", "7", timeout=WAIT_MS)
    await expect(page.locator('[data-field="equity"]')).not_to_have_text("—", timeout=WAIT_MS)

    # a limit order far below the market rests, so the screenshot shows an open order too
    await ticket(desk, qty=3, type_="limit", limit="1.00")
    resting = page.locator(f'{by_id("blotter")} tr[data-status="accepted"]')
    await expect(resting).to_have_count(1, timeout=WAIT_MS)
    # TRADEWIND_UPDATE_SCREENSHOT=1 refreshes the README's picture; otherwise it stays out of the tree
    shot = SCREENSHOT if os.environ.get("TRADEWIND_UPDATE_SCREENSHOT") else tmp_path / "dashboard.png"
    await page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


async def test_limit_order_is_placed_then_canceled(desk: Desk) -> None:
    page = desk.page
    await ticket(desk, qty=4, type_="limit", limit="1.00")
    row = page.locator(f'{by_id("blotter")} tr[data-symbol="AAPL"]').first
    await expect(row).to_have_attribute("data-status", "accepted", timeout=WAIT_MS)

    await row.locator(by_id("cancel")).click()
    await expect(page.locator(f'{by_id("blotter")} tr[data-symbol="AAPL"]')).to_have_count(0, timeout=WAIT_MS)
    await page.click(f'{by_id("blotter-filter")} [data-filter="all"]')
    await expect(row).to_have_attribute("data-status", "canceled", timeout=WAIT_MS)


async def test_limit_order_is_amended_from_the_blotter(desk: Desk) -> None:
    page = desk.page
    await ticket(desk, qty=4, type_="limit", limit="1.00")
    row = page.locator(f'{by_id("blotter")} tr[data-symbol="AAPL"]').first
    await expect(row).to_have_attribute("data-status", "accepted", timeout=WAIT_MS)

    await row.locator(by_id("amend")).click()
    await row.locator(by_id("amend-qty")).fill("6")
    await row.locator(by_id("amend-limit")).fill("1.25")
    await row.locator(by_id("amend-save")).click()
    await expect(row.locator("td").nth(4)).to_have_text("6", timeout=WAIT_MS)  # qty
    await expect(row.locator("td").nth(6)).to_have_text("1.25", timeout=WAIT_MS)  # limit
    await expect(row).to_have_attribute("data-status", "accepted", timeout=WAIT_MS)
    await expect(row.locator(".reason")).to_have_count(0)  # no error shown in the row


async def test_a_risk_rejection_is_shown_inline(desk: Desk) -> None:
    page = desk.page
    await ticket(desk, qty=900_000)
    message = page.locator(by_id("ticket-message"))
    await expect(message).to_have_attribute("data-kind", "rejected", timeout=WAIT_MS)
    await expect(message).to_contain_text("Rejected by risk")
    await expect(message).to_contain_text("rule: max_order_notional")
    await page.click(f'{by_id("blotter-filter")} [data-filter="all"]')
    await expect(page.locator(f"{by_id('blotter')} tbody tr")).to_have_count(0)  # nothing was placed

    # a field error names the field and marks the input
    await ticket(desk, qty=5, type_="limit", limit="1.00001")
    await expect(message).to_contain_text("limit_price")
    await expect(page.locator(by_id("ticket-limit"))).to_have_class(re.compile(r"\binvalid\b"))


async def test_the_account_strip_shows_the_trading_state_and_why(desk: Desk, local_settings: Settings) -> None:
    page = desk.page
    state = page.locator(by_id("trading-state"))
    await expect(state).to_have_text("active", timeout=WAIT_MS)
    pool = await asyncpg.create_pool(local_settings.pg_dsn, min_size=1, max_size=1)
    try:
        admin = await CreateUser(lambda: PgUnitOfWork(pool))(f"ops-{uuid.uuid4().hex[:8]}", "0", admin=True)
    finally:
        await pool.close()
    async with httpx.AsyncClient(base_url=desk.base_url, timeout=30) as client:
        me = (await client.get("/api/v1/account", headers={"Authorization": f"Bearer {desk.token}"})).json()
        halted = await client.post(
            f"/api/v1/admin/accounts/{me['account_id']}/trading-state",
            json={"state": "reducing", "reason": "desk over its loss budget"},
            headers={"Authorization": f"Bearer {admin.token}"},
        )
        assert halted.status_code == 200, halted.text
    await page.reload()
    await expect(state).to_have_text("reducing", timeout=WAIT_MS)
    await expect(state).to_have_attribute("title", "desk over its loss budget")
    await expect(state).to_have_class(re.compile(r"\bdown\b"))


async def test_sign_out_ends_the_session(desk: Desk) -> None:
    page = desk.page
    cookies = await desk.context.cookies()
    session = next(c for c in cookies if c["name"] == "tw_session")
    assert session["httpOnly"] and session["sameSite"] == "Strict"

    await page.click(by_id("sign-out"))
    await expect(page).to_have_url(f"{desk.base_url}/login")
    await page.goto("/")
    await expect(page).to_have_url(f"{desk.base_url}/login")
    # the old cookie, replayed by hand, is refused too: the server deleted the session
    async with httpx.AsyncClient(base_url=desk.base_url) as client:
        r = await client.get("/api/v1/orders", headers={"Cookie": f"tw_session={session['value']}"})
    assert r.status_code == 401
    assert r.json()["error"] == "unauthorized"
