"""Trading states and the kill switch through the admin API, on the memory profile (issue 13):
admin tokens only; bad input is 422 naming the field and changes nothing; ``halted`` refuses new
orders and amends with ``rule: trading_state``, requests a cancel of every open order, lets
cancels through, and records who and why on ``risk.events``; ``reducing`` admits only orders
that bring a position closer to flat; a platform-wide state applies to every account."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.application.topics import ORDER_COMMANDS, RISK_EVENTS
from tradewind.apps.web.main import build_app

from .test_orders_api import auth, seed_quote

TRADER, ADMIN, OTHER = "trader-token", "admin-token", "other-token"
LIMIT = {"symbol": "AAPL", "side": "buy", "qty": 5, "type": "limit", "limit_price": "90", "time_in_force": "gtc"}


@pytest.fixture
async def env() -> AsyncIterator[tuple[AsyncTestClient[Any], Any, str]]:
    settings = Settings(profile="memory")
    adapters: Any = build_adapters(settings)
    trader = await CreateUser(adapters.uow)("trader", "100000", token=TRADER)
    await CreateUser(adapters.uow)("other", "100000", token=OTHER)
    await CreateUser(adapters.uow)("ops", "0", token=ADMIN, admin=True)
    await seed_quote(adapters)
    async with AsyncTestClient(build_app(settings, adapters)) as client:
        yield client, adapters, str(trader.account.id)


def rows(adapters: Any, topic: str) -> list[dict[str, Any]]:
    """Rows of ``topic``; on ``risk.events``, the changes only (every order's decision is there too)."""
    out = [json.loads(r.payload) for r in adapters.store().outbox if r.topic == topic]
    return [e for e in out if e["type"] != "risk.decision"] if topic == RISK_EVENTS else out


async def test_a_trading_token_gets_403_and_nothing_changes(env: Any) -> None:
    client, adapters, trader = env
    answer = await client.post(
        f"/api/v1/admin/accounts/{trader}/trading-state", json={"state": "halted", "reason": "x"}, headers=auth(TRADER)
    )
    assert answer.status_code == 403 and answer.json()["error"] == "forbidden"
    assert (await client.post("/api/v1/orders", json=LIMIT, headers=auth(TRADER))).status_code == 202
    assert rows(adapters, RISK_EVENTS) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"state": "stopped", "reason": "x"}, "state"),
        ({"reason": "x"}, "state"),
        ({"state": "halted"}, "reason"),
        ({"state": "halted", "reason": "  "}, "reason"),
        ({"state": "halted", "reason": "x", "until": "later"}, "until"),
    ],
)
async def test_bad_input_is_422_naming_the_field_and_changes_nothing(
    env: Any, body: dict[str, Any], field: str
) -> None:
    client, adapters, trader = env
    answer = await client.post(f"/api/v1/admin/accounts/{trader}/trading-state", json=body, headers=auth(ADMIN))
    assert answer.status_code == 422 and answer.json()["field"] == field
    assert rows(adapters, RISK_EVENTS) == []
    assert (await client.post("/api/v1/orders", json=LIMIT, headers=auth(TRADER))).status_code == 202


async def test_halted_refuses_orders_and_amends_cancels_everything_and_lets_cancels_through(env: Any) -> None:
    client, adapters, trader = env
    placed = [(await client.post("/api/v1/orders", json=LIMIT, headers=auth(TRADER))).json() for _ in range(3)]
    answer = await client.post(
        f"/api/v1/admin/accounts/{trader}/trading-state",
        json={"state": "halted", "reason": "runaway strategy"},
        headers=auth(ADMIN),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["cancels_requested"] == 3 and answer.json()["previous"] == "active"
    cancels = [c for c in rows(adapters, ORDER_COMMANDS) if c["type"] == "order.cancel_requested"]
    assert sorted(c["order_id"] for c in cancels) == sorted(o["id"] for o in placed)

    refused = await client.post("/api/v1/orders", json=LIMIT, headers=auth(TRADER))
    assert refused.status_code == 422 and refused.json()["rule"] == "trading_state"
    assert "runaway strategy" in refused.json()["detail"]
    amend = await client.patch(f"/api/v1/orders/{placed[0]['id']}", json={"qty": 9}, headers=auth(TRADER))
    assert amend.status_code in (409, 422)  # pending_cancel now; an amend never passes a halt
    account = (await client.get("/api/v1/account", headers=auth(TRADER))).json()
    assert account["trading_state"] == "halted"

    (event,) = rows(adapters, RISK_EVENTS)
    assert (event["state"], event["previous"], event["reason"], event["scope"]) == (
        "halted",
        "active",
        "runaway strategy",
        "account",
    )
    assert event["changed_by"].startswith("ops") and event["account_id"] == trader
    # another account trades on
    assert (await client.post("/api/v1/orders", json=LIMIT, headers=auth(OTHER))).status_code == 202


async def test_reducing_admits_only_orders_that_reduce_and_active_restores(env: Any) -> None:
    client, adapters, trader = env
    store = adapters.store()
    account_id = next(a for a in store.accounts.values() if a.name == "trader").id
    store.positions[(account_id, "AAPL")] = (10, Decimal("-1000"))  # 10 held (as the ledger books fills)
    body = {"state": "reducing", "reason": "daily loss limit"}
    assert (
        await client.post(f"/api/v1/admin/accounts/{trader}/trading-state", json=body, headers=auth(ADMIN))
    ).status_code == 200
    sell = {"symbol": "AAPL", "side": "sell", "qty": 10, "type": "market"}
    assert (await client.post("/api/v1/orders", json=sell | {"qty": 11}, headers=auth(TRADER))).status_code == 422
    assert (await client.post("/api/v1/orders", json=sell, headers=auth(TRADER))).status_code == 202
    buy = await client.post("/api/v1/orders", json=LIMIT, headers=auth(TRADER))
    assert buy.status_code == 422 and buy.json()["rule"] == "trading_state"
    back = {"state": "active", "reason": "reviewed"}
    assert (
        await client.post(f"/api/v1/admin/accounts/{trader}/trading-state", json=back, headers=auth(ADMIN))
    ).status_code == 200
    assert (await client.post("/api/v1/orders", json=LIMIT, headers=auth(TRADER))).status_code == 202


async def test_a_platform_halt_stops_every_account_and_cancels_their_orders(env: Any) -> None:
    client, adapters, _ = env
    mine = (await client.post("/api/v1/orders", json=LIMIT, headers=auth(TRADER))).json()
    theirs = (await client.post("/api/v1/orders", json=LIMIT, headers=auth(OTHER))).json()
    answer = await client.post(
        "/api/v1/admin/trading-state", json={"state": "halted", "reason": "venue down"}, headers=auth(ADMIN)
    )
    assert answer.status_code == 200 and answer.json()["cancels_requested"] == 2
    for token in (TRADER, OTHER):
        refused = await client.post("/api/v1/orders", json=LIMIT, headers=auth(token))
        assert refused.status_code == 422 and refused.json()["rule"] == "trading_state"
    canceled = {c["order_id"] for c in rows(adapters, ORDER_COMMANDS) if c["type"] == "order.cancel_requested"}
    assert canceled == {mine["id"], theirs["id"]}
    assert [e["scope"] for e in rows(adapters, RISK_EVENTS)] == ["platform"]


async def test_limits_are_edited_at_run_time_recorded_and_apply_to_the_next_order(env: Any) -> None:
    client, adapters, trader = env
    shown = (await client.get(f"/api/v1/admin/accounts/{trader}/limits", headers=auth(ADMIN))).json()
    assert (
        shown["overrides"] == {} and shown["effective"]["max_order_notional"] == shown["defaults"]["max_order_notional"]
    )
    assert (await client.post("/api/v1/orders", json=LIMIT, headers=auth(TRADER))).status_code == 202  # 450

    changed = await client.put(
        f"/api/v1/admin/accounts/{trader}/limits", json={"max_order_notional": "400"}, headers=auth(ADMIN)
    )
    assert changed.status_code == 200 and changed.json()["effective"]["max_order_notional"] == "400"
    refused = await client.post("/api/v1/orders", json=LIMIT, headers=auth(TRADER))
    assert refused.status_code == 422 and refused.json()["rule"] == "max_order_notional"
    assert "400.00" in refused.json()["detail"]
    (event,) = [e for e in rows(adapters, RISK_EVENTS) if e["type"] == "risk.limits_changed"]
    assert event["overrides"] == {"max_order_notional": "400"} and event["changed_by"].startswith("ops")

    restored = await client.put(
        f"/api/v1/admin/accounts/{trader}/limits", json={"max_order_notional": None}, headers=auth(ADMIN)
    )
    assert restored.json()["overrides"] == {}
    assert (await client.post("/api/v1/orders", json=LIMIT, headers=auth(TRADER))).status_code == 202


@pytest.mark.parametrize(
    ("body", "field"),
    [({"max_orders": "1"}, "max_orders"), ({"max_order_notional": "-5"}, "max_order_notional"), ({}, "body")],
)
async def test_bad_limits_are_422_naming_the_field_and_change_nothing(
    env: Any, body: dict[str, Any], field: str
) -> None:
    client, adapters, trader = env
    answer = await client.put(f"/api/v1/admin/accounts/{trader}/limits", json=body, headers=auth(ADMIN))
    assert answer.status_code == 422 and answer.json()["field"] == field
    assert (await client.get(f"/api/v1/admin/accounts/{trader}/limits", headers=auth(ADMIN))).json()["overrides"] == {}
    assert rows(adapters, RISK_EVENTS) == []


async def test_limits_need_an_admin_token(env: Any) -> None:
    client, _, trader = env
    assert (await client.get(f"/api/v1/admin/accounts/{trader}/limits", headers=auth(TRADER))).status_code == 403
