"""/api/v1/account and /api/v1/positions: the trader's book, read from the views only (the
positions view, the order read model, the last price cache). Scoped to the caller (invariant 7)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import Dependency

from tradewind.application.positions.portfolio import Portfolio
from tradewind.domain.accounts import Account
from tradewind.domain.instruments import SYMBOLS


class PortfolioController(Controller):
    path = "/api/v1"
    tags = ["portfolio"]

    @get("/account", summary="Cash, equity, buying power, realized and unrealized P&L")
    async def account(
        self, account: Account, portfolio: Annotated[Portfolio, Dependency(skip_validation=True)]
    ) -> dict[str, object]:
        return await portfolio.account(account)

    @get("/positions", summary="Open positions marked at the last price; `stale` when the mark is older than 5 s")
    async def positions(
        self, account: Account, portfolio: Annotated[Portfolio, Dependency(skip_validation=True)]
    ) -> list[dict[str, object]]:
        return await portfolio.positions(account.id)

    @get("/positions/{symbol:str}", summary="One position (flat ones too: they keep realized P&L)")
    async def position(
        self, symbol: str, account: Account, portfolio: Annotated[Portfolio, Dependency(skip_validation=True)]
    ) -> dict[str, object]:
        wanted = symbol.strip().upper()
        if wanted not in SYMBOLS:
            raise ValidationException(
                detail="unknown symbol", extra=[{"key": "symbol", "message": f"{wanted!r} is not traded here"}]
            )
        found = await portfolio.position(account.id, wanted)
        if found is None:
            raise NotFoundException(f"no position in {wanted}")
        return found
