"""Operators see what the ledger kept but could not apply: ``tradewind ledger flagged`` lists a
report for an order the ledger does not have (from the real PostgreSQL), and exits 1."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg

from tradewind.adapters.aws.postgres.orders import PgUnitOfWork
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.application.orders.ledger import OrderLedger
from tradewind.domain.orders.reports import ReportKind, VenueReport, report_id_for

TRADEWIND = str(Path(sys.executable).with_name("tradewind"))


async def test_a_report_for_an_unknown_order_is_kept_flagged_and_listed(
    local_settings: Settings, pg_pool: asyncpg.Pool
) -> None:
    account = (await CreateUser(lambda: PgUnitOfWork(pg_pool))(f"flag-{uuid.uuid4().hex[:6]}", "1")).account
    stranger = uuid.uuid4()
    report = VenueReport(
        report_id=report_id_for(stranger, "e1"),
        account_id=account.id,
        order_id=stranger,
        kind=ReportKind.NEW,
        exec_id="e1",
        symbol="AAPL",
    )
    ledger = OrderLedger(lambda: PgUnitOfWork(pg_pool))
    await ledger(report)
    await ledger(report)  # a redelivery is not a second flag
    assert ledger.flagged == 1 and ledger.duplicates == 1

    env = {**os.environ, "TRADEWIND_PROFILE": "local", "TRADEWIND_PG_DATABASE": local_settings.pg_database}
    out = await asyncio.to_thread(
        subprocess.run,
        [TRADEWIND, "ledger", "flagged", "--account", str(account.id)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["report_id"] for r in rows] == [str(report.report_id)]
    assert "no order" in rows[0]["detail"]
