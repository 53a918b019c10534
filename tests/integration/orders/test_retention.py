"""Invariant 12 on the real PostgreSQL: the pruner drops what is past its retention (sent outbox
rows, settled venue reports, old stream entries) and nothing else: unsent outbox rows, flagged
reports and recent rows stay."""

from __future__ import annotations

import uuid

import asyncpg

from tradewind.adapters.aws.postgres.retention import PgRetention


async def test_only_what_is_past_retention_is_pruned(pg_pool: asyncpg.Pool) -> None:
    account, order = uuid.uuid4(), uuid.uuid4()
    old, new = "now() - interval '10 days'", "now()"
    await pg_pool.execute(
        "INSERT INTO outbox (topic, key, event_id, payload, sent_at) VALUES"
        f" ('t', $1, gen_random_uuid(), 'x', {old}), ('t', $1, gen_random_uuid(), 'x', {new}),"
        " ('t', $1, gen_random_uuid(), 'x', NULL)",
        str(account),
    )
    for outcome, at in (("applied", old), ("ignored", old), ("flagged", old), ("applied", new)):
        await pg_pool.execute(
            "INSERT INTO venue_reports (report_id, account_id, order_id, kind, outcome, payload, received_at)"
            f" VALUES (gen_random_uuid(), $1, $2, 'new', $3, '{{}}', {at})",
            account,
            order,
            outcome,
        )
    await pg_pool.execute(
        "INSERT INTO order_event_log (account_id, seq, part, kind, data, created_at) VALUES"
        f" ($1, 1, 0, 'order', '{{}}', {old}), ($1, 2, 0, 'order', '{{}}', {new})",
        account,
    )

    deleted = await PgRetention(pg_pool, outbox_s=86_400, reports_s=8 * 86_400, log_s=8 * 86_400).prune()

    assert deleted["outbox"] >= 1 and deleted["venue_reports"] >= 2 and deleted["order_event_log"] >= 1
    outbox = await pg_pool.fetch("SELECT sent_at IS NULL AS unsent FROM outbox WHERE key = $1", str(account))
    assert sorted(r["unsent"] for r in outbox) == [False, True]  # the recent sent row and the unsent one
    kept = await pg_pool.fetch("SELECT outcome FROM venue_reports WHERE account_id = $1", account)
    assert sorted(r["outcome"] for r in kept) == ["applied", "flagged"]
    assert await pg_pool.fetchval("SELECT array_agg(seq) FROM order_event_log WHERE account_id = $1", account) == [2]
