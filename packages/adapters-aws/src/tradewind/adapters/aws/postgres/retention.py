"""Retention for the tables that grow with every order (invariant 12), in small batches so a
prune never holds long locks against the order path.

* ``outbox``: rows sent longer ago than ``outbox_s`` (Kafka holds them; the relay reads unsent
  rows only);
* ``venue_reports``: applied and ignored reports older than ``reports_s``, which must exceed any
  redelivery of ``execution.reports`` (Kafka's retention); flagged reports are kept for operators.
  What the venue said survives in ``order.events`` and the audit archive;
* ``account_sessions``: start-of-session equities older than ``log_s`` (a session needs its own);
* ``order_event_log``: stream entries older than ``log_s``: a ``Last-Event-ID`` older than that
  resumes from the oldest entry kept (the read model has the current state of every order);
* ``dead_letters``: letters received longer ago than ``dead_letters_s``, replayed or not (the
  audit archive keeps every record of ``dead_letter``).
"""

from __future__ import annotations

import asyncpg

_BATCH = 5_000
_QUERIES = {
    "outbox": "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NOT NULL"
    " AND sent_at < now() - make_interval(secs => $1) LIMIT $2)",
    "venue_reports": "DELETE FROM venue_reports WHERE report_id IN (SELECT report_id FROM venue_reports"
    " WHERE outcome <> 'flagged' AND received_at < now() - make_interval(secs => $1) LIMIT $2)",
    "account_sessions": "DELETE FROM account_sessions WHERE (account_id, session_date) IN (SELECT account_id,"
    " session_date FROM account_sessions WHERE taken_at < now() - make_interval(secs => $1) LIMIT $2)",
    "order_event_log": "DELETE FROM order_event_log WHERE (account_id, seq, part) IN (SELECT account_id, seq, part"
    " FROM order_event_log WHERE created_at < now() - make_interval(secs => $1) LIMIT $2)",
    "dead_letters": "DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters"
    " WHERE received_at < now() - make_interval(secs => $1) LIMIT $2)",
}


class PgRetention:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        outbox_s: float,
        reports_s: float,
        log_s: float,
        dead_letters_s: float = 30 * 86_400.0,
    ) -> None:
        self._pool = pool
        # a session's start equity is needed for that session only; kept as long as the log
        self._keep = {
            "outbox": outbox_s,
            "venue_reports": reports_s,
            "order_event_log": log_s,
            "account_sessions": log_s,
            "dead_letters": dead_letters_s,
        }

    async def prune(self) -> dict[str, int]:
        deleted: dict[str, int] = {}
        for table, sql in _QUERIES.items():
            total = 0
            while True:
                status = await self._pool.execute(sql, float(self._keep[table]), _BATCH)
                n = int(status.split()[-1])
                total += n
                if n < _BATCH:
                    break
            deleted[table] = total
        return deleted
