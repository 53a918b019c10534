"""Ports: what the application needs from the outside world, as ``typing.Protocol``s.

Adapters (``tradewind.adapters.*``) implement them; every port has a real twin and an in-memory
twin that pass the same contract suite (``tests/contract/ports``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

from tradewind.domain.accounts import Account, AccountKind
from tradewind.domain.market import Quote
from tradewind.domain.marketdata import Candle, Interval, PriceUpdate
from tradewind.domain.orders.events import Event, OrderEvent
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.reports import VenueReport
from tradewind.domain.risk.trading_state import TradingState

if TYPE_CHECKING:  # dead_letters imports this module (EventPublisher)
    from tradewind.application.dead_letters import Delivery


@dataclass(frozen=True, slots=True)
class Exposure:
    """What an account holds and has asked for, read from the OMS ledger under the account lock.

    ``positions`` are signed share counts from the fills the ledger applied; ``open_orders`` are
    every order not final, each at its largest (``Order.at_largest``: a pending amend counts at
    the larger of its old and new size until the venue answers); ``cash`` is the funding plus the
    net cash of every fill. Nothing here comes from a projection.
    """

    cash: Decimal
    positions: dict[str, int]
    open_orders: list[Order]
    kind: AccountKind = AccountKind.CASH
    margin_multiplier: Decimal = Decimal(1)
    #: the stricter of the account's and the platform's trading state, and why
    trading_state: TradingState = TradingState.ACTIVE
    trading_state_reason: str | None = None
    #: this account's limits over the platform defaults (``domain.risk.limits``), by name
    limit_overrides: dict[str, Decimal | int] = field(default_factory=dict)
    #: the account's equity when today's session started (``None``: not taken yet; the first
    #: check of the session takes it), for the daily loss limit
    session_start_equity: Decimal | None = None


class OrderRepository(Protocol):
    """The orders of the OMS ledger. Every write also puts ``order.events`` in the outbox, in the
    same transaction (invariant 1), each event numbered (``order_seq``, ``account_seq``)."""

    async def add(self, order: Order) -> None:
        """Insert the order (open) and write its events to the outbox."""

    async def save(self, order: Order) -> None:
        """Write the order's current state (status, fills, pending amend, last ``order_seq``) and
        its events to the outbox; a final order leaves the open set."""

    async def save_many(self, orders: Sequence[Order], events: Sequence[OrderEvent]) -> None:
        """``save`` for a batch (the OMS ledger's poll): each order's state, and ``events`` (of
        those orders, numbered) into the outbox in the order given, which is ``account_seq``
        order per account; the orders' own ``events`` are not written. A fixed number of
        statements, whatever the batch's size."""

    async def get(self, account_id: uuid.UUID, order_id: uuid.UUID) -> Order | None:
        """The order as the ledger has it now (read your writes)."""

    async def get_many(self, keys: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> dict[uuid.UUID, Order]:
        """``get`` for several (account, order) pairs at once: the ones found, by order id."""

    async def by_client_order_id(self, account_id: uuid.UUID, client_order_id: str) -> Order | None: ...

    async def exposure(self, account_id: uuid.UUID) -> Exposure: ...

    async def book_fills(self, moves: Sequence[tuple[uuid.UUID, str, int, Decimal]]) -> None:
        """For each (account, symbol, qty, cash) of a batch, move the ledger's position in
        ``symbol`` by ``qty`` (signed) and its cash by ``cash``; one statement for the batch."""

    async def open_orders(self, account_id: uuid.UUID) -> list[Order]:
        """Every order of the account not final, as the ledger has it (for the kill switch)."""
        ...

    async def any_fills(self) -> bool:
        """Whether the ledger has booked any fill (a positions view empty meanwhile is stale)."""
        ...


class AccountRepository(Protocol):
    async def add(self, account: Account, token_hash: str) -> None: ...

    async def lock(self, account_id: uuid.UUID) -> Account | None:
        """Load the account and hold it until the unit of work ends: everything the OMS writes
        for one account is written one transaction at a time."""

    async def lock_many(self, account_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Account]:
        """``lock`` for several accounts in one statement, in id order (two transactions that
        lock overlapping sets wait for each other at most once); the ones that exist."""

    async def by_token_hash(self, token_hash: str) -> Account | None: ...

    async def next_seq(self, account_id: uuid.UUID, count: int = 1) -> int:
        """Reserve ``count`` consecutive ``account_seq`` numbers; returns the first. Under the
        account lock, so the numbers are gap-free and in commit order."""
        ...

    async def next_seqs(self, counts: Mapping[uuid.UUID, int]) -> dict[uuid.UUID, int]:
        """``next_seq`` for several locked accounts at once: the first number reserved for each."""
        ...

    async def trading_state(self, account_id: uuid.UUID) -> tuple[TradingState, str | None]: ...

    async def set_trading_state(self, account_id: uuid.UUID, state: TradingState, reason: str) -> None: ...

    async def platform_state(self) -> tuple[TradingState, str | None]: ...

    async def set_platform_state(self, state: TradingState, reason: str, changed_by: str) -> None: ...

    async def with_open_orders(self) -> list[uuid.UUID]:
        """Accounts that have open orders (what a platform-wide halt must sweep)."""
        ...

    async def to_sweep(self, session: date, *, default_limit: bool) -> list[uuid.UUID]:
        """Accounts the session sweep must look at: holding a non-zero position in the ledger
        (their equity moves with prices) and either without a start kept for ``session``, or
        active with a daily loss limit (their own, or the platform's when ``default_limit``).
        The others would cost the sweep a locked transaction each and change nothing."""
        ...

    async def record_risk_event(self, event: Event) -> None:
        """Write ``event`` to the outbox for ``risk.events`` in this transaction."""

    async def limits(self, account_id: uuid.UUID) -> dict[str, Decimal | int]: ...

    async def record_session_start(self, account_id: uuid.UUID, session: date, equity: Decimal) -> None:
        """Keep the account's equity at the start of ``session`` (once: a second call for the
        same session changes nothing)."""

    async def set_limits(
        self, account_id: uuid.UUID, overrides: Mapping[str, Decimal | int | None], changed_by: str
    ) -> None:
        """Set (or, for ``None``, remove) the account's overrides by name."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One venue report as the ledger recorded it (``ReportJournal.record``'s arguments)."""

    report: VenueReport
    outcome: str
    account_seq: int | None
    detail: str | None


class ReportJournal(Protocol):
    """Every venue report the ledger consumed, by ``report_id``: applied, ignored or flagged."""

    async def seen_many(self, report_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """The ones of ``report_ids`` already in the journal."""
        ...

    async def record(self, report: VenueReport, *, outcome: str, account_seq: int | None, detail: str | None) -> None:
        """``outcome``: ``applied`` (``account_seq`` of the event it made), ``ignored`` (a
        reconciliation that told nothing new) or ``flagged`` (kept, not applied: ``detail`` says
        why; for operators)."""

    async def record_many(self, entries: Sequence[JournalEntry]) -> None:
        """``record`` for each entry of a batch, in one statement."""

    async def flagged(self, limit: int = 100) -> list[dict[str, object]]: ...

    async def external(self, limit: int = 100) -> list[dict[str, object]]:
        """Flagged reports for orders the ledger does not have (external orders), newest first."""
        ...


class UnitOfWork(Protocol):
    """One database transaction. Leaving the block without ``commit()`` rolls back."""

    orders: OrderRepository
    accounts: AccountRepository
    reports: ReportJournal

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True, slots=True)
class OrderLogEntry:
    """One applied order event as the trader's stream shows it. ``seq`` is the event's
    ``account_seq`` (the SSE ``id``); an event may show as several entries (a fill, then its
    order, which completes it), told apart by ``part``."""

    seq: int
    account_id: uuid.UUID
    kind: str  # "order" or "fill"
    data: dict[str, object]
    part: int = 0


@dataclass(frozen=True, slots=True)
class OrderPage:
    orders: list[Order]
    next_after: str | None


class OrderReadModel(Protocol):
    """The order projection's table, separate from the ledger, built from ``order.events`` only.
    ``apply`` is idempotent and atomic: an event whose ``account_seq`` the view has already
    applied changes nothing and returns the entries it made the first time; the view change, the
    account's progress and the stream log entries commit together."""

    async def apply(self, event: OrderEvent) -> list[OrderLogEntry]: ...

    async def apply_many(self, events: Sequence[OrderEvent]) -> list[OrderLogEntry]:
        """``apply`` for each event in order, all in one transaction (one commit per poll, issue
        15): every event's change commits, or none does and the call raises."""
        ...

    async def get(self, account_id: uuid.UUID, order_id: uuid.UUID) -> Order | None: ...

    async def list_orders(
        self, account_id: uuid.UUID, *, status: str = "all", limit: int = 50, after: str | None = None
    ) -> OrderPage: ...

    async def log_since(self, account_id: uuid.UUID, seq: int, limit: int = 500) -> list[OrderLogEntry]:
        """Entries of events after ``seq``, oldest first, whole events only (a page never ends
        between the parts of one event); page on with the last entry's ``seq``."""
        ...


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    id: int
    topic: str
    key: str
    event_id: uuid.UUID
    payload: bytes


class OutboxStore(Protocol):
    def claim(self) -> AbstractAsyncContextManager[None]:
        """Hold the relay's leadership (one relay publishes at a time, so order per key holds)."""
        ...

    async def unsent(self, limit: int) -> list[OutboxRecord]:
        """Oldest first."""

    async def mark_sent(self, ids: Sequence[int]) -> None: ...

    async def wait(self, timeout: float) -> None:
        """Return when new rows may have been committed, or after ``timeout`` seconds."""


class EventPublisher(Protocol):
    """Durable publish: returns only when the broker acknowledged (acks=all)."""

    async def publish(self, topic: str, key: str, payload: bytes, headers: dict[str, str] | None = None) -> None: ...

    async def publish_batch(self, records: Sequence[tuple[str, str, bytes]]) -> int:
        """Publish in order; returns how many of the leading records were acknowledged."""
        ...


class PriceCache(Protocol):
    async def put(self, quote: Quote) -> None: ...

    async def get(self, symbol: str) -> Quote | None:
        """The last quote, or ``None`` when there is none or it expired. Raises on cache failure."""

    async def get_many(self, symbols: Sequence[str]) -> dict[str, Quote]: ...


StreamHandler = Callable[[str, dict[str, object]], Awaitable[None]]


#: one live update: (account_id or None for everyone's, kind, seq or None, data)
LiveUpdate = tuple[uuid.UUID | None, str, int | None, dict[str, object]]


class Notifier(Protocol):
    """Fan-out of live updates to web processes (Redis pub/sub in ``local``)."""

    async def publish(
        self, account_id: uuid.UUID | None, kind: str, seq: int | None, data: dict[str, object]
    ) -> None: ...

    async def publish_many(self, updates: Sequence[LiveUpdate]) -> None:
        """``publish`` for each update, in order, in one round trip (a projection's poll: one
        Redis round trip per update was what held it back, issue 15)."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class EventHandler(Protocol):
    async def __call__(self, event: Event) -> None: ...


class OrderLookup(Protocol):
    """Read one order from the OMS ledger outside a unit of work (read your writes)."""

    async def get(self, account_id: uuid.UUID, order_id: uuid.UUID) -> Order | None: ...


MessageHandler = Callable[[bytes], Awaitable[None]]
#: a handler of one poll's messages, in partition order (issue 15): it makes all of them durable
#: or raises, and then none of them is committed (each comes again)
BatchHandler = Callable[[Sequence[bytes]], Awaitable[None]]


class Subscriptions(Protocol):
    """Consumer groups over topics. A handler that raises leaves the message uncommitted and it is
    delivered again (invariant 5); a handler that returns has made its effect durable."""

    def subscribe(self, topics: Sequence[str], group: str, handler: MessageHandler) -> None:
        """Every handler runs under the one ``DeadLetterPolicy`` (``application/dead_letters.py``)."""
        ...

    def subscribe_deliveries(
        self, topics: Sequence[str], group: str, handler: Callable[[Delivery], Awaitable[None]]
    ) -> None:
        """As ``subscribe``, for a handler that needs the message's coordinates and headers."""
        ...

    def subscribe_batch(
        self, topics: Sequence[str], group: str, handler: BatchHandler, *, max_records: int = 200
    ) -> None:
        """Like ``subscribe``, with what one poll returned (up to ``max_records``, in order per
        partition) handed over at once; offsets are committed after the handler returned."""
        ...

    async def start(self) -> None: ...

    async def ready(self) -> bool:
        """Every consumer is assigned and positioned: nothing published from now on is missed."""
        ...

    async def stop(self) -> None: ...


# -- market data (issue 5) -------------------------------------------------------------------


PriceSink = Callable[[PriceUpdate], Awaitable[None]]


class PriceFeed(Protocol):
    """One exchange connection (or the history replay) delivering normalized ``PriceUpdate``s.

    ``run`` returns only when ``stop`` is set: a malformed message is counted and dropped, a lost
    connection is retried with backoff. ``stats`` counts what was received, delivered and dropped.
    """

    name: str

    @property
    def stats(self) -> Mapping[str, int]: ...

    async def run(self, sink: PriceSink, stop: asyncio.Event) -> None: ...


class PriceStreamProducer(Protocol):
    """The market-data stream's write side (Kinesis, partition key = symbol). ``put`` buffers and
    may wait when the buffer is full (backpressure); ``flush`` returns once everything put before
    it was accepted by the stream or given up after retries (market data tolerates loss)."""

    async def start(self) -> None: ...

    async def put(self, update: PriceUpdate) -> None: ...

    async def flush(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class PriceBatch:
    """Consecutive records of one shard, in stream order: ``(sequence number, update)``."""

    shard_id: str
    records: Sequence[tuple[int, PriceUpdate]]


PriceBatchHandler = Callable[[PriceBatch], Awaitable[None]]


class PriceStreamConsumer(Protocol):
    """The market-data stream's read side. Reads every shard (and shards created later, each after
    its parents are read to the end), in order within a shard. A shard's position is checkpointed
    durably only after the handler returned for the batch, so a restart neither starts over nor
    skips; a handler that raises gets the same batch again."""

    async def start(self, handler: PriceBatchHandler) -> None: ...

    async def ready(self) -> bool:
        """Every open shard has a reader positioned on it."""
        ...

    async def stop(self) -> None: ...


class QuoteWriter(Protocol):
    """Batched write side of the last-price cache (one round trip for many symbols)."""

    async def put_many(self, quotes: Sequence[Quote]) -> None: ...


class QuoteBroadcaster(Protocol):
    """Fan-out of ``quote`` updates to every web process, in the ``Notifier``'s message format."""

    async def broadcast(self, quotes: Sequence[Quote]) -> None: ...


class CandleStore(Protocol):
    """Candles, open and closed. ``save`` upserts by ``(symbol, interval, start)`` together with
    the per-shard stream position the candles include, in one transaction, so a batch replayed
    after a crash is recognised and not counted twice."""

    async def save(self, candles: Sequence[Candle], progress: Mapping[str, int]) -> None: ...

    async def load_open(self) -> tuple[list[Candle], dict[str, int]]:
        """Open candles and the per-shard progress, to resume aggregation after a restart."""
        ...

    async def list_candles(
        self, symbol: str, interval: Interval, *, limit: int = 50, before_ms: int | None = None
    ) -> list[Candle]:
        """Newest first; ``before_ms`` pages back (candles starting strictly before it)."""
        ...


class Retention(Protocol):
    """Drops rows past their retention (outbox rows sent long ago, settled venue reports older
    than any redelivery, stream entries older than the resume horizon); returns rows per table."""

    async def prune(self) -> dict[str, int]: ...


class RateLimiter(Protocol):
    """Token buckets by key, shared by every web process (Redis on ``local``): ``take`` spends one
    token of ``key``'s bucket (``burst`` deep, refilled at ``rate`` per second) and returns 0, or
    returns the seconds to wait when the bucket is empty."""

    async def take(self, key: str, rate: float, burst: int) -> float: ...
