"""The orders API on the memory profile: status codes, error bodies naming the field, nothing
written on bad input, auth scoping. The full flow to ``filled`` runs in the e2e tier."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.application.orders.ledger import OrderLedger
from tradewind.application.topics import ORDER_COMMANDS, ORDER_EVENTS, RISK_EVENTS
from tradewind.apps.web.main import build_app
from tradewind.domain.clock import utcnow
from tradewind.domain.errors import ServiceUnavailable
from tradewind.domain.market import Quote
from tradewind.domain.orders.reports import ReportKind, VenueReport, report_id_for

ALICE, BOB = "alice-token", "bob-token"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def seed_quote(adapters: Any, symbol: str = "AAPL", last: str = "100", age: float = 0.0) -> None:
    price = Decimal(last)
    await adapters.prices().put(
        Quote(symbol, price - Decimal("0.01"), price + Decimal("0.01"), price, utcnow() - timedelta(seconds=age))
    )


@pytest.fixture
async def env() -> AsyncIterator[tuple[AsyncTestClient[Any], Any]]:
    settings = Settings(profile="memory")
    adapters: Any = build_adapters(settings)
    await CreateUser(adapters.uow)("alice", "100000", token=ALICE)
    await CreateUser(adapters.uow)("bob", "100000", token=BOB)
    await seed_quote(adapters)
    async with AsyncTestClient(build_app(settings, adapters)) as client:
        yield client, adapters


def order_rows(adapters: Any) -> list[Any]:
    """The outbox rows of order topics (every risk decision also goes to ``risk.events``)."""
    return [row for row in adapters.store().outbox if row.topic != RISK_EVENTS]


def outbox_size(adapters: Any) -> int:
    return len(order_rows(adapters))


def commands(adapters: Any) -> list[dict[str, Any]]:
    """What the gateway will read: the ``order.commands`` rows of the outbox."""
    return [json.loads(row.payload) for row in adapters.store().outbox if row.topic == ORDER_COMMANDS]


async def venue_acknowledges(adapters: Any, order_id: str) -> None:
    """The venue's ack, through the OMS ledger (as the worker does with ``execution.reports``)."""
    order = adapters.store().orders[uuid.UUID(order_id)]
    exec_id = f"new-{order_id}"
    await OrderLedger(adapters.uow)(
        VenueReport(
            report_id=report_id_for(order.id, exec_id),
            account_id=order.account_id,
            order_id=order.id,
            kind=ReportKind.NEW,
            exec_id=exec_id,
            broker_order_id="P-1",
            symbol=order.symbol,
            side=order.side,
            order_qty=order.qty,
            leaves_qty=order.qty,
        )
    )
    assert adapters.store().orders[order.id].status == "accepted"


async def test_place_answers_202_pending_with_correlation_id(env: Any) -> None:
    client, adapters = env
    r = await client.post(
        "/api/v1/orders",
        headers=auth(ALICE),
        json={
            "symbol": "AAPL",
            "side": "buy",
            "qty": 10,
            "type": "limit",
            "limit_price": "99.50",
            "time_in_force": "gtc",
            "client_order_id": "c-1",
        },
    )
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "pending" and body["limit_price"] == "99.50" and body["qty"] == 10
    assert body["correlation_id"] == r.headers["x-correlation-id"]
    command, event = order_rows(adapters)  # one event, to the gateway and to the projections
    assert (command.topic, event.topic) == (ORDER_COMMANDS, ORDER_EVENTS)
    assert command.payload == event.payload and command.key == event.key
    payload = json.loads(event.payload)
    assert payload["type"] == "order.submitted" and payload["limit_price"] == "99.50"
    assert payload["order_id"] == body["id"]
    assert (payload["order_seq"], payload["account_seq"]) == (1, 1)


async def test_an_order_is_found_by_id_right_after_its_202(env: Any) -> None:
    """Read your writes: GET /orders/{id} reads the ledger, so it does not wait for the projection."""
    client, adapters = env
    r = await client.post(
        "/api/v1/orders",
        headers=auth(ALICE),
        json={"symbol": "AAPL", "side": "buy", "qty": 4, "type": "limit", "limit_price": "90"},
    )
    assert r.status_code == 202
    got = await client.get(f"/api/v1/orders/{r.json()['id']}", headers=auth(ALICE))
    assert got.status_code == 200, got.text
    assert got.json() == r.json()
    assert adapters.store().views == {}  # nothing projected yet: the answer came from the ledger


async def test_a_retried_client_order_id_returns_the_same_order(env: Any) -> None:
    client, adapters = env
    order = {"symbol": "AAPL", "side": "buy", "qty": 5, "type": "market", "client_order_id": "retry-me"}
    first = await client.post("/api/v1/orders", headers=auth(ALICE), json=order)
    second = await client.post("/api/v1/orders", headers=auth(ALICE), json=order)
    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json()["id"] == second.json()["id"]
    assert outbox_size(adapters) == 2
    other = await client.post("/api/v1/orders", headers=auth(BOB), json=order)  # per account
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]


async def test_a_reused_client_order_id_with_another_order_is_422_naming_the_first(env: Any) -> None:
    client, adapters = env
    order = {"symbol": "AAPL", "side": "buy", "qty": 5, "type": "market", "client_order_id": "mine-1"}
    first = await client.post("/api/v1/orders", headers=auth(ALICE), json=order)
    assert first.status_code == 202
    for change in ({"qty": 6}, {"side": "sell"}, {"type": "limit", "limit_price": "90"}):
        r = await client.post("/api/v1/orders", headers=auth(ALICE), json={**order, **change})
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["error"] == "client_order_id_reused" and body["field"] == "client_order_id"
        assert body["order_id"] == first.json()["id"] and first.json()["id"] in body["detail"]
    assert outbox_size(adapters) == 2 and len(adapters.store().orders) == 1


BAD = [
    ({"qty": -1}, "qty"),
    ({"qty": 0}, "qty"),
    ({"qty": 1.5}, "qty"),
    ({"qty": "1.5"}, "qty"),
    ({"qty": [1]}, "qty"),
    ({"qty": True}, "qty"),
    ({"qty": 10**12}, "qty"),
    ({"type": "iceberg"}, "type"),
    ({"side": "short"}, "side"),
    ({"time_in_force": "forever"}, "time_in_force"),
    ({"type": "limit"}, "limit_price"),
    ({"type": "limit", "limit_price": "-3"}, "limit_price"),
    ({"type": "limit", "limit_price": "1e400"}, "limit_price"),
    ({"type": "limit", "limit_price": "abc"}, "limit_price"),
    ({"type": "limit", "limit_price": 1e308}, "limit_price"),
    ({"type": "stop"}, "stop_price"),
    ({"limit_price": "10"}, "limit_price"),
    ({"symbol": "ZZZZ"}, "symbol"),
    ({"symbol": 42}, "symbol"),
    ({"leverage": 10}, "leverage"),
    ({"client_order_id": "x" * 65}, "client_order_id"),
]


@pytest.mark.parametrize(("change", "field"), BAD, ids=[f"{f}:{c}" for c, f in BAD])
async def test_bad_orders_answer_422_naming_the_field_and_write_nothing(env: Any, change: Any, field: str) -> None:
    client, adapters = env
    body = {"symbol": "AAPL", "side": "buy", "qty": 1, "type": "market", **change}
    r = await client.post("/api/v1/orders", headers=auth(ALICE), json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_order" and r.json()["field"] == field, r.json()
    assert r.json()["detail"]
    assert outbox_size(adapters) == 0 and not adapters.store().orders


@pytest.mark.parametrize(
    "raw", [b'{"symbol": "AAPL", "side": "buy", "qty": NaN, "type": "market"}', b"[1, 2]", b"{not json", b""]
)
async def test_unreadable_bodies_answer_422(env: Any, raw: bytes) -> None:
    client, adapters = env
    r = await client.post("/api/v1/orders", headers={**auth(ALICE), "Content-Type": "application/json"}, content=raw)
    assert r.status_code == 422 and r.json()["error"] == "invalid_order", r.text
    assert outbox_size(adapters) == 0


async def test_no_token_is_401_and_a_bad_token_too(env: Any) -> None:
    client, _ = env
    assert (await client.get("/api/v1/orders")).status_code == 401
    r = await client.get("/api/v1/orders", headers=auth("nope"))
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    assert (await client.get("/api/v1/stream", headers=auth("nope"))).status_code == 401


async def test_risk_rejection_is_422_with_the_rule_and_writes_nothing(env: Any) -> None:
    client, adapters = env
    r = await client.post(
        "/api/v1/orders",
        headers=auth(ALICE),
        json={"symbol": "AAPL", "side": "buy", "qty": 300, "type": "market"},
    )
    assert r.status_code == 422 and r.json()["error"] == "risk_rejected"
    assert r.json()["rule"] == "max_concentration"
    assert outbox_size(adapters) == 0


async def test_a_stale_price_rejects_with_a_reason(env: Any) -> None:
    client, adapters = env
    await seed_quote(adapters, "MSFT", "300", age=6)
    r = await client.post(
        "/api/v1/orders",
        headers=auth(ALICE),
        json={"symbol": "MSFT", "side": "buy", "qty": 1, "type": "market"},
    )
    assert r.status_code == 422 and r.json()["rule"] == "price_stale", r.text


async def test_another_accounts_order_is_404_for_get_cancel_and_amend(env: Any) -> None:
    client, adapters = env
    r = await client.post(
        "/api/v1/orders",
        headers=auth(ALICE),
        json={"symbol": "AAPL", "side": "buy", "qty": 1, "type": "limit", "limit_price": "90"},
    )
    order_id = r.json()["id"]
    assert (await client.delete(f"/api/v1/orders/{order_id}", headers=auth(BOB))).status_code == 404
    assert (await client.patch(f"/api/v1/orders/{order_id}", headers=auth(BOB), json={"qty": 2})).status_code == 404
    assert (await client.get(f"/api/v1/orders/{order_id}", headers=auth(BOB))).status_code == 404
    assert (await client.get("/api/v1/orders/not-a-uuid", headers=auth(ALICE))).status_code == 404
    assert (await client.get(f"/api/v1/orders/{order_id}", headers=auth(ALICE))).status_code == 200
    assert outbox_size(adapters) == 2


async def test_cancel_and_amend_write_requests_to_the_outbox(env: Any) -> None:
    client, adapters = env
    r = await client.post(
        "/api/v1/orders",
        headers=auth(ALICE),
        json={"symbol": "AAPL", "side": "buy", "qty": 3, "type": "limit", "limit_price": "90"},
    )
    order_id = r.json()["id"]
    early = await client.patch(f"/api/v1/orders/{order_id}", headers=auth(ALICE), json={"limit_price": "91"})
    assert early.status_code == 409 and early.json()["error"] == "order_not_amendable"  # not acknowledged yet
    await venue_acknowledges(adapters, order_id)

    amend = await client.patch(f"/api/v1/orders/{order_id}", headers=auth(ALICE), json={"limit_price": "91"})
    assert amend.status_code == 202 and amend.json()["status"] == "pending_replace"
    assert amend.json()["limit_price"] == "90"  # until the venue confirms
    bad = await client.patch(f"/api/v1/orders/{order_id}", headers=auth(ALICE), json={"qty": 0})
    assert bad.status_code == 422 and bad.json()["field"] == "qty"
    cancel = await client.delete(f"/api/v1/orders/{order_id}", headers=auth(ALICE))
    assert cancel.status_code == 202 and cancel.json()["status"] == "pending_cancel"
    got = await client.get(f"/api/v1/orders/{order_id}", headers=auth(ALICE))
    assert got.json()["status"] == "pending_cancel"  # the ledger's status: the answer was not patched
    again = await client.delete(f"/api/v1/orders/{order_id}", headers=auth(ALICE))
    assert again.status_code == 409 and again.json()["error"] == "order_not_cancelable"
    assert [c["type"] for c in commands(adapters)] == [
        "order.submitted",
        "order.amend_requested",
        "order.cancel_requested",
    ]
    events = [json.loads(row.payload) for row in adapters.store().outbox if row.topic == ORDER_EVENTS]
    assert [(e["type"], e["account_seq"]) for e in events] == [
        ("order.submitted", 1),
        ("order.accepted", 2),
        ("order.amend_requested", 3),
        ("order.cancel_requested", 4),
    ]


async def test_list_validates_status(env: Any) -> None:
    client, _ = env
    r = await client.get("/api/v1/orders?status=weird", headers=auth(ALICE))
    assert r.status_code == 422 and r.json()["field"] == "status"
    r = await client.get("/api/v1/orders?limit=9999", headers=auth(ALICE))
    assert r.status_code == 422


async def test_quotes_and_health(env: Any) -> None:
    client, _ = env
    r = await client.get("/api/v1/market/quotes?symbols=AAPL", headers=auth(ALICE))
    assert r.status_code == 200 and r.json()[0]["symbol"] == "AAPL" and r.json()[0]["stale"] is False
    assert (await client.get("/api/v1/market/quotes?symbols=NOPE", headers=auth(ALICE))).status_code == 422
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).status_code == 200
    assert "tradewind_http_requests_total" in (await client.get("/metrics")).text


async def test_too_many_orders_answer_429_with_retry_after() -> None:
    settings = Settings(profile="memory", order_rate_per_second=0.5, order_burst=2)
    adapters: Any = build_adapters(settings)
    await CreateUser(adapters.uow)("carol", "100000", token="carol")
    await seed_quote(adapters)
    body = {"symbol": "AAPL", "side": "buy", "qty": 1, "type": "limit", "limit_price": "90"}
    async with AsyncTestClient(build_app(settings, adapters)) as client:
        codes = [(await client.post("/api/v1/orders", headers=auth("carol"), json=body)).status_code for _ in range(3)]
        assert codes == [202, 202, 429]
        r = await client.post("/api/v1/orders", headers=auth("carol"), json=body)
        assert r.status_code == 429 and r.json()["error"] == "rate_limited" and int(r.headers["retry-after"]) >= 1
    assert len(commands(adapters)) == 2


async def test_a_rate_limiter_that_cannot_answer_is_503_and_writes_nothing() -> None:
    """Redis down or its pool exhausted past the wait: the order is refused 503 with
    ``Retry-After`` (fail closed: never let through unmetered, never a 500)."""

    class Down:
        async def take(self, key: str, rate: float, burst: int) -> float:
            raise ServiceUnavailable("redis", "rate limiter unavailable: ConnectionError")

    settings = Settings(profile="memory")
    adapters: Any = build_adapters(settings)
    adapters.rate_limiter.override(providers.Object(Down()))
    await CreateUser(adapters.uow)("dave", "100000", token="dave")
    await seed_quote(adapters)
    body = {"symbol": "AAPL", "side": "buy", "qty": 1, "type": "limit", "limit_price": "90"}
    async with AsyncTestClient(build_app(settings, adapters)) as client:
        r = await client.post("/api/v1/orders", headers=auth("dave"), json=body)
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert r.json() == {
        "error": "service_unavailable",
        "detail": "rate limiter unavailable: ConnectionError",
        "service": "redis",
    }
    assert commands(adapters) == []


async def test_the_correlation_id_is_the_callers_or_a_generated_one(env: Any) -> None:
    client, _ = env
    body = {"symbol": "AAPL", "side": "buy", "qty": 1, "type": "limit", "limit_price": "90"}
    given = "0b9c1d2e-1111-4222-8333-444455556666"
    r = await client.post("/api/v1/orders", headers={**auth(ALICE), "X-Correlation-ID": given}, json=body)
    assert r.json()["correlation_id"] == given == r.headers["x-correlation-id"]
    r = await client.post("/api/v1/orders", headers=auth(ALICE), json=body)
    assert r.json()["correlation_id"] == r.headers["x-correlation-id"] != given


async def test_amends_and_cancels_have_throttles_of_their_own() -> None:
    settings = Settings(
        profile="memory", amend_burst=1, amend_rate_per_second=0.001, cancel_burst=1, cancel_rate_per_second=0.001
    )
    adapters: Any = build_adapters(settings)
    await CreateUser(adapters.uow)("dave", "100000", token="dave")
    await seed_quote(adapters)
    body = {"symbol": "AAPL", "side": "buy", "qty": 1, "type": "limit", "limit_price": "90", "time_in_force": "gtc"}
    async with AsyncTestClient(build_app(settings, adapters)) as client:
        orders = [(await client.post("/api/v1/orders", headers=auth("dave"), json=body)).json() for _ in range(3)]
        for order in orders:
            await venue_acknowledges(adapters, order["id"])
        first = await client.patch(f"/api/v1/orders/{orders[0]['id']}", headers=auth("dave"), json={"qty": 2})
        second = await client.patch(f"/api/v1/orders/{orders[1]['id']}", headers=auth("dave"), json={"qty": 2})
        assert first.status_code == 202 and second.status_code == 429
        assert second.json()["error"] == "rate_limited" and "amend" in second.json()["detail"]
        assert int(second.headers["retry-after"]) >= 1
        assert (await client.delete(f"/api/v1/orders/{orders[1]['id']}", headers=auth("dave"))).status_code == 202
        again = await client.delete(f"/api/v1/orders/{orders[2]['id']}", headers=auth("dave"))
        assert again.status_code == 429 and "cancel" in again.json()["detail"]
        # the order itself is untouched by a throttled request
        assert (await client.get(f"/api/v1/orders/{orders[2]['id']}", headers=auth("dave"))).json()[
            "status"
        ] == "accepted"
