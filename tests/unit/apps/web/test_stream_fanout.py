"""The web process's SSE fan-out (``StreamHub`` and the stream's ASGI writer), with the in-memory
update source: each update framed once and shared, conflation, bounded per-connection queues,
the slow-consumer cut-off, idle-only heartbeats, and snapshots without a round trip per connection."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

from tradewind.adapters.aws.memory.notifier import MemoryNotifier
from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.memory.quotes import MemoryQuoteBroadcaster
from tradewind.apps.web.stream.controller import FanOutStream
from tradewind.apps.web.stream.hub import HEARTBEAT, StreamHub, encode
from tradewind.domain.accounts import Account
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote


def quote(symbol: str, n: int) -> Quote:
    return Quote(symbol, Decimal(n), Decimal(n + 1), Decimal(n), utcnow())


def account() -> Account:
    return Account(id=uuid.uuid4(), name="a", cash=Decimal(1000), created_at=utcnow())


async def test_each_update_is_framed_once_and_the_same_bytes_go_to_every_connection() -> None:
    notifier = MemoryNotifier()
    hub = StreamHub(notifier)
    owner = str(uuid.uuid4())
    conns = [hub.connect(owner, frozenset({"AAPL"})) for _ in range(3)]
    other = hub.connect(str(uuid.uuid4()), frozenset({"MSFT"}))
    await MemoryQuoteBroadcaster(notifier).broadcast([quote("AAPL", 7)])
    frames = [c.pending_quotes["AAPL"] for c in conns]
    assert all(f is frames[0] for f in frames)  # one object, one encoding
    assert frames[0].wire == encode("quote", frames[0].data, None) and b'"last": "7"' in frames[0].wire
    assert other.pending_quotes == {}
    await notifier.publish(uuid.UUID(owner), "order", 4, {"id": "o-4"})
    wires = [c.take() for c in conns]
    assert all(w[0] is wires[0][0] for w in wires)  # the order frame is shared too
    assert wires[0][0].startswith(b"id: 4\r\nevent: order\r\n")
    assert other.take() == []
    hub.close()


async def test_a_connection_that_does_not_read_holds_one_frame_per_symbol() -> None:
    notifier = MemoryNotifier()
    hub = StreamHub(notifier)
    slow = hub.connect("acct", frozenset({"AAPL", "MSFT"}))
    broadcaster = MemoryQuoteBroadcaster(notifier)
    for n in range(1, 2_001):
        await broadcaster.broadcast([quote("AAPL", n), quote("MSFT", n), quote("KO", n)])
    chunks = slow.take()
    assert len(chunks) == 2 and all(b'"last": "2000"' in c for c in chunks)
    assert slow.take() == []  # taken means gone
    hub.close()


async def test_an_overflowing_update_queue_cuts_the_connection_and_is_counted() -> None:
    notifier = MemoryNotifier()
    hub = StreamHub(notifier, max_pending=5)
    owner = uuid.uuid4()
    conn = hub.connect(str(owner), frozenset({"AAPL"}))
    for seq in range(1, 6):
        await notifier.publish(owner, "order", seq, {"id": seq})
    assert conn.cut is None and conn.updates.qsize() == 5
    await notifier.publish(owner, "order", 6, {"id": 6})
    assert conn.cut == "overflow" and hub.stats.cut_overflow == 1
    assert hub.connection_count == 0  # no longer fed: its memory stops growing
    await notifier.publish(owner, "order", 7, {"id": 7})
    assert conn.updates.qsize() == 5
    hub.close()


class Client:
    """The ASGI side of one SSE response: records what the stream sends; ``stop_reading`` makes
    every later body ``send`` block, as uvicorn's does when the socket buffer is full."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.reading = asyncio.Event()
        self.reading.set()
        self.closed = asyncio.Event()
        self.started: dict[str, Any] = {}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.started = message
            return
        await self.reading.wait()
        self.bodies.append(message["body"])

    async def receive(self) -> dict[str, Any]:
        await self.closed.wait()
        return {"type": "http.disconnect"}


class NoLog:
    async def log_since(self, account_id: Any, after: int, limit: int) -> list[Any]:
        return []


def stream(hub: StreamHub, acct: Account, heartbeat: float = 15.0) -> FanOutStream:
    return FanOutStream(hub, NoLog(), acct, frozenset({"AAPL"}), None, heartbeat, 0.0)  # type: ignore[arg-type]


async def test_a_client_that_stops_reading_is_cut_after_the_stall_and_counted(eventually: Any) -> None:
    notifier = MemoryNotifier()
    hub = StreamHub(notifier, stall_seconds=0.2)
    acct, client = account(), Client()
    task = asyncio.create_task(stream(hub, acct)({}, client.receive, client.send))  # type: ignore[arg-type]

    async def connected() -> bool:
        return hub.connection_count == 1

    await eventually(connected, what="the stream to register")
    client.reading.clear()  # the client stops reading: the next write blocks
    await MemoryQuoteBroadcaster(notifier).broadcast([quote("AAPL", 1)])

    async def cut() -> bool:
        return task.done()

    await eventually(cut, timeout=10, what="the slow consumer to be cut")
    assert hub.stats.cut_slow == 1 and hub.connection_count == 0
    assert task.exception() is None  # the writer ends quietly
    hub.close()


async def test_heartbeats_go_only_to_idle_connections_and_a_disconnect_ends_the_stream(eventually: Any) -> None:
    notifier = MemoryNotifier()
    hub = StreamHub(notifier)
    acct, client = account(), Client()
    task = asyncio.create_task(stream(hub, acct, heartbeat=0.2)({}, client.receive, client.send))  # type: ignore[arg-type]

    async def beat() -> bool:
        return HEARTBEAT in client.bodies

    await eventually(beat, what="a heartbeat on the idle stream")
    assert client.started["status"] == 200
    assert (b"content-type", b"text/event-stream; charset=utf-8") in client.started["headers"]
    client.closed.set()

    async def ended() -> bool:
        return task.done()

    await eventually(ended, what="the stream to end on disconnect")
    assert hub.connection_count == 0 and task.exception() is None
    hub.close()


async def test_snapshots_come_from_the_feed_and_one_shared_fetch_not_one_per_connection() -> None:
    notifier, prices = MemoryNotifier(), MemoryPriceCache()
    await prices.put(quote("MSFT", 300))
    hub = StreamHub(notifier, prices)
    await MemoryQuoteBroadcaster(notifier).broadcast([quote("AAPL", 190)])
    frames = await hub.snapshot({"AAPL"})
    assert [f.data["last"] for f in frames] == ["190"] and hub.stats.snapshot_fetches == 0
    many = await asyncio.gather(*(hub.snapshot({"AAPL", "MSFT"}) for _ in range(50)))
    assert all([f.data["symbol"] for f in frames] == ["AAPL", "MSFT"] for frames in many)
    assert hub.stats.snapshot_fetches == 1  # fifty connections at once, one round trip
    hub.close()
