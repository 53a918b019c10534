"""The OMS ledger in PostgreSQL: accounts, orders, open orders, positions and cash, the venue
report journal, all in one unit of work with the outbox.

The order rows and their outbox rows are written in the same transaction (invariant 1). ``lock``
takes the account row ``FOR UPDATE``, so every write for one account (the web's commands and the
worker's venue reports) happens one transaction at a time, and ``next_seq`` can number the
account's events gap-free in commit order. Risk reads ``exposure`` here, in the same
transaction: open orders at their largest, positions and cash as the ledger applied the fills.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

import asyncpg

from tradewind.adapters.aws.postgres.rows import (
    LEDGER_COLUMNS,
    STATE_COLUMNS,
    ledger_values,
    order_from_row,
    state_values,
)
from tradewind.application.ports import Exposure, JournalEntry
from tradewind.application.topics import RISK_EVENTS, topics_for
from tradewind.domain.accounts import Account, AccountKind
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.events import Event, OrderEvent
from tradewind.domain.orders.order import Order
from tradewind.domain.orders.reports import VenueReport
from tradewind.domain.risk.daily_loss import session_of
from tradewind.domain.risk.limits import limit_value
from tradewind.domain.risk.trading_state import TradingState, stricter

_PLACEHOLDERS = ", ".join(f"${i}" for i in range(1, 23))
_SELECT = f"SELECT {LEDGER_COLUMNS} FROM orders"


def _set_state(first: int) -> str:
    """``SET`` for ``STATE_COLUMNS`` from ``$first`` on, in ``state_values`` order."""
    return ", ".join(f"{column} = ${i}" for i, column in enumerate(STATE_COLUMNS, start=first))


# $1 the order's id, $2 whether it is final, $3..$6 its outbox rows, then its state
_SAVE = (
    f"WITH upd AS (UPDATE orders SET {_set_state(7)} WHERE id = $1 RETURNING id),"
    " closed AS (DELETE FROM open_orders WHERE order_id = $1 AND $2)"
    " INSERT INTO outbox (topic, key, event_id, payload)"
    " SELECT * FROM unnest($3::text[], $4::text[], $5::uuid[], $6::bytea[])"
)
_SAVE_STATE = f"UPDATE orders SET {_set_state(2)} WHERE id = $1"


class PgAccountRepository:
    def __init__(self, uow: PgUnitOfWork) -> None:
        self._uow = uow

    async def add(self, account: Account, token_hash: str) -> None:
        await self._uow.conn.execute(
            "INSERT INTO accounts (id, name, cash, token_hash, created_at, kind, margin_multiplier, is_admin)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            account.id,
            account.name,
            account.cash,
            token_hash,
            account.created_at,
            account.kind.value,
            account.margin_multiplier,
            account.is_admin,
        )

    async def lock(self, account_id: uuid.UUID) -> Account | None:
        row = await self._uow.conn.fetchrow("SELECT * FROM accounts WHERE id = $1 FOR UPDATE", account_id)
        return None if row is None else _account(row)

    async def lock_many(self, account_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Account]:
        rows = await self._uow.conn.fetch(
            "SELECT * FROM accounts WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE", list(set(account_ids))
        )
        return {row["id"]: _account(row) for row in rows}

    async def by_token_hash(self, token_hash: str) -> Account | None:
        row = await self._uow.conn.fetchrow("SELECT * FROM accounts WHERE token_hash = $1", token_hash)
        return None if row is None else _account(row)

    async def trading_state(self, account_id: uuid.UUID) -> tuple[TradingState, str | None]:
        row = await self._uow.conn.fetchrow(
            "SELECT trading_state, trading_state_reason FROM accounts WHERE id = $1", account_id
        )
        if row is None:
            raise LookupError(f"account {account_id} does not exist")
        return TradingState(row["trading_state"]), row["trading_state_reason"]

    async def set_trading_state(self, account_id: uuid.UUID, state: TradingState, reason: str) -> None:
        await self._uow.conn.execute(
            "UPDATE accounts SET trading_state = $2, trading_state_reason = $3 WHERE id = $1",
            account_id,
            state.value,
            reason,
        )

    async def platform_state(self) -> tuple[TradingState, str | None]:
        row = await self._uow.conn.fetchrow("SELECT trading_state, reason FROM platform_state WHERE id = 1")
        return (TradingState.ACTIVE, None) if row is None else (TradingState(row["trading_state"]), row["reason"])

    async def set_platform_state(self, state: TradingState, reason: str, changed_by: str) -> None:
        # The row is locked by the update until commit: two admins change the platform one at a time.
        await self._uow.conn.execute(
            "INSERT INTO platform_state (id, trading_state, reason, changed_by, changed_at) VALUES (1, $1, $2, $3, now())"
            " ON CONFLICT (id) DO UPDATE SET trading_state = EXCLUDED.trading_state, reason = EXCLUDED.reason,"
            " changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at",
            state.value,
            reason,
            changed_by,
        )

    async def with_open_orders(self) -> list[uuid.UUID]:
        rows = await self._uow.conn.fetch("SELECT DISTINCT account_id FROM open_orders")
        return [r["account_id"] for r in rows]

    async def to_sweep(self, session: date, *, default_limit: bool) -> list[uuid.UUID]:
        rows = await self._uow.conn.fetch(
            "SELECT a.id FROM accounts a WHERE EXISTS (SELECT 1 FROM ledger_positions p"
            " WHERE p.account_id = a.id AND p.qty <> 0) AND ("
            " NOT EXISTS (SELECT 1 FROM account_sessions s WHERE s.account_id = a.id AND s.session_date = $1)"
            " OR (a.trading_state = 'active' AND ($2 OR EXISTS (SELECT 1 FROM account_limits l"
            " WHERE l.account_id = a.id AND l.name = 'daily_loss_limit')))) ORDER BY a.id",
            session,
            default_limit,
        )
        return [r["id"] for r in rows]

    async def record_risk_event(self, event: Event) -> None:
        await self._uow.conn.execute(
            "INSERT INTO outbox (topic, key, event_id, payload) VALUES ($1, $2, $3, $4)",
            RISK_EVENTS,
            str(event.account_id),
            event.event_id,
            event.to_json(),
        )

    async def limits(self, account_id: uuid.UUID) -> dict[str, Decimal | int]:
        rows = await self._uow.conn.fetch("SELECT name, value FROM account_limits WHERE account_id = $1", account_id)
        return {r["name"]: limit_value(r["name"], r["value"]) for r in rows}

    async def record_session_start(self, account_id: uuid.UUID, session: date, equity: Decimal) -> None:
        await self._uow.conn.execute(
            "INSERT INTO account_sessions (account_id, session_date, start_equity) VALUES ($1, $2, $3)"
            " ON CONFLICT (account_id, session_date) DO NOTHING",
            account_id,
            session,
            equity,
        )

    async def set_limits(
        self, account_id: uuid.UUID, overrides: Mapping[str, Decimal | int | None], changed_by: str
    ) -> None:
        for name, value in overrides.items():
            if value is None:
                await self._uow.conn.execute(
                    "DELETE FROM account_limits WHERE account_id = $1 AND name = $2", account_id, name
                )
            else:
                await self._uow.conn.execute(
                    "INSERT INTO account_limits (account_id, name, value, updated_by) VALUES ($1, $2, $3, $4)"
                    " ON CONFLICT (account_id, name) DO UPDATE SET value = EXCLUDED.value,"
                    " updated_by = EXCLUDED.updated_by, updated_at = now()",
                    account_id,
                    name,
                    str(value),
                    changed_by,
                )

    async def next_seq(self, account_id: uuid.UUID, count: int = 1) -> int:
        last = await self._uow.conn.fetchval(
            "UPDATE accounts SET account_seq = account_seq + $2 WHERE id = $1 RETURNING account_seq",
            account_id,
            count,
        )
        if last is None:
            raise LookupError(f"account {account_id} does not exist")
        return int(last) - count + 1

    async def next_seqs(self, counts: Mapping[uuid.UUID, int]) -> dict[uuid.UUID, int]:
        if not counts:
            return {}
        rows = await self._uow.conn.fetch(
            "UPDATE accounts a SET account_seq = a.account_seq + c.n"
            " FROM unnest($1::uuid[], $2::bigint[]) AS c(id, n) WHERE a.id = c.id"
            " RETURNING a.id, a.account_seq - c.n + 1 AS first",
            list(counts),
            list(counts.values()),
        )
        firsts = {row["id"]: int(row["first"]) for row in rows}
        missing = set(counts) - set(firsts)
        if missing:
            raise LookupError(f"account {sorted(missing)[0]} does not exist")
        return firsts


def _account(row: Any) -> Account:
    return Account(
        id=row["id"],
        name=row["name"],
        cash=row["cash"],
        created_at=row["created_at"],
        kind=AccountKind(row["kind"]),
        margin_multiplier=row["margin_multiplier"],
        is_admin=row["is_admin"],
    )


def outbox_rows(events: list[OrderEvent]) -> tuple[list[str], list[str], list[uuid.UUID], list[bytes]]:
    topics: list[str] = []
    keys: list[str] = []
    ids: list[uuid.UUID] = []
    payloads: list[bytes] = []
    for event in events:
        payload = event.to_json()
        for topic in topics_for(event.type):
            topics.append(topic)
            keys.append(str(event.account_id))
            ids.append(event.event_id)
            payloads.append(payload)
    return topics, keys, ids, payloads


class PgOrderRepository:
    def __init__(self, uow: PgUnitOfWork) -> None:
        self._uow = uow

    async def add(self, order: Order) -> None:
        """Order row, its open-orders entry and its outbox rows: one statement, one round trip."""
        await self._uow.conn.execute(
            "WITH new_order AS ("
            f" INSERT INTO orders ({LEDGER_COLUMNS}) VALUES ({_PLACEHOLDERS}) RETURNING id, account_id),"
            " open_entry AS (INSERT INTO open_orders (order_id, account_id) SELECT id, account_id FROM new_order)"
            " INSERT INTO outbox (topic, key, event_id, payload)"
            " SELECT * FROM unnest($23::text[], $24::text[], $25::uuid[], $26::bytea[])",
            *ledger_values(order),
            *outbox_rows(order.events),
        )

    async def save(self, order: Order) -> None:
        """The order's state, its open entry (gone once final) and its outbox rows: one statement."""
        await self._uow.conn.execute(_SAVE, order.id, order.is_final, *outbox_rows(order.events), *state_values(order))

    async def save_many(self, orders: Sequence[Order], events: Sequence[OrderEvent]) -> None:
        """The states by one pipelined ``executemany``, the final ones out of the open set and
        the events into the outbox by one statement each: three round trips for a poll."""
        conn = self._uow.conn
        if orders:
            await conn.executemany(_SAVE_STATE, [(o.id, *state_values(o)) for o in orders])
        final = [o.id for o in orders if o.is_final]
        if final:
            await conn.execute("DELETE FROM open_orders WHERE order_id = ANY($1::uuid[])", final)
        if events:
            await conn.execute(
                "INSERT INTO outbox (topic, key, event_id, payload)"
                " SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::bytea[])",
                *outbox_rows(list(events)),
            )

    async def get(self, account_id: uuid.UUID, order_id: uuid.UUID) -> Order | None:
        row = await self._uow.conn.fetchrow(_SELECT + " WHERE id = $1 AND account_id = $2", order_id, account_id)
        return None if row is None else order_from_row(row)

    async def get_many(self, keys: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> dict[uuid.UUID, Order]:
        if not keys:
            return {}
        wanted = set(keys)
        rows = await self._uow.conn.fetch(_SELECT + " WHERE id = ANY($1::uuid[])", list({o for _, o in keys}))
        found = (order_from_row(row) for row in rows)
        return {o.id: o for o in found if (o.account_id, o.id) in wanted}  # an account finds only its own

    async def by_client_order_id(self, account_id: uuid.UUID, client_order_id: str) -> Order | None:
        row = await self._uow.conn.fetchrow(
            _SELECT + " WHERE account_id = $1 AND client_order_id = $2", account_id, client_order_id
        )
        return None if row is None else order_from_row(row)

    async def exposure(self, account_id: uuid.UUID) -> Exposure:
        conn = self._uow.conn
        totals = await conn.fetch(
            "SELECT a.cash AS funding, a.kind, a.margin_multiplier, a.trading_state, a.trading_state_reason,"
            " ps.trading_state AS platform_state, ps.reason AS platform_reason, p.symbol, p.qty, p.cash,"
            " (SELECT jsonb_object_agg(l.name, l.value) FROM account_limits l WHERE l.account_id = a.id) AS limits,"
            " (SELECT s.start_equity FROM account_sessions s WHERE s.account_id = a.id AND s.session_date = $2)"
            " AS session_start_equity"
            " FROM accounts a LEFT JOIN platform_state ps ON ps.id = 1"
            " LEFT JOIN ledger_positions p ON p.account_id = a.id WHERE a.id = $1",
            account_id,
            session_of(utcnow()),
        )
        funding = totals[0]["funding"] if totals else Decimal(0)
        positions = {r["symbol"]: int(r["qty"]) for r in totals if r["symbol"] is not None and r["qty"]}
        flows = sum((r["cash"] for r in totals if r["cash"] is not None), Decimal(0))
        rows = await conn.fetch(
            f"SELECT {', '.join('o.' + c.strip() for c in LEDGER_COLUMNS.split(','))} FROM open_orders oo"
            " JOIN orders o ON o.id = oo.order_id WHERE oo.account_id = $1",
            account_id,
        )
        open_orders = [order_from_row(r).at_largest() for r in rows]
        if not totals:
            return Exposure(cash=Decimal(0), positions={}, open_orders=open_orders)
        head = totals[0]
        mine = TradingState(head["trading_state"])
        platform = TradingState(head["platform_state"] or "active")
        state = stricter(mine, platform)
        reason = head["trading_state_reason"] if state is mine else head["platform_reason"]
        return Exposure(
            cash=funding + flows,
            positions=positions,
            open_orders=open_orders,
            kind=AccountKind(head["kind"]),
            margin_multiplier=head["margin_multiplier"],
            trading_state=state,
            trading_state_reason=reason if state is not TradingState.ACTIVE else None,
            limit_overrides={k: limit_value(k, v) for k, v in json.loads(head["limits"] or "{}").items()},
            session_start_equity=head["session_start_equity"],
        )

    async def open_orders(self, account_id: uuid.UUID) -> list[Order]:
        rows = await self._uow.conn.fetch(
            f"SELECT {', '.join('o.' + c.strip() for c in LEDGER_COLUMNS.split(','))} FROM open_orders oo"
            " JOIN orders o ON o.id = oo.order_id WHERE oo.account_id = $1 ORDER BY o.created_at",
            account_id,
        )
        return [order_from_row(r) for r in rows]

    async def any_fills(self) -> bool:
        return bool(await self._uow.conn.fetchval("SELECT EXISTS (SELECT 1 FROM ledger_positions)"))

    async def book_fills(self, moves: Sequence[tuple[uuid.UUID, str, int, Decimal]]) -> None:
        # one row per position: ON CONFLICT DO UPDATE may not touch a row twice in one statement
        totals: dict[tuple[uuid.UUID, str], tuple[int, Decimal]] = {}
        for account_id, symbol, qty, cash in moves:
            held, flow = totals.get((account_id, symbol), (0, Decimal(0)))
            totals[(account_id, symbol)] = (held + qty, flow + cash)
        if not totals:
            return
        await self._uow.conn.execute(
            "INSERT INTO ledger_positions (account_id, symbol, qty, cash)"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::numeric[])"
            " ON CONFLICT (account_id, symbol) DO UPDATE"
            " SET qty = ledger_positions.qty + EXCLUDED.qty, cash = ledger_positions.cash + EXCLUDED.cash",
            [a for a, _ in totals],
            [s for _, s in totals],
            [q for q, _ in totals.values()],
            [c for _, c in totals.values()],
        )


class PgReportJournal:
    def __init__(self, uow: PgUnitOfWork) -> None:
        self._uow = uow

    async def seen_many(self, report_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        rows = await self._uow.conn.fetch(
            "SELECT report_id FROM venue_reports WHERE report_id = ANY($1::uuid[])", list(report_ids)
        )
        return {row["report_id"] for row in rows}

    async def record(self, report: VenueReport, *, outcome: str, account_seq: int | None, detail: str | None) -> None:
        await self.record_many([JournalEntry(report, outcome, account_seq, detail)])

    async def record_many(self, entries: Sequence[JournalEntry]) -> None:
        if not entries:
            return
        await self._uow.conn.execute(
            "INSERT INTO venue_reports (report_id, account_id, order_id, kind, outcome, account_seq, detail, payload)"
            " SELECT r, a, o, k, oc, s, d, p::jsonb"
            " FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::bigint[], $7::text[],"
            " $8::text[]) AS e(r, a, o, k, oc, s, d, p)"
            " ON CONFLICT (report_id) DO NOTHING",
            [e.report.report_id for e in entries],
            [e.report.account_id for e in entries],
            [e.report.order_id for e in entries],
            [e.report.kind.value for e in entries],
            [e.outcome for e in entries],
            [e.account_seq for e in entries],
            [e.detail for e in entries],
            [e.report.model_dump_json() for e in entries],
        )

    async def flagged(self, limit: int = 100) -> list[dict[str, object]]:
        rows = await self._uow.conn.fetch(
            "SELECT report_id, account_id, order_id, kind, detail, received_at FROM venue_reports"
            " WHERE outcome = 'flagged' ORDER BY received_at DESC LIMIT $1",
            limit,
        )
        return [dict(r) for r in rows]

    async def external(self, limit: int = 100) -> list[dict[str, object]]:
        rows = await self._uow.conn.fetch(
            "SELECT v.report_id, v.account_id, v.order_id, v.kind, v.detail, v.received_at, v.payload"
            " FROM venue_reports v WHERE v.outcome = 'flagged'"
            " AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = v.order_id)"
            " ORDER BY v.received_at DESC LIMIT $1",
            limit,
        )
        return [{**dict(r), "payload": json.loads(r["payload"])} for r in rows]


class PgUnitOfWork:
    """One pooled connection and one transaction; leaving without ``commit()`` rolls back."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self.orders = PgOrderRepository(self)
        self.accounts = PgAccountRepository(self)
        self.reports = PgReportJournal(self)

    async def __aenter__(self) -> Self:
        self.conn: asyncpg.Connection = await self._pool.acquire()
        self._tx = self.conn.transaction()
        await self._tx.start()
        self._committed = False
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self._committed:
                await self._tx.rollback()
        finally:
            await self._pool.release(self.conn)

    async def commit(self) -> None:
        await self._tx.commit()
        self._committed = True


class PgOrderLookup:
    """One ledger read outside a unit of work: ``GET /orders/{id}`` reads its writes."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, account_id: uuid.UUID, order_id: uuid.UUID) -> Order | None:
        row = await self._pool.fetchrow(_SELECT + " WHERE id = $1 AND account_id = $2", order_id, account_id)
        return None if row is None else order_from_row(row)


class PgLedgerOpenOrders:
    """``LedgerOpenOrders``: the ledger's ``open_orders`` with their orders, oldest first, read
    outside a unit of work (the gateway's reconciliation reads; the OMS writes)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def open_orders(self, limit: int = 10_000) -> list[Order]:
        rows = await self._pool.fetch(
            f"SELECT {', '.join('o.' + c.strip() for c in LEDGER_COLUMNS.split(','))} FROM open_orders oo"
            " JOIN orders o ON o.id = oo.order_id ORDER BY o.created_at LIMIT $1",
            limit,
        )
        return [order_from_row(r) for r in rows]
