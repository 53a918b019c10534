"""Per-connection conflation of ``quote`` events in the web process's ``StreamHub``: a client
that does not read holds at most one pending quote per subscribed symbol, the newest, however
fast the feed; it sees only the symbols it asked for; its own order updates are all kept."""

from __future__ import annotations

import uuid
from decimal import Decimal

from tradewind.adapters.aws.memory.notifier import MemoryNotifier
from tradewind.adapters.aws.memory.quotes import MemoryQuoteBroadcaster
from tradewind.apps.web.stream.hub import StreamHub
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote


def quote(symbol: str, n: int) -> Quote:
    return Quote(symbol, Decimal(n), Decimal(n + 1), Decimal(n), utcnow())


async def test_a_slow_client_holds_only_the_newest_quote_per_symbol() -> None:
    notifier = MemoryNotifier()
    hub = StreamHub(notifier)
    account = uuid.uuid4()
    slow = hub.connect(str(account), frozenset({"AAPL", "MSFT"}))
    broadcaster = MemoryQuoteBroadcaster(notifier)
    for n in range(1, 5_001):
        await broadcaster.broadcast([quote("AAPL", n), quote("MSFT", 10_000 + n), quote("KO", n)])
    assert set(slow.quotes) == {"AAPL", "MSFT"}  # bounded by the watchlist, not by the feed
    assert slow.quotes["AAPL"]["last"] == "5000" and slow.quotes["MSFT"]["last"] == "15000"
    assert slow.updates.empty() and not slow.overflowed
    for seq in (1, 2, 3):
        await notifier.publish(account, "order", seq, {"id": f"o-{seq}"})
    assert [slow.updates.get_nowait()["seq"] for _ in range(3)] == [1, 2, 3]  # never conflated
    hub.disconnect(slow)
