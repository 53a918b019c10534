"""/api/v1/market: the last-price cache and the candles, as traders and the dashboard read them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, Response, get
from litestar.exceptions import ValidationException
from litestar.params import Dependency, Parameter

from tradewind.application.ports import CandleStore, PriceCache
from tradewind.apps.web.openapi import documented, errors
from tradewind.domain.accounts import Account
from tradewind.domain.errors import InvalidOrder
from tradewind.domain.instruments import DEFAULT_WATCHLIST, SYMBOLS
from tradewind.domain.marketdata import Interval


class MarketController(Controller):
    path = "/api/v1/market"
    tags = ["market"]

    @get(
        "/quotes",
        summary="Last quotes; `stale` when older than 5 s",
        responses=errors(401, 422, 503),
        operation_class=documented(),
    )
    async def quotes(
        self,
        account: Account,
        prices: Annotated[PriceCache, Dependency(skip_validation=True)],
        symbols: str | None = Parameter(query="symbols", default=None),
    ) -> list[dict[str, object]]:
        wanted = [s.strip().upper() for s in symbols.split(",") if s.strip()] if symbols else list(DEFAULT_WATCHLIST)
        unknown = [s for s in wanted if s not in SYMBOLS]
        if unknown:
            raise InvalidOrder(f"unknown symbol {unknown[0]}", field="symbols")
        found = await prices.get_many(wanted)
        return [found[s].to_dict() for s in wanted if s in found]

    @get(
        "/candles/{symbol:str}",
        summary="OHLCV candles by event time (newest first; the forming candle has `closed: false`)",
        responses=errors(401, 422),
        operation_class=documented(),
    )
    async def candles(
        self,
        symbol: str,
        account: Account,
        candles: Annotated[CandleStore, Dependency(skip_validation=True)],
        interval: str = Parameter(query="interval", default="1m", description="1m, 5m or 1h"),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
        after: str | None = Parameter(
            query="after", default=None, description="the `start` of the last candle of the previous page"
        ),
    ) -> Response[list[dict[str, object]]]:
        if symbol.upper() not in SYMBOLS:
            raise _invalid("symbol", f"unknown symbol {symbol}")
        if interval not in {i.value for i in Interval}:
            raise _invalid("interval", "interval must be one of: 1m, 5m, 1h")
        before_ms = None
        if after is not None:
            try:
                moment = datetime.fromisoformat(after.replace("Z", "+00:00"))
            except ValueError:
                raise _invalid("after", "after must be an ISO-8601 time such as 2024-03-04T15:00:00Z") from None
            if moment.tzinfo is None:
                raise _invalid("after", "after must carry a timezone (Z for UTC)")
            before_ms = int(moment.timestamp() * 1000)
        page = await candles.list_candles(symbol.upper(), Interval(interval), limit=limit, before_ms=before_ms)
        body = [c.to_dict() for c in page]
        headers = {"X-Next-After": str(body[-1]["start"])} if len(page) == limit else None
        return Response(body, headers=headers)


def _invalid(field: str, detail: str) -> ValidationException:
    return ValidationException(detail=f"invalid {field}", extra=[{"key": field, "message": detail}])
