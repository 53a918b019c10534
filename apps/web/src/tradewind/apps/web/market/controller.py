"""/api/v1/market: the last-price cache, as traders and the dashboard read it."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Dependency, Parameter

from tradewind.application.ports import PriceCache
from tradewind.domain.accounts import Account
from tradewind.domain.errors import InvalidOrder
from tradewind.domain.instruments import DEFAULT_WATCHLIST, SYMBOLS


class MarketController(Controller):
    path = "/api/v1/market"
    tags = ["market"]

    @get("/quotes", summary="Last quotes; `stale` when older than 5 s")
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
