"""GET /api/v1/market/candles/{symbol} on the memory profile: newest first with the forming
candle, paging with ``after``, and 422 naming the field for a bad symbol, interval or cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.apps.web.main import build_app
from tradewind.domain.marketdata import Candle, Interval

TOKEN = "candle-reader"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
T0 = int(datetime(2024, 3, 4, 15, tzinfo=UTC).timestamp() * 1000)
D = Decimal


def candle(minute: int, closed: bool = True) -> Candle:
    start = T0 + minute * 60_000
    price = D(100 + minute)
    return Candle(
        "AAPL", Interval.M1, start, price, price + 1, price - 1, price + D("0.5"), 100, 2, start, start + 1, closed
    )


@pytest.fixture
async def client() -> AsyncIterator[tuple[AsyncTestClient[Any], Any]]:
    settings = Settings(profile="memory")
    adapters: Any = build_adapters(settings)
    await CreateUser(adapters.uow)("quant", "1000", token=TOKEN)
    await adapters.candles().save([candle(m) for m in range(4)] + [candle(4, closed=False)], {})
    async with AsyncTestClient(build_app(settings, adapters)) as c:
        yield c, adapters


async def test_candles_come_newest_first_with_the_forming_one(client: Any) -> None:
    c, _ = client
    r = await c.get("/api/v1/market/candles/AAPL?interval=1m&limit=2", headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json() == [
        {"start": "2024-03-04T15:04:00Z", "open": "104", "high": "105", "low": "103", "close": "104.5", "volume": 100, "closed": False},
        {"start": "2024-03-04T15:03:00Z", "open": "103", "high": "104", "low": "102", "close": "103.5", "volume": 100, "closed": True},
    ]  # fmt: skip
    assert r.headers["x-next-after"] == "2024-03-04T15:03:00Z"
    older = await c.get("/api/v1/market/candles/aapl", params={"after": r.headers["x-next-after"]}, headers=AUTH)
    assert [x["start"][11:16] for x in older.json()] == ["15:02", "15:01", "15:00"]
    assert "x-next-after" not in older.headers
    assert (await c.get("/api/v1/market/candles/AAPL?interval=5m", headers=AUTH)).json() == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/api/v1/market/candles/AAPL?interval=2m", "interval"),
        ("/api/v1/market/candles/NOPE", "symbol"),
        ("/api/v1/market/candles/AAPL?after=yesterday", "after"),
        ("/api/v1/market/candles/AAPL?after=2024-03-04T15:00:00", "after"),
        ("/api/v1/market/candles/AAPL?limit=0", "limit"),
        ("/api/v1/market/candles/AAPL?limit=501", "limit"),
    ],
)
async def test_bad_queries_are_422_naming_the_field(client: Any, query: str, field: str) -> None:
    c, _ = client
    r = await c.get(query, headers=AUTH)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_request" and r.json()["field"] == field and r.json()["detail"]


async def test_candles_need_a_token(client: Any) -> None:
    c, _ = client
    assert (await c.get("/api/v1/market/candles/AAPL")).status_code == 401
