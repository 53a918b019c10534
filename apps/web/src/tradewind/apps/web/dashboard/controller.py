"""The trader's screen: sign-in, the dashboard page, sign-out. Server-rendered through Litestar's
Jinja engine; everything on the page after that comes from the public JSON API and the one SSE
stream, exactly as any other client sees it (the page holds no private back door)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from tradewind.application.accounts.users import Authenticate
from tradewind.apps.web.dashboard.session import csrf_token, same_origin, session_token, sign_in, sign_out, verify_csrf
from tradewind.domain.accounts import Account
from tradewind.domain.instruments import DEFAULT_WATCHLIST, SYMBOLS

#: the one inline style the page needs: the <style> block lightweight-charts 5.2.1 injects for its
#: TradingView attribution logo (re-check the hash in the browser console when bumping the library)
_CHART_LOGO_STYLE = "'sha256-3pRED1tOXas1FXFoPb9TGCjmYe9XQsmO9OV23khV2nY='"
#: what the page itself may load: only our own origin (the vendored libraries included, no CDN)
CONTENT_SECURITY_POLICY = (
    f"default-src 'self'; script-src 'self'; style-src 'self' {_CHART_LOGO_STYLE}; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


async def _signed_in(request: Request[Any, Any, Any], authenticate: Authenticate) -> Account | None:
    token = session_token(request)
    return await authenticate(token) if token else None


def _login_page(error: str | None = None, status: int = 200) -> Template:
    return Template("login.html", context={"error": error}, status_code=status, headers=_PAGE_HEADERS)


class DashboardController(Controller):
    path = "/"
    include_in_schema = False

    @get("/")
    async def dashboard(self, request: Request[Any, Any, Any], authenticate: Authenticate) -> Response[Any]:
        account = await _signed_in(request, authenticate)
        if account is None:
            return Redirect("/login")
        context = {
            "account_name": account.name,
            "csrf_token": csrf_token(request),
            # the default watchlist first, then the rest of the tradable universe (20 names)
            "watchlist": [*DEFAULT_WATCHLIST, *sorted(SYMBOLS - set(DEFAULT_WATCHLIST))],
            "symbols": sorted(SYMBOLS),
        }
        return Template("dashboard.html", context=context, headers=_PAGE_HEADERS)

    @get("/login")
    async def login_form(self, request: Request[Any, Any, Any], authenticate: Authenticate) -> Response[Any]:
        if await _signed_in(request, authenticate) is not None:
            return Redirect("/")
        return _login_page()

    @post("/login", status_code=303)
    async def login(self, request: Request[Any, Any, Any], authenticate: Authenticate) -> Response[Any]:
        if not same_origin(request):  # login CSRF: another site signing this browser in as someone else
            return _login_page("Sign-in must come from this page.", status=403)
        form = await request.form()
        token = str(form.get("token") or "").strip()
        if not token:
            return _login_page("Paste your API token.", status=422)
        account = await authenticate(token)
        if account is None:
            return _login_page("That token is not valid.", status=401)
        sign_in(request, token, account.name)
        return Redirect("/", status_code=303)

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Response[Any]:
        if session_token(request) is not None:
            form = await request.form()
            verify_csrf(request, submitted=str(form.get("csrf_token") or ""))
            sign_out(request)
        return Redirect("/login", status_code=303)
