"""The synchronous pre-trade check. It fails closed (invariant 4): a missing or stale price is a
rejection (422, rule ``price_missing``/``price_stale``); a cache that does not answer or a rule that
crashes is ``RiskUnavailable`` (503). Either way the order is refused with a reason."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tradewind.application.ports import Exposure, PriceCache
from tradewind.application.risk.rules import RiskContext, RiskRule
from tradewind.domain.clock import utcnow
from tradewind.domain.errors import RiskRejected, RiskUnavailable, ServiceUnavailable
from tradewind.domain.orders.order import Order
from tradewind.domain.risk.daily_loss import breach, equity
from tradewind.domain.risk.limits import RiskLimits
from tradewind.domain.risk.trading_state import TradingState, reduces_exposure

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RiskVerdict:
    """What the check learned besides "yes": the account's equity at current marks (the session
    start snapshot when none is kept yet) and, when the daily loss limit is crossed, why (the
    caller moves the account to ``reducing`` in the same transaction)."""

    equity: Decimal
    daily_loss_breach: str | None = None


class DailyLossBreached(RiskRejected):
    """The daily loss limit is crossed and the order would not reduce the account's positions.
    Carries the verdict: the refusal still moves the account to ``reducing``."""

    def __init__(self, detail: str, verdict: RiskVerdict) -> None:
        super().__init__("daily_loss_limit", detail)
        self.verdict = verdict


class RiskCheck:
    def __init__(self, prices: PriceCache, rules: Sequence[RiskRule], limits: RiskLimits | None = None) -> None:
        self._prices = prices
        self._rules = tuple(rules)
        #: the platform's default limits; an account's overrides come with its exposure
        self._limits = limits

    @property
    def platform_limits(self) -> RiskLimits | None:
        return self._limits

    def limits_of(self, exposure: Exposure) -> RiskLimits | None:
        if self._limits is None and not exposure.limit_overrides:
            return None
        return (self._limits or RiskLimits()).merged(exposure.limit_overrides)

    async def check(self, order: Order, exposure: Exposure) -> RiskVerdict:
        check_trading_state(order, exposure)  # before anything else: a halted account needs no price
        symbols = sorted({order.symbol, *exposure.positions, *(o.symbol for o in exposure.open_orders)})
        try:
            quotes = await self._prices.get_many(symbols)
        except Exception as exc:  # the cache is down: we cannot know the risk
            log.warning("risk price lookup failed", extra={"error": repr(exc)})
            cause = exc.__cause__ if isinstance(exc, ServiceUnavailable) and exc.__cause__ else exc
            raise RiskUnavailable("price_cache", f"price cache unavailable: {cause.__class__.__name__}") from exc
        now = utcnow()
        for symbol in symbols:
            quote = quotes.get(symbol)
            if quote is None:
                raise RiskRejected("price_missing", f"no current price for {symbol}")
            if quote.is_stale(now):
                raise RiskRejected("price_stale", f"the price of {symbol} is older than 5 s")
        limits = self.limits_of(exposure)
        ctx = RiskContext(
            quotes=quotes,
            positions=exposure.positions,
            open_orders=exposure.open_orders,
            cash=exposure.cash,
            kind=exposure.kind,
            margin_multiplier=exposure.margin_multiplier,
            limits=limits,
        )
        verdict = RiskVerdict(equity(exposure.cash, exposure.positions, quotes))
        if exposure.trading_state is TradingState.ACTIVE:  # reducing/halted: already refused above
            why = breach(exposure.session_start_equity, verdict.equity, limits.daily_loss_limit if limits else None)
            if why is not None:
                verdict = RiskVerdict(verdict.equity, why)
                if not reduces_exposure(order, exposure.positions, exposure.open_orders):
                    raise DailyLossBreached(f"{why}: the account may only reduce its positions", verdict)
        for rule in self._rules:
            try:
                rule.check(order, ctx)
            except RiskRejected:
                raise
            except Exception as exc:
                log.exception("risk rule crashed", extra={"rule": rule.name})
                raise RiskUnavailable(rule.name, f"risk rule {rule.name} failed: {exc}") from exc
        return verdict


def check_trading_state(order: Order, exposure: Exposure) -> None:
    """``halted``: nothing new (cancels never come here); ``reducing``: only an order that brings
    a position closer to flat. Refusals name the rule ``trading_state`` and the reason given."""
    state, why = exposure.trading_state, exposure.trading_state_reason
    because = f" ({why})" if why else ""
    if state is TradingState.HALTED:
        raise RiskRejected("trading_state", f"trading is halted{because}: only cancels are accepted")
    if state is TradingState.REDUCING and not reduces_exposure(order, exposure.positions, exposure.open_orders):
        raise RiskRejected("trading_state", f"the account may only reduce its positions{because}: this order would not")
