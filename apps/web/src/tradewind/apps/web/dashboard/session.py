"""The dashboard's sign-in session and its CSRF defence.

The browser holds only a random session id, in an ``HttpOnly``, ``SameSite=Strict`` cookie; the
API token it stands for lives server-side (Redis in ``local``/``aws``, process memory in
``memory``), so page scripts can never read it. Sign-in gets a fresh session id (no session
fixation); sign-out deletes the server-side record, so a copied cookie is refused afterwards.

CSRF: ``SameSite=Strict`` keeps the cookie off cross-site requests in current browsers, and on top
of that every state-changing request authenticated by the cookie must carry the session's own
token in ``X-CSRF-Token`` (the synchronizer-token pattern; a cross-origin page cannot set a custom
header without a CORS preflight we never grant) and, when the browser sends ``Origin``, an Origin
equal to our own. Bearer-token requests are not CSRF-able (browsers never add that header by
themselves) and are left alone.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, ScopeSession

SESSION_COOKIE = "tw_session"
SESSION_MAX_AGE = 12 * 3600  # one long trading day from sign-in (fixed, not sliding)
_LOADED = "tradewind.session_loaded"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ROTATE = "tradewind.rotate_session"


class CsrfRejected(PermissionDeniedException):
    """A cookie-authenticated write without proof that our own page sent it (403 ``csrf_failed``)."""


class RotatingSessionBackend(ServerSideSessionBackend):
    """Litestar's server-side backend with two changes:

    - a fresh id at sign-in: the id the browser arrived with (possibly planted) is deleted and
      never becomes an authenticated session;
    - a session is written only when a request changed it (sign-in, sign-out). Litestar would
      re-store the session on every response: an empty one for each anonymous Bearer API call (a
      store write each), and, worse, a request still in flight when the trader signs out would
      write the session back after sign-out deleted it.
    """

    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.scope[_LOADED] = dict(data)  # type: ignore[literal-required]
        return data

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        scope: Any = connection.scope
        if scope.get(_ROTATE):
            fresh = scope.get(_ROTATE + ".id")
            if fresh is None:
                fresh = scope[_ROTATE + ".id"] = self.generate_session_id()
            return str(fresh)
        return super().get_session_id(connection)

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        old = connection.cookies.get(self.config.key)
        loaded = connection.scope.get(_LOADED)  # type: ignore[misc]
        if scope_session is not Empty and scope_session and scope_session == loaded:
            return  # unchanged: nothing to write (and nothing to resurrect)
        if scope_session is Empty or not scope_session:
            if not old or loaded == {}:
                return  # anonymous, or a cookie for a session that is already gone: leave it
            scope_session = Empty  # signed out: delete the record and expire the cookie
        if connection.scope.get(_ROTATE) and old:  # type: ignore[misc]
            await self.delete(old, store=self.config.get_store_from_app(connection.scope["app"]))
        await super().store_in_message(scope_session, message, connection)


class DashboardSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


def session_config(*, secure: bool) -> DashboardSessionConfig:
    return DashboardSessionConfig(
        key=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=secure,
        store="sessions",
        # Probes and scrapers never carry the cookie; skip the store round trip for them.
        exclude=["^/healthz", "^/readyz", "^/metrics", "^/static/"],
    )


def _session(request: Request[Any, Any, Any]) -> dict[str, Any] | None:
    session = request.scope.get("session")
    return session if isinstance(session, dict) and session else None


def session_token(request: Request[Any, Any, Any]) -> str | None:
    """The API token of the signed-in browser, if this request carries a live session."""
    session = _session(request)
    token = session.get("token") if session else None
    return token if isinstance(token, str) and token else None


def csrf_token(request: Request[Any, Any, Any]) -> str:
    session = _session(request)
    return str(session.get("csrf", "")) if session else ""


def sign_in(request: Request[Any, Any, Any], token: str, name: str) -> None:
    request.scope[_ROTATE] = True  # type: ignore[literal-required]
    request.set_session({"token": token, "name": name, "csrf": secrets.token_urlsafe(32)})


def sign_out(request: Request[Any, Any, Any]) -> None:
    request.clear_session()


def same_origin(request: Request[Any, Any, Any]) -> bool:
    """False when the browser says the request came from another site (``Origin`` or
    ``Sec-Fetch-Site``); true when it says nothing (non-browser clients) or says it is ours."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if origin.rstrip("/") != own:
            return False
    elif origin == "null":
        return False
    return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")


def verify_csrf(request: Request[Any, Any, Any], submitted: str | None = None) -> None:
    """Raise ``CsrfRejected`` unless this cookie-authenticated write is our own page's: for unsafe
    methods, the session's token (header, or ``submitted`` from a form) and a same-origin request."""
    if request.method.upper() in SAFE_METHODS:
        return
    expected = csrf_token(request)
    given = submitted if submitted is not None else request.headers.get(CSRF_HEADER, "")
    if not expected or not hmac.compare_digest(expected.encode(), (given or "").encode()):
        raise CsrfRejected(detail=f"missing or wrong {CSRF_HEADER} for a signed-in browser request")
    if not same_origin(request):
        raise CsrfRejected(detail="cross-site request refused")
