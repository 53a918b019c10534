"""Who is calling: a Bearer token (or the dashboard's session cookie) resolved to one account.

Every controller takes ``account`` and scopes every query by it (invariant 7)."""

from __future__ import annotations

from litestar import Request
from litestar.exceptions import NotAuthorizedException

from tradewind.application.accounts.users import Authenticate
from tradewind.apps.web.dashboard.session import session_token, verify_csrf
from tradewind.domain.accounts import Account


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def current_account(request: Request, authenticate: Authenticate) -> Account:
    token = bearer_token(request)
    if token is None and (token := session_token(request)) is not None:
        verify_csrf(request)  # a cookie rides along on its own; writes must prove they are ours
    if token is None:
        raise NotAuthorizedException(
            "send Authorization: Bearer <token> (from `tradewind users create`), or sign in at /login"
        )
    account = await authenticate(token)
    if account is None:
        raise NotAuthorizedException("the token is not valid")
    return account
