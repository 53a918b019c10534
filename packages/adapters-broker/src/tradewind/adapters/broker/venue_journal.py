"""The paper venue's durable book: every order as it stands, its fills, and the reports not yet
handed to the FIX session, in one SQLite file (stdlib; the venue's own state, as a real venue's
book is not in the platform's database).

Written on the matching engine's thread only, one transaction per report, before the report
leaves the book (``PaperBook``'s journal hook): nothing is told that is not kept. WAL with
``synchronous=NORMAL`` survives a kill -9 of the venue (not a power cut: a paper venue). A
report is ``unsent`` until QuickFIX has taken it (QuickFIX then keeps it in its own store until
the gateway has it); on start the venue sends the unsent ones again, and the ledger applies a
report once by its exec id, so a report sent twice is harmless.

Bounded: final orders and their fills are deleted ``retention`` after they ended (``prune``);
open orders stay however old they are (GTC). The book in memory holds only the open orders and
those that ended since its last ``forget_final``; it recalls a final one from here (``order``)
when a redelivered submit, a cancel or a status request names it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from tradewind.adapters.broker.paper_book import PaperOrder
from tradewind.application.execution.broker import BrokerOrder, ExecType, ExecutionReport
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce

_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    client_order_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    is_open INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fills (
    exec_id TEXT PRIMARY KEY,
    client_order_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fills_by_order ON fills (client_order_id, seq);
CREATE TABLE IF NOT EXISTS unsent (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    exec_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _undec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def report_to_dict(r: ExecutionReport) -> dict[str, Any]:
    return {
        "exec_id": r.exec_id,
        "exec_type": r.exec_type.value,
        "client_order_id": r.client_order_id,
        "broker_order_id": r.broker_order_id,
        "symbol": r.symbol,
        "side": r.side.value,
        "order_qty": r.order_qty,
        "cum_qty": r.cum_qty,
        "leaves_qty": r.leaves_qty,
        "avg_price": _dec(r.avg_price),
        "last_qty": r.last_qty,
        "last_price": _dec(r.last_price),
        "limit_price": _dec(r.limit_price),
        "reason": r.reason,
        "ts": r.ts.isoformat(),
        "account": r.account,
    }


def report_from_dict(d: dict[str, Any]) -> ExecutionReport:
    return ExecutionReport(
        exec_id=d["exec_id"],
        exec_type=ExecType(d["exec_type"]),
        client_order_id=d["client_order_id"],
        broker_order_id=d["broker_order_id"],
        symbol=d["symbol"],
        side=OrderSide(d["side"]),
        order_qty=d["order_qty"],
        cum_qty=d["cum_qty"],
        leaves_qty=d["leaves_qty"],
        avg_price=_undec(d["avg_price"]),
        last_qty=d["last_qty"],
        last_price=_undec(d["last_price"]),
        limit_price=_undec(d["limit_price"]),
        reason=d["reason"],
        ts=datetime.fromisoformat(d["ts"]),
        account=d["account"],
    )


def _order_to_dict(o: PaperOrder) -> dict[str, Any]:
    q = o.request
    return {
        "request": {
            "client_order_id": q.client_order_id,
            "symbol": q.symbol,
            "side": q.side.value,
            "qty": q.qty,
            "order_type": q.order_type.value,
            "time_in_force": q.time_in_force.value,
            "limit_price": _dec(q.limit_price),
            "stop_price": _dec(q.stop_price),
            "account": q.account,
        },
        "broker_order_id": o.broker_order_id,
        "seq": o.seq,
        "order_qty": o.order_qty,
        "limit_price": _dec(o.limit_price),
        "status": o.status.value,
        "cum_qty": o.cum_qty,
        "notional": _dec(o.notional),
        "arrived": o.arrived,
        "triggered": o.triggered,
    }


def _order_from_dict(d: dict[str, Any], fills: list[ExecutionReport]) -> PaperOrder:
    q = d["request"]
    request = BrokerOrder(
        client_order_id=q["client_order_id"],
        symbol=q["symbol"],
        side=OrderSide(q["side"]),
        qty=q["qty"],
        order_type=OrderType(q["order_type"]),
        time_in_force=TimeInForce(q["time_in_force"]),
        limit_price=_undec(q["limit_price"]),
        stop_price=_undec(q["stop_price"]),
        account=q["account"],
    )
    return PaperOrder(
        request=request,
        broker_order_id=d["broker_order_id"],
        seq=d["seq"],
        order_qty=d["order_qty"],
        limit_price=_undec(d["limit_price"]),
        status=ExecType(d["status"]),
        cum_qty=d["cum_qty"],
        notional=Decimal(d["notional"]),
        fills=fills,
        arrived=True,  # the venue works without latency: an order it kept had arrived
        triggered=d["triggered"],
    )


@dataclass(frozen=True, slots=True)
class Restored:
    orders: list[PaperOrder]
    last_seq: int
    unsent: list[ExecutionReport]


class VenueJournal:
    """One SQLite connection, used from the matching engine's thread for writes; ``load`` runs
    before that thread starts. A lock makes the rare call from another thread (the prune at a
    session close, the unsent resend at logon) safe too."""

    def __init__(self, path: Path, *, retention: timedelta = timedelta(days=7)) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._retention = retention

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- the book's journal hook (matching engine thread) ----------------------------------------

    def __call__(self, order: PaperOrder, report: ExecutionReport) -> None:
        now = utcnow().isoformat()
        body = json.dumps(report_to_dict(report))
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "INSERT INTO orders VALUES (?, ?, ?, ?) ON CONFLICT (client_order_id) DO UPDATE"
                    " SET body = excluded.body, is_open = excluded.is_open, updated_at = excluded.updated_at",
                    (order.request.client_order_id, json.dumps(_order_to_dict(order)), int(order.is_open), now),
                )
                if report.exec_type == ExecType.FILL:
                    self._db.execute(
                        "INSERT OR IGNORE INTO fills VALUES (?, ?, ?, ?)",
                        (report.exec_id, report.client_order_id, len(order.fills), body),
                    )
                self._db.execute("INSERT OR IGNORE INTO unsent (exec_id, body) VALUES (?, ?)", (report.exec_id, body))
                self._db.execute(
                    "INSERT INTO meta VALUES ('last_seq', ?) ON CONFLICT (key) DO UPDATE"
                    " SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
                    (str(order.seq),),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def sent(self, exec_id: str) -> None:
        """QuickFIX has the report (and keeps it until the gateway has it)."""
        with self._lock:
            self._db.execute("DELETE FROM unsent WHERE exec_id = ?", (exec_id,))

    # -- start and housekeeping ------------------------------------------------------------------

    def load(self) -> Restored:
        with self._lock:
            # the open orders only: a final one is recalled when named (``order``), so a start
            # reads what works, not the retention window's history
            fills: dict[str, list[ExecutionReport]] = {}
            for coid, body in self._db.execute(
                "SELECT f.client_order_id, f.body FROM fills f JOIN orders o USING (client_order_id)"
                " WHERE o.is_open = 1 ORDER BY f.client_order_id, f.seq"
            ):
                fills.setdefault(coid, []).append(report_from_dict(json.loads(body)))
            orders = [
                _order_from_dict(json.loads(body), fills.get(coid, []))
                for coid, body in self._db.execute(
                    "SELECT client_order_id, body FROM orders WHERE is_open = 1 ORDER BY rowid"
                )
            ]
            row = self._db.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
            unsent = [
                report_from_dict(json.loads(b)) for (b,) in self._db.execute("SELECT body FROM unsent ORDER BY n")
            ]
        orders.sort(key=lambda o: o.seq)  # submit order: first come, first served after a restart too
        return Restored(orders, int(row[0]) if row else 0, unsent)

    def order(self, client_order_id: str) -> PaperOrder | None:
        """One order as it stands, with its fills (the book's ``recall`` of an order it forgot)."""
        with self._lock:
            row = self._db.execute("SELECT body FROM orders WHERE client_order_id = ?", (client_order_id,)).fetchone()
            if row is None:
                return None
            fills = [
                report_from_dict(json.loads(b))
                for (b,) in self._db.execute(
                    "SELECT body FROM fills WHERE client_order_id = ? ORDER BY seq", (client_order_id,)
                )
            ]
        return _order_from_dict(json.loads(row[0]), fills)

    def unsent(self) -> list[ExecutionReport]:
        with self._lock:
            return [report_from_dict(json.loads(b)) for (b,) in self._db.execute("SELECT body FROM unsent ORDER BY n")]

    def prune(self) -> list[str]:
        """Delete final orders that ended more than ``retention`` ago; returns their ids."""
        cutoff = (utcnow() - self._retention).isoformat()
        with self._lock:
            ids = [
                coid
                for (coid,) in self._db.execute(
                    "SELECT client_order_id FROM orders WHERE is_open = 0 AND updated_at < ?", (cutoff,)
                )
            ]
            self._db.execute("BEGIN")
            self._db.executemany("DELETE FROM fills WHERE client_order_id = ?", [(i,) for i in ids])
            self._db.executemany("DELETE FROM orders WHERE client_order_id = ?", [(i,) for i in ids])
            self._db.execute("COMMIT")
        return ids

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value)
            )
