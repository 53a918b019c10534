"""The ``PriceCache`` contract, run against the in-memory twin and Redis alike.

What the risk check relies on (invariant 4, fail closed): a quote comes back exactly as put,
``Decimal`` digits and timestamp included; an expired quote is no quote; ``get_many`` returns
only the symbols it has. Redis is shared between runs, so every test uses symbols of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from redis.asyncio import Redis

from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.redis.prices import RedisPriceCache
from tradewind.adapters.aws.settings import Settings
from tradewind.application.ports import PriceCache
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote

D = Decimal
Eventually = Callable[..., Awaitable[Any]]
MakeCache = Callable[..., PriceCache]


@pytest.fixture(params=["memory", "redis"])
async def make_cache(request: pytest.FixtureRequest) -> AsyncIterator[MakeCache]:
    """``make_cache(ttl_seconds=...)``: a cache of the twin under test (default TTL when omitted)."""
    if request.param == "memory":
        yield lambda **ttl: MemoryPriceCache(**ttl)
        return
    settings: Settings = request.getfixturevalue("services")
    redis = Redis(host=settings.redis_host, port=settings.redis_port)
    try:
        yield lambda **ttl: RedisPriceCache(redis, **ttl)
    finally:
        await redis.aclose()


def symbol() -> str:
    return f"T{uuid.uuid4().hex[:8].upper()}"


def quote(sym: str, bid: str = "101.2500", ask: str = "101.2600", last: str = "101.2550") -> Quote:
    return Quote(symbol=sym, bid=D(bid), ask=D(ask), last=D(last), ts=utcnow())


async def test_put_then_get_returns_the_quote_exactly(make_cache: MakeCache) -> None:
    cache = make_cache()
    put = Quote(
        symbol=symbol(),
        bid=D("0.00012345"),
        ask=D("101.2600"),
        last=D("123456789.123456789"),
        ts=utcnow() - timedelta(seconds=1),
    )
    await cache.put(put)

    got = await cache.get(put.symbol)

    assert got == put
    assert got is not None
    assert (str(got.bid), str(got.ask), str(got.last)) == ("0.00012345", "101.2600", "123456789.123456789")
    assert got.ts.utcoffset() == timedelta(0)


async def test_a_newer_quote_replaces_the_last(make_cache: MakeCache) -> None:
    cache = make_cache()
    sym = symbol()
    await cache.put(quote(sym, last="100"))
    newer = quote(sym, last="100.5")
    await cache.put(newer)
    assert await cache.get(sym) == newer


async def test_an_unknown_symbol_has_no_quote(make_cache: MakeCache) -> None:
    assert await make_cache().get(symbol()) is None


async def test_a_quote_expires_after_the_ttl(make_cache: MakeCache, eventually: Eventually) -> None:
    cache = make_cache(ttl_seconds=0.2)
    sym = symbol()
    await cache.put(quote(sym))
    assert await cache.get(sym) is not None

    async def gone() -> bool:
        return await cache.get(sym) is None

    await eventually(gone, timeout=5, what=f"{sym} to expire")
    assert await cache.get_many([sym]) == {}


async def test_get_many_skips_missing_symbols(make_cache: MakeCache) -> None:
    cache = make_cache()
    held = [quote(symbol(), last="10.01"), quote(symbol(), last="20.02")]
    for q in held:
        await cache.put(q)
    missing = symbol()

    got = await cache.get_many([held[0].symbol, missing, held[1].symbol])

    assert got == {q.symbol: q for q in held}
    assert await cache.get_many([]) == {}
    assert await cache.get_many([missing]) == {}
