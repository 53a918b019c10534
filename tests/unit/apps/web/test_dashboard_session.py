"""The dashboard's sign-in session and CSRF defence on the memory profile (no I/O): the cookie's
flags, a fresh session id at sign-in, writes that must carry the session's token and come from
our own origin, sign-out that ends the session server-side, and pages that load nothing from
anywhere but the app itself. The real-browser flow runs in tests/e2e/browser."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.testing import AsyncTestClient

import tradewind.apps.web.dashboard as dashboard_pkg
from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.apps.web.dashboard.plugin import dashboard_plugin
from tradewind.apps.web.main import build_app
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote

TOKEN = "alice-token"
ORDER = {"symbol": "AAPL", "side": "buy", "qty": 1, "type": "market"}
DASHBOARD = Path(dashboard_pkg.__file__).parent


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient[Any]]:
    settings = Settings(profile="memory")
    adapters: Any = build_adapters(settings)
    await CreateUser(adapters.uow)("alice", "100000", token=TOKEN)
    price = Decimal("100")
    await adapters.prices().put(Quote("AAPL", price, price, price, utcnow()))
    async with AsyncTestClient(build_app(settings, adapters)) as c:
        yield c


async def sign_in(client: AsyncTestClient[Any]) -> str:
    """Sign in; return the page's CSRF token."""
    r = await client.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    page = await client.get("/")
    assert page.status_code == 200
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert match
    return match.group(1)


async def test_the_dashboard_redirects_to_sign_in_without_a_session(client: AsyncTestClient[Any]) -> None:
    r = await client.get("/", follow_redirects=False)
    assert r.status_code in (302, 303) and r.headers["location"] == "/login"
    assert (await client.get("/login")).status_code == 200


async def test_a_wrong_or_missing_token_is_refused_on_the_page(client: AsyncTestClient[Any]) -> None:
    r = await client.post("/login", data={"token": "nope"})
    assert r.status_code == 401 and "That token is not valid." in r.text
    r = await client.post("/login", data={"token": ""})
    assert r.status_code == 422
    assert "tw_session" not in client.cookies


async def test_the_session_cookie_is_httponly_strict_and_holds_no_token(client: AsyncTestClient[Any]) -> None:
    r = await client.post("/login", data={"token": TOKEN}, follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("tw_session=")
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie
    assert TOKEN not in cookie  # only a random id; the token stays server-side
    page = await client.get("/")
    assert "alice" in page.text and TOKEN not in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


async def test_the_account_name_is_escaped_on_the_page() -> None:
    settings = Settings(profile="memory")
    adapters: Any = build_adapters(settings)
    await CreateUser(adapters.uow)("<script>alert(1)</script>", "1000", token="xss-token")
    async with AsyncTestClient(build_app(settings, adapters)) as c:
        await c.post("/login", data={"token": "xss-token"})
        page = (await c.get("/")).text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


async def test_sign_in_gets_a_fresh_session_id(client: AsyncTestClient[Any]) -> None:
    client.cookies.set("tw_session", "planted-by-someone-else")
    r = await client.post("/login", data={"token": TOKEN}, follow_redirects=False)
    fresh = r.cookies.get("tw_session")
    assert fresh and fresh != "planted-by-someone-else"
    client.cookies.clear()
    client.cookies.set("tw_session", "planted-by-someone-else")
    assert (await client.get("/api/v1/orders")).status_code == 401


async def test_the_api_accepts_the_session_for_reads_and_guarded_writes(client: AsyncTestClient[Any]) -> None:
    csrf = await sign_in(client)
    r = await client.get("/api/v1/orders")
    assert r.status_code == 200  # reads need no CSRF token
    # ...and write nothing back: a request in flight across a sign-out cannot resurrect the session
    assert "set-cookie" not in r.headers

    r = await client.post("/api/v1/orders", json=ORDER)
    assert r.status_code == 403 and r.json()["error"] == "csrf_failed"
    r = await client.post("/api/v1/orders", json=ORDER, headers={"X-CSRF-Token": "guess"})
    assert r.status_code == 403
    r = await client.post("/api/v1/orders", json=ORDER, headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"})
    assert r.status_code == 403 and r.json()["detail"] == "cross-site request refused"
    r = await client.post("/api/v1/orders", json=ORDER, headers={"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403

    r = await client.post("/api/v1/orders", json=ORDER, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 202, r.text
    order_id = r.json()["id"]
    r = await client.delete(f"/api/v1/orders/{order_id}")
    assert r.status_code == 403  # DELETE and PATCH are writes too
    r = await client.patch(f"/api/v1/orders/{order_id}", json={"qty": 2})
    assert r.status_code == 403


async def test_bearer_clients_need_no_csrf_token_and_get_no_session(client: AsyncTestClient[Any]) -> None:
    r = await client.post("/api/v1/orders", json=ORDER, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 202
    assert "set-cookie" not in r.headers  # API traffic never creates sessions


async def test_a_cross_site_sign_in_is_refused(client: AsyncTestClient[Any]) -> None:
    r = await client.post("/login", data={"token": TOKEN}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert "tw_session" not in client.cookies


async def test_sign_out_needs_the_token_and_ends_the_session(client: AsyncTestClient[Any]) -> None:
    csrf = await sign_in(client)
    old = client.cookies["tw_session"]
    r = await client.post("/logout", data={"csrf_token": "wrong"}, follow_redirects=False)
    assert r.status_code == 403
    r = await client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    client.cookies.clear()
    client.cookies.set("tw_session", old)  # a copy of the old cookie is worthless now
    r = await client.get("/api/v1/orders")
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    assert (await client.get("/", follow_redirects=False)).headers["location"] == "/login"


async def test_static_files_and_the_vendored_chart_library_are_served_by_the_app(client: AsyncTestClient[Any]) -> None:
    r = await client.get("/static/dashboard/vendor/lightweight-charts/lightweight-charts.standalone.production.js")
    assert r.status_code == 200 and "TradingView Lightweight Charts" in r.text[:400]
    assert "Apache License" in (DASHBOARD / "static/vendor/lightweight-charts/LICENSE").read_text()
    for path in ("/static/dashboard/js/main.js", "/static/dashboard/dashboard.css", "/static/dashboard/login.js"):
        assert (await client.get(path)).status_code == 200, path


def test_pages_and_scripts_load_nothing_from_another_origin() -> None:
    """No CDN at run time: templates and our scripts reference only the app's own paths."""
    external = re.compile(
        r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|fetch\(\s*["'`]https?://|EventSource\(\s*["'`]https?://"""
    )
    files = [*DASHBOARD.glob("templates/*.html"), *DASHBOARD.glob("static/*.js"), *DASHBOARD.glob("static/js/*.js")]
    assert files
    offenders = [f.name for f in files if external.search(f.read_text())]
    assert offenders == []


def test_the_session_store_follows_the_profile() -> None:
    local = dashboard_plugin(build_adapters(Settings(profile="local")), "local")
    memory = dashboard_plugin(build_adapters(Settings(profile="memory")), "memory")
    assert isinstance(local._store, RedisStore)  # every web worker sees every session
    assert isinstance(memory._store, MemoryStore)
