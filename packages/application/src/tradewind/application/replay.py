"""Rebuilding a read model from nothing, from the audit archive or from Kafka, and comparing it
with the live one (the article's event replay: any view can be reconstructed from its events).

Order matters (average cost is path-dependent, and an order moves through its statuses in
order), so events are replayed in the order the ledger numbered them: by account and
``account_seq``, which every order event carries. An event seen twice (a producer retry, or
both a Kafka copy and an archived one) is replayed once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError

from tradewind.application.audit.ports import AuditArchive
from tradewind.application.ports import OrderReadModel
from tradewind.application.positions.ports import PositionStore
from tradewind.domain.orders.events import OrderEvent, OrderFilled, parse_order_event
from tradewind.domain.orders.order import Order
from tradewind.domain.positions.position import Position

log = logging.getLogger(__name__)
REBUILD_CHUNK = 500  # fills per store call while rebuilding the positions view


@dataclass(frozen=True, slots=True)
class SourcedRecord:
    """One event as stored: where it was in Kafka, and its exact bytes."""

    topic: str
    partition: int
    offset: int
    payload: bytes


@dataclass
class ReplayReport:
    events: int = 0
    skipped: int = 0
    accounts: set[uuid.UUID] = field(default_factory=set)
    differences: list[str] = field(default_factory=list)


async def from_audit(archive: AuditArchive, event_types: Iterable[str]) -> list[SourcedRecord]:
    """Every archived event of ``event_types``, in Kafka order (partition, offset)."""
    wanted = {f"/type={t}/" for t in event_types}
    records: list[SourcedRecord] = []
    for key in await archive.keys("events/"):
        if any(w in key for w in wanted):
            records.extend(SourcedRecord(r.topic, r.partition, r.offset, r.payload) for r in await archive.read(key))
    return sorted(records, key=lambda r: (r.topic, r.partition, r.offset))


def _decode(
    records: Iterable[SourcedRecord], accounts: set[uuid.UUID] | None, report: ReplayReport
) -> list[OrderEvent]:
    seen: set[uuid.UUID] = set()
    events: list[OrderEvent] = []
    for record in records:
        try:
            event = parse_order_event(record.payload)
        except (ValidationError, ValueError):
            report.skipped += 1
            continue
        if event.event_id in seen or (accounts is not None and event.account_id not in accounts):
            continue
        seen.add(event.event_id)
        events.append(event)
    events.sort(key=lambda e: (str(e.account_id), e.account_seq or 0))
    return events


async def rebuild_positions(
    records: Iterable[SourcedRecord] | AsyncIterable[SourcedRecord],
    target: PositionStore,
    *,
    accounts: set[uuid.UUID] | None = None,
) -> ReplayReport:
    report = ReplayReport()
    fills = [
        event
        for event in _decode(await _all(records), accounts, report)
        if isinstance(event, OrderFilled) and event.fill_qty > 0 and event.fill_price > 0
    ]
    for start in range(0, len(fills), REBUILD_CHUNK):  # in order: one account's fills by account_seq
        chunk = fills[start : start + REBUILD_CHUNK]
        await target.apply_fills(chunk)
        report.events += len(chunk)
        report.accounts.update(f.account_id for f in chunk)
    return report


async def rebuild_orders(
    records: Iterable[SourcedRecord] | AsyncIterable[SourcedRecord],
    target: OrderReadModel,
    *,
    accounts: set[uuid.UUID] | None = None,
) -> ReplayReport:
    report = ReplayReport()
    for event in _decode(await _all(records), accounts, report):
        if not await target.apply(event) and event.account_seq is not None:
            report.skipped += 1  # it did not fit (its submission is older than the source's retention)
            continue
        report.events += 1
        report.accounts.add(event.account_id)
    return report


async def _all(records: Iterable[SourcedRecord] | AsyncIterable[SourcedRecord]) -> list[SourcedRecord]:
    if isinstance(records, AsyncIterable):
        return [r async for r in records]
    return list(records)


async def compare_positions(live: PositionStore, rebuilt: PositionStore, accounts: Iterable[uuid.UUID]) -> list[str]:
    """Differences between two positions views, one line each; empty when they are equal."""
    out: list[str] = []
    for account in sorted(accounts):
        mine = {p.symbol: p for p in await rebuilt.list(account)}
        theirs = {p.symbol: p for p in await live.list(account)}
        for symbol in sorted(set(mine) | set(theirs)):
            a, b = theirs.get(symbol), mine.get(symbol)
            if a is None or b is None or _position_key(a) != _position_key(b):
                out.append(f"{account}/{symbol}: live {_position_key(a)} != rebuilt {_position_key(b)}")
    return out


def _position_key(p: Position | None) -> tuple[object, ...] | None:
    if p is None:
        return None
    return (p.qty, p.cost_basis, p.realized_pl, p.cash_flow, p.bought_qty, p.sold_qty, p.fills, p.last_fill_price)


async def compare_orders(live: OrderReadModel, rebuilt: OrderReadModel, accounts: Iterable[uuid.UUID]) -> list[str]:
    out: list[str] = []
    for account in sorted(accounts):
        mine = {o.id: o for o in await _every_order(rebuilt, account)}
        theirs = {o.id: o for o in await _every_order(live, account)}
        for order_id in sorted(set(mine) | set(theirs)):
            a, b = _order_key(theirs.get(order_id)), _order_key(mine.get(order_id))
            if a != b:
                out.append(f"{account}/{order_id}: live {a} != rebuilt {b}")
    return out


async def _every_order(model: OrderReadModel, account: uuid.UUID) -> list[Order]:
    orders: list[Order] = []
    after: str | None = None
    while True:
        page = await model.list_orders(account, status="all", limit=500, after=after)
        orders.extend(page.orders)
        if page.next_after is None:
            return orders
        after = page.next_after


def _order_key(o: Order | None) -> tuple[object, ...] | None:
    if o is None:
        return None
    return (
        o.symbol,
        o.side,
        o.qty,
        o.limit_price,
        o.status,
        o.filled_qty,
        o.filled_avg_price,
        o.broker_order_id,
        o.order_seq,
    )
