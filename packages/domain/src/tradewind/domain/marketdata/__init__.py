"""Market data: the canonical ``PriceUpdate`` every exchange feed is normalized into, and OHLCV
candles aggregated from updates by event time."""

from tradewind.domain.marketdata.candles import (
    ALLOWED_LATENESS_MS,
    Candle,
    CandleAggregator,
    CandleClosed,
    Interval,
)
from tradewind.domain.marketdata.price_update import InvalidPriceUpdate, PriceUpdate

__all__ = [
    "ALLOWED_LATENESS_MS",
    "Candle",
    "CandleAggregator",
    "CandleClosed",
    "Interval",
    "InvalidPriceUpdate",
    "PriceUpdate",
]
