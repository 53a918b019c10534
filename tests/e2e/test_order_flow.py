"""A trader's order end to end on the real servers, through the three processes:
POST -> 202 pending -> the stream shows accepted, fills, filled -> GET shows the fill."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e


class Sse:
    """A minimal SSE reader over an httpx stream: yields (event, id, data) tuples."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def __aiter__(self) -> AsyncIterator[tuple[str, str | None, dict[str, Any]]]:
        event, event_id, data = "message", None, []
        async for line in self._lines:
            if line == "":
                if data:
                    yield event, event_id, json.loads("\n".join(data))
                event, event_id, data = "message", None, []
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("id:"):
                event_id = line[3:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())


async def collect_until(
    client: httpx.AsyncClient,
    token: str,
    done: Any,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 20,
) -> list[tuple[str, str | None, dict[str, Any]]]:
    seen: list[tuple[str, str | None, dict[str, Any]]] = []
    async with client.stream(
        "GET",
        "/api/v1/stream?symbols=AAPL&heartbeat=1",
        headers={"Authorization": f"Bearer {token}", **(headers or {})},
        timeout=httpx.Timeout(timeout, read=timeout),
    ) as response:
        assert response.status_code == 200
        async for item in Sse(response):
            seen.append(item)
            if done(seen):
                return seen
    raise AssertionError(f"stream ended before the condition: {seen}")


@pytest.fixture(scope="module")
def trader(stack: Any) -> str:
    return stack.create_user(f"e2e-{uuid.uuid4().hex[:8]}")


async def test_a_market_order_fills_in_slices_and_the_stream_shows_every_step(stack: Any, trader: str) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        auth = {"Authorization": f"Bearer {trader}"}
        r = await client.post(
            "/api/v1/orders",
            headers=auth,
            json={"symbol": "AAPL", "side": "buy", "qty": 100, "type": "market"},
        )
        assert r.status_code == 202, r.text
        order = r.json()
        assert order["status"] == "pending"

        def filled(seen: list[Any]) -> bool:
            return any(e == "order" and d["id"] == order["id"] and d["status"] == "filled" for e, _, d in seen)

        seen = await collect_until(client, trader, filled, headers={"Last-Event-ID": "0"})
        mine = [
            (e, d)
            for e, _, d in seen
            if (e in ("order", "fill") and d.get("id", d.get("order_id")) == order["id"])
            or d.get("order_id") == order["id"]
        ]
        statuses = [d["status"] for e, d in mine if e == "order"]
        # Topics are consumed concurrently, so the first entry may already show a fill; the last is final.
        assert statuses[-1] == "filled"
        assert set(statuses) <= {"pending", "accepted", "partially_filled", "filled"}
        fills = [d for e, d in mine if e == "fill"]
        assert [f["qty"] for f in fills] == [40, 40, 20]  # TRADEWIND_PAPER_SLICE_QTY=40
        assert sum(f["qty"] for f in fills) == 100
        ids = [i for _, i, _ in seen if i is not None]
        assert ids == sorted(ids, key=int), "order and fill events carry increasing ids"

        got = (await client.get(f"/api/v1/orders/{order['id']}", headers=auth)).json()
        assert got["status"] == "filled" and got["filled_qty"] == 100
        vwap = sum(Decimal(f["price"]) * f["qty"] for f in fills) / 100
        assert abs(Decimal(got["filled_avg_price"]) - vwap) < Decimal("0.0001")


async def test_a_resting_limit_order_is_amended_then_canceled(stack: Any, trader: str) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        auth = {"Authorization": f"Bearer {trader}"}
        quote = (await client.get("/api/v1/market/quotes?symbols=AAPL", headers=auth)).json()[0]
        far = str((Decimal(quote["bid"]) * Decimal("0.5")).quantize(Decimal("0.01")))
        r = await client.post(
            "/api/v1/orders",
            headers=auth,
            json={
                "symbol": "AAPL",
                "side": "buy",
                "qty": 5,
                "type": "limit",
                "limit_price": far,
                "time_in_force": "gtc",
            },
        )
        assert r.status_code == 202, r.text
        order_id = r.json()["id"]

        def status_is(status: str) -> Any:
            return lambda seen: any(e == "order" and d["id"] == order_id and d["status"] == status for e, _, d in seen)

        await collect_until(client, trader, status_is("accepted"), headers={"Last-Event-ID": "0"})
        r = await client.patch(f"/api/v1/orders/{order_id}", headers=auth, json={"qty": 7})
        assert r.status_code == 202, r.text

        def amended(seen: list[Any]) -> bool:
            return any(
                e == "order" and d["id"] == order_id and d["qty"] == 7 and d["status"] == "accepted" for e, _, d in seen
            )

        await collect_until(client, trader, amended, headers={"Last-Event-ID": "0"})
        r = await client.delete(f"/api/v1/orders/{order_id}", headers=auth)
        assert r.status_code == 202, r.text
        await collect_until(client, trader, status_is("canceled"), headers={"Last-Event-ID": "0"})
        got = (await client.get(f"/api/v1/orders/{order_id}", headers=auth)).json()
        assert got["status"] == "canceled" and got["qty"] == 7
        again = await client.delete(f"/api/v1/orders/{order_id}", headers=auth)
        assert again.status_code == 409 and again.json()["error"] == "order_not_cancelable"


async def test_last_event_id_resumes_after_a_drop(stack: Any, trader: str) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        auth = {"Authorization": f"Bearer {trader}"}
        everything = await collect_until(
            client, trader, lambda seen: sum(1 for _, i, _ in seen if i) >= 3, headers={"Last-Event-ID": "0"}
        )
        ids = [i for _, i, _ in everything if i]
        resumed = await collect_until(
            client, trader, lambda seen: any(i for _, i, _ in seen), headers={"Last-Event-ID": ids[1]}
        )
        first_resumed = next(i for _, i, _ in resumed if i)
        assert int(first_resumed) > int(ids[1]) and first_resumed == ids[2]
        assert (await client.get("/api/v1/orders?status=all", headers=auth)).status_code == 200


async def test_users_are_isolated_and_anonymous_callers_refused(stack: Any, trader: str) -> None:
    other = stack.create_user(f"e2e-other-{uuid.uuid4().hex[:8]}")
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        mine = (await client.get("/api/v1/orders?status=all", headers={"Authorization": f"Bearer {trader}"})).json()
        assert mine, "the trader has orders from the tests above"
        theirs = await client.get(f"/api/v1/orders/{mine[0]['id']}", headers={"Authorization": f"Bearer {other}"})
        assert theirs.status_code == 404
        listed = (await client.get("/api/v1/orders?status=all", headers={"Authorization": f"Bearer {other}"})).json()
        assert listed == []
        assert (await client.get("/api/v1/orders")).status_code == 401
