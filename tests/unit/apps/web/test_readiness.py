"""``/readyz`` of the web says ready only while prices are flowing (issue 12): with an empty or
stale price cache every order would be refused, so the process must not look ready then."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from litestar.testing import AsyncTestClient

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.apps.web.main import build_app
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote


async def put_quote(adapters: Any, symbol: str, age_s: float) -> None:
    price = Decimal("100")
    ts = utcnow() - timedelta(seconds=age_s)
    await adapters.prices().put(Quote(symbol, price - Decimal("0.01"), price + Decimal("0.01"), price, ts))


async def test_readyz_is_red_while_no_price_is_fresh_and_green_once_one_is() -> None:
    settings = Settings(profile="memory")
    adapters: Any = build_adapters(settings)
    async with AsyncTestClient(build_app(settings, adapters)) as client:
        empty = await client.get("/readyz")
        assert empty.status_code == 503
        assert empty.json()["status"] == "not_ready" and empty.json()["checks"]["prices"].startswith("missing")

        await put_quote(adapters, "AAPL", age_s=30)
        stale = await client.get("/readyz")
        assert stale.status_code == 503 and stale.json()["checks"]["prices"].startswith("stale")

        await put_quote(adapters, "MSFT", age_s=0)
        fresh = await client.get("/readyz")
        assert fresh.status_code == 200
        assert fresh.json() == {"status": "ready", "checks": {"memory": "ok", "prices": "ok"}}
