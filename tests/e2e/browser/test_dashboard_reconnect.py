"""The dashboard when the network drops under a live page (a TCP proxy between the browser and
the web process cuts it, see proxy.py), on the ``local`` stack.

- A plain drop: the browser's EventSource reconnects by itself and sends ``Last-Event-ID``; the
  server replays the order events the page missed, so the order filled during the outage shows
  up filled without reloading anything.
- A refused reconnect (503): the browser gives the EventSource up; the page opens a new one after
  a backoff and re-reads its panels over REST, so it converges all the same.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Request, expect

from ..conftest import Stack
from .conftest import WAIT_MS, Desk, by_id, sign_in, ticket
from .proxy import TcpProxy

pytestmark = pytest.mark.e2e


@pytest.fixture
async def proxied_desk(
    browser: Browser, proxy: TcpProxy, new_trader: Callable[[str], Awaitable[str]]
) -> AsyncIterator[Desk]:
    """A trader signed in through the cuttable proxy, with one filled order already on screen (so
    the stream has an event id to resume from)."""
    desk = await sign_in(browser, f"http://127.0.0.1:{proxy.port}", await new_trader("reconnect"))
    try:
        await ticket(desk, qty=2)
        await desk.page.click(f'{by_id("blotter-filter")} [data-filter="all"]')
        filled = desk.page.locator(f'{by_id("blotter")} tr[data-status="filled"]')
        await expect(filled).to_have_count(1, timeout=WAIT_MS)
        yield desk
    finally:
        await desk.context.close()
    assert not desk.errors, f"JavaScript errors on the page: {desk.errors}"


async def place_while_cut_off(stack: Stack, token: str, eventually: Any) -> str:
    """An order placed and filled while the browser cannot see it (straight to the web process)."""
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as api:
        r = await api.post(
            "/api/v1/orders", headers=auth, json={"symbol": "AAPL", "side": "buy", "qty": 3, "type": "market"}
        )
        assert r.status_code == 202, r.text
        order_id = str(r.json()["id"])

        async def filled() -> bool:
            got = await api.get(f"/api/v1/orders/{order_id}", headers=auth)
            return got.status_code == 200 and got.json()["status"] == "filled"  # 404 until projected

        await eventually(filled, timeout=WAIT_MS / 1000, what="the order placed during the outage to fill")
    return order_id


async def test_the_stream_resumes_with_last_event_id_after_a_network_drop(
    proxied_desk: Desk, stack: Stack, proxy: TcpProxy, eventually: Any
) -> None:
    page = proxied_desk.page
    stream_requests: list[Request] = []
    page.on("request", lambda r: stream_requests.append(r) if "/api/v1/stream" in r.url else None)
    seen_id = await page.evaluate("window.tradewind.stream.lastEventId")
    assert seen_id

    proxy.hold()  # the reconnect attempt will hang until release()
    proxy.sever()  # ...and the live stream dies under the page
    connection = page.locator(by_id("connection"))
    await expect(connection).to_have_attribute("data-state", "reconnecting", timeout=WAIT_MS)
    missed = await place_while_cut_off(stack, proxied_desk.token, eventually)

    proxy.release()
    await expect(connection).to_have_attribute("data-state", "live", timeout=WAIT_MS)
    row = page.locator(f'{by_id("blotter")} tr[data-order-id="{missed}"]')
    await expect(row).to_have_attribute("data-status", "filled", timeout=WAIT_MS)
    # all_headers(): Last-Event-ID is added by the network layer, so .headers does not show it
    sent = [(await r.all_headers()).get("last-event-id") for r in stream_requests]
    assert sent and all(s is not None and int(s) >= int(seen_id) for s in sent), sent


async def test_the_page_recovers_when_the_reconnect_is_refused(
    proxied_desk: Desk, stack: Stack, proxy: TcpProxy, eventually: Any
) -> None:
    page = proxied_desk.page
    proxy.refuse()  # every new connection gets a 503
    proxy.sever()
    connection = page.locator(by_id("connection"))
    await expect(connection).to_have_attribute("data-state", "down", timeout=WAIT_MS)
    missed = await place_while_cut_off(stack, proxied_desk.token, eventually)

    proxy.release()
    await expect(connection).to_have_attribute("data-state", "live", timeout=WAIT_MS)
    row = page.locator(f'{by_id("blotter")} tr[data-order-id="{missed}"]')
    await expect(row).to_have_attribute("data-status", "filled", timeout=WAIT_MS)
