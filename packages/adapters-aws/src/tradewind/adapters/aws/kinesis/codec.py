"""The market-data record: a ``PriceUpdate`` as compact JSON, decimals as strings (never floats)."""

from __future__ import annotations

import json

from tradewind.domain.marketdata import InvalidPriceUpdate, PriceUpdate


def encode(update: PriceUpdate) -> bytes:
    return json.dumps(update.to_dict(), separators=(",", ":")).encode()


def decode(data: bytes) -> PriceUpdate:
    """Raises ``InvalidPriceUpdate`` for anything that is not an encoded update."""
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidPriceUpdate(f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidPriceUpdate("not a JSON object")
    return PriceUpdate.from_dict(raw)
