"""/api/v1/admin: risk limits per account, trading states per account and platform-wide (the
kill switch). Admin tokens
only (``tradewind users create NAME --admin``); a trading token gets 403. Every change records who
and why on ``risk.events``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.exceptions import PermissionDeniedException

from tradewind.application.risk.limits import SetLimits
from tradewind.application.risk.trading_state import SetTradingState, parse_state_change
from tradewind.apps.web.openapi import errors
from tradewind.apps.web.request_body import json_object, path_uuid
from tradewind.domain.accounts import Account


def _admin(account: Account) -> Account:
    if not account.is_admin:
        raise PermissionDeniedException("admin routes need an admin token (tradewind users create NAME --admin)")
    return account


class AdminController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]

    @post(
        "/accounts/{account_id:str}/trading-state",
        status_code=200,
        summary="Set an account's trading state",
        responses=errors(401, 404, 422),
    )
    async def account_state(
        self, request: Request[Any, Any, Any], account_id: str, account: Account, set_trading_state: SetTradingState
    ) -> dict[str, object]:
        admin = _admin(account)
        state, reason = parse_state_change(await json_object(request))
        changed = await set_trading_state.for_account(
            path_uuid(account_id, "account_id", "account"), state, reason, changed_by=f"{admin.name} ({admin.id})"
        )
        return {
            "account_id": account_id,
            "state": changed.state.value,
            "previous": changed.previous.value,
            "reason": reason,
            "cancels_requested": changed.cancels_requested,
        }

    @post(
        "/trading-state",
        status_code=200,
        summary="Set the platform's trading state (the kill switch)",
        responses=errors(401, 422),
    )
    async def platform_state(
        self, request: Request[Any, Any, Any], account: Account, set_trading_state: SetTradingState
    ) -> dict[str, object]:
        admin = _admin(account)
        state, reason = parse_state_change(await json_object(request))
        changed = await set_trading_state.for_platform(
            state, reason, changed_by=f"{admin.name} ({admin.id})", admin_account=admin.id
        )
        return {
            "state": changed.state.value,
            "previous": changed.previous.value,
            "reason": reason,
            "cancels_requested": changed.cancels_requested,
        }

    @get("/accounts/{account_id:str}/limits", summary="An account's risk limits", responses=errors(401, 403, 404))
    async def limits(self, account_id: str, account: Account, set_limits: SetLimits) -> dict[str, object]:
        _admin(account)
        return await set_limits.show(path_uuid(account_id, "account_id", "account"))

    @put(
        "/accounts/{account_id:str}/limits",
        summary="Override an account's risk limits (null: back to the platform default)",
        responses=errors(401, 403, 404, 422),
    )
    async def change_limits(
        self, request: Request[Any, Any, Any], account_id: str, account: Account, set_limits: SetLimits
    ) -> dict[str, object]:
        admin = _admin(account)
        target = path_uuid(account_id, "account_id", "account")
        return await set_limits.change(target, await json_object(request), changed_by=f"{admin.name} ({admin.id})")
