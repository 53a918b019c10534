"""The order core's races (issue 11), driven through the three processes on the real servers
(PostgreSQL, Redis, Kafka, moto), as a trader would: HTTP and the SSE stream.

Each race of the issue, with the outcome it must have now that an order's events travel in one
ordered stream per account and the OMS ledger is their only writer:

* read your writes: an order is found by id right after its 202;
* a reused ``client_order_id``: the same order is 200, a different one is 422 naming the first;
* an amend that overtakes its submit is refused (409) or applied, never answered 202 and lost;
* a pending amend counts at its larger size for risk until the venue answers;
* a cancel racing fills ends in one final status that stays final, and the order is not open;
* resuming the stream from ``Last-Event-ID: 0`` after more than 1,000 events shows every one of
  them, numbered 1, 2, 3, ... without a gap;
* at the end the read model equals the ledger for every order.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest

from .conftest import Stack
from .test_order_flow import Sse

pytestmark = pytest.mark.e2e
FINAL = {"filled", "canceled", "rejected", "expired", "broker_unavailable"}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def until(check: Any, *, timeout: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)  # polling a condition, bounded by the deadline


async def quote(client: httpx.AsyncClient, token: str, symbol: str) -> dict[str, Any]:
    async def fresh() -> dict[str, Any] | None:
        answer = await client.get(f"/api/v1/market/quotes?symbols={symbol}", headers=auth(token))
        quotes = answer.json() if answer.status_code == 200 else []
        return quotes[0] if quotes and not quotes[0].get("stale") else None

    found: dict[str, Any] = await until(fresh, what=f"a fresh {symbol} quote")
    return found


async def settled(
    client: httpx.AsyncClient, token: str, order_id: str, *, status: set[str] | None = None
) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        order: dict[str, Any] = (await client.get(f"/api/v1/orders/{order_id}", headers=auth(token))).json()
        return order if order["status"] in (status or FINAL) else None

    found: dict[str, Any] = await until(done, what=f"order {order_id} to reach {status or FINAL}")
    return found


@pytest.fixture
async def trader(stack: Stack) -> Any:
    token = stack.create_user(f"core-{time.monotonic_ns()}", cash="1000000")
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as client:
        await quote(client, token, "AAPL")  # prices are flowing: risk can check
        yield client, token


async def test_read_your_writes_and_client_order_id_reuse(trader: Any) -> None:
    client, token = trader
    body = {"symbol": "AAPL", "side": "buy", "qty": 3, "type": "limit", "limit_price": "1.00", "time_in_force": "gtc"}
    placed = await client.post("/api/v1/orders", json=body | {"client_order_id": "ryw-1"}, headers=auth(token))
    assert placed.status_code == 202, placed.text
    order = placed.json()
    got = await client.get(f"/api/v1/orders/{order['id']}", headers=auth(token))
    assert got.status_code == 200 and got.json()["id"] == order["id"]  # found at once, not 404

    again = await client.post("/api/v1/orders", json=body | {"client_order_id": "ryw-1"}, headers=auth(token))
    assert again.status_code == 200 and again.json()["id"] == order["id"]
    other = await client.post(
        "/api/v1/orders", json=body | {"client_order_id": "ryw-1", "side": "sell", "qty": 5}, headers=auth(token)
    )
    assert other.status_code == 422
    assert other.json()["error"] == "client_order_id_reused"
    assert other.json()["order_id"] == order["id"] and order["id"] in other.json()["detail"]


async def test_an_amend_racing_its_submit_is_applied_or_refused_never_lost(trader: Any) -> None:
    client, token = trader
    for i in range(15):
        body = {
            "symbol": "AAPL",
            "side": "buy",
            "qty": 2,
            "type": "limit",
            "limit_price": "1.00",
            "time_in_force": "gtc",
        }
        order = (await client.post("/api/v1/orders", json=body, headers=auth(token))).json()
        amend = await client.patch(f"/api/v1/orders/{order['id']}", json={"qty": 7 + i}, headers=auth(token))
        if amend.status_code == 202:
            assert amend.json()["status"] == "pending_replace"  # the ledger's status, not a patched one
            done = await settled(client, token, order["id"], status={"accepted"})
            assert done["qty"] == 7 + i, f"an amend answered 202 was lost: {done}"
        else:
            assert amend.status_code == 409 and amend.json()["error"] == "order_not_amendable", amend.text
            done = await settled(client, token, order["id"], status={"accepted"})
            assert done["qty"] == 2
        await client.delete(f"/api/v1/orders/{order['id']}", headers=auth(token))


async def test_a_pending_amend_counts_at_its_larger_size_for_risk(stack: Stack) -> None:
    token = stack.create_user(f"amend-risk-{time.monotonic_ns()}", cash="100000")
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as client:
        q = await quote(client, token, "AAPL")
        limit = (Decimal(q["bid"]) * Decimal("0.5")).quantize(Decimal("0.01"))  # rests, far below the market
        ask = Decimal(q["ask"])
        # 5 % of the portfolio, resting; amended to 15 %; then a new 15 % order: 30 % > 20 %.
        small = int(Decimal(5000) / max(limit, ask)) or 1
        body = {"symbol": "AAPL", "side": "buy", "type": "limit", "limit_price": str(limit), "time_in_force": "gtc"}
        order = (await client.post("/api/v1/orders", json=body | {"qty": small}, headers=auth(token))).json()
        await settled(client, token, order["id"], status={"accepted"})
        amended = await client.patch(f"/api/v1/orders/{order['id']}", json={"qty": small * 3}, headers=auth(token))
        assert amended.status_code == 202, amended.text
        second = await client.post("/api/v1/orders", json=body | {"qty": small * 3}, headers=auth(token))
        assert second.status_code == 422, second.text
        assert second.json()["rule"] == "max_concentration"
        await client.delete(f"/api/v1/orders/{order['id']}", headers=auth(token))


async def test_a_cancel_racing_fills_ends_final_and_closed(stack: Stack) -> None:
    token = stack.create_user(f"cancel-race-{time.monotonic_ns()}", cash="10000000")
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as client:
        await quote(client, token, "MSFT")
        await _cancel_race(client, token)


async def _cancel_race(client: httpx.AsyncClient, token: str) -> None:
    ids = []
    for _ in range(8):  # 200 shares fill in slices of 40: the cancel lands somewhere among them
        side = "buy"  # 8 x 200 MSFT stays within 20 % of 10,000,000
        placed = await client.post(
            "/api/v1/orders", json={"symbol": "MSFT", "side": side, "qty": 200, "type": "market"}, headers=auth(token)
        )
        assert placed.status_code == 202, placed.text
        order = placed.json()
        cancel = await client.delete(f"/api/v1/orders/{order['id']}", headers=auth(token))
        assert cancel.status_code in (202, 409), cancel.text
        if cancel.status_code == 202:
            assert cancel.json()["status"] == "pending_cancel"
        ids.append(order["id"])
    for order_id in ids:
        done = await settled(client, token, order_id)
        assert done["status"] in ("filled", "canceled"), done
        assert 0 <= done["filled_qty"] <= 200
        assert (done["status"] == "filled") == (done["filled_qty"] == 200)
        for i in range(3):  # it stays final: nothing reopens it
            await asyncio.sleep(0.05 * i)  # spacing three reads apart (not synchronisation)
            again = (await client.get(f"/api/v1/orders/{order_id}", headers=auth(token))).json()
            assert (again["status"], again["filled_qty"]) == (done["status"], done["filled_qty"])

    async def projected() -> bool:
        listed = (await client.get("/api/v1/orders?status=all&limit=500", headers=auth(token))).json()
        views = {o["id"]: o for o in listed}
        return all(i in views and views[i]["status"] in FINAL for i in ids)

    await until(projected, what="the read model to show every order final")
    open_ids = {o["id"] for o in (await client.get("/api/v1/orders?status=open&limit=500", headers=auth(token))).json()}
    assert not open_ids & set(ids)


async def test_the_stream_resumes_after_a_thousand_events_without_a_gap(stack: Stack) -> None:
    token = stack.create_user(f"resume-{time.monotonic_ns()}", cash="1000000")
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as client:
        await quote(client, token, "AAPL")
        body = {"symbol": "AAPL", "qty": 1, "type": "market"}
        ids = []
        for i in range(350):  # buy 1, sell 1: each order is submitted, accepted, filled (>= 3 events)
            answer = await client.post(
                "/api/v1/orders", json=body | {"side": "buy" if i % 2 == 0 else "sell"}, headers=auth(token)
            )
            assert answer.status_code == 202, answer.text
            ids.append(answer.json()["id"])
            if i % 2 == 0:
                await settled(client, token, ids[-1])  # the sell needs the share it sells
        for order_id in ids:
            assert (await settled(client, token, order_id))["status"] == "filled"

        async def all_projected() -> bool:
            listed = (await client.get("/api/v1/orders?status=closed&limit=500", headers=auth(token))).json()
            return sum(1 for o in listed if o["id"] in set(ids) and o["status"] == "filled") == len(ids)

        await until(all_projected, timeout=60, what="the read model to show every order filled")

        seen_ids: list[int] = []
        final: dict[str, str] = {}
        async with client.stream(
            "GET",
            "/api/v1/stream?symbols=AAPL&heartbeat=0.5",
            headers={**auth(token), "Last-Event-ID": "0"},
            timeout=httpx.Timeout(60, read=60),
        ) as response:
            assert response.status_code == 200
            async for event, event_id, data in Sse(response):
                if event == "order":
                    assert event_id is not None
                    seen_ids.append(int(event_id))
                    final[data["id"]] = data["status"]
                if event == "quote" and seen_ids:
                    break  # the backlog is done: live quotes follow it
        assert len(seen_ids) >= 1000
        assert seen_ids == list(range(1, len(seen_ids) + 1)), "the stream skipped or repeated an event"
        assert all(final.get(i) == "filled" for i in ids)
