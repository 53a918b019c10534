"""The kill switch under load (issue 13), timed: an account with 200 resting orders, orders still
arriving, is halted by an admin; how long until new orders are refused, and until every open
order is ``canceled`` in the ledger and in the read model (what the trader's list shows).

    scripts/services up && uv run tradewind infra init
    cd bench && uv run python kill_switch_bench.py --resting 200

Starts web, worker and gateway as processes (``stack.py``) and prints one JSON line, with the
load average (the machine is shared). ``tests/e2e/test_kill_switch.py`` asserts the behaviour
(refusals, every order canceled) without timing it; this prints the times. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from order_load import run_loop, wait_quotes
from stack import running_stack

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser

RESTING = {"symbol": "AAPL", "side": "buy", "qty": 1, "type": "limit", "limit_price": "1.00", "time_in_force": "gtc"}


async def users(settings: Settings) -> tuple[str, str, uuid.UUID]:
    adapters: Any = build_adapters(settings)
    await adapters.lifecycle().start(kafka=False)
    try:
        tag = uuid.uuid4().hex[:6]
        admin = await CreateUser(adapters.uow)(f"ops-{tag}", "0", admin=True)
        trader = await CreateUser(adapters.uow)(f"halt-{tag}", "1000000")
        return admin.token, trader.token, trader.account.id
    finally:
        await adapters.lifecycle().stop()


async def until(condition: Any, limit: float, poll: float = 0.02) -> float | None:
    """Seconds until ``condition()`` is true, polled (the stack is another process), or None."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        if await condition():
            return time.perf_counter() - start
        await asyncio.sleep(poll)  # polling another process's state, bounded by limit
    return None


async def bench(args: argparse.Namespace, base: str) -> None:
    settings = Settings(profile="local")
    admin, trader, account_id = await users(settings)
    auth = {"Authorization": f"Bearer {trader}"}
    pg = await asyncpg.connect(settings.pg_dsn)
    async with aiohttp.ClientSession(base) as session:
        await wait_quotes(session, trader)
        for _ in range(args.resting):
            async with session.post("/api/v1/orders", json=RESTING, headers=auth) as r:
                assert r.status == 202, await r.text()

        async def all_accepted() -> bool:
            async with session.get("/api/v1/orders?status=open&limit=500", headers=auth) as r:
                return sum(1 for o in await r.json() if o["status"] == "accepted") >= args.resting

        if await until(all_accepted, 120, 0.2) is None:
            raise RuntimeError("the resting orders were not all accepted within 120 s")

        stop = asyncio.Event()
        answers: list[tuple[float, int]] = []

        async def keep_placing() -> None:
            while not stop.is_set():
                sent = time.perf_counter()
                async with session.post("/api/v1/orders", json=RESTING, headers=auth) as r:
                    await r.read()
                    answers.append((sent, r.status))

        flow = asyncio.create_task(keep_placing())
        await asyncio.sleep(0.5)  # orders arriving before the halt: the flow's own pace
        halt_sent = time.perf_counter()
        async with session.post(
            f"/api/v1/admin/accounts/{account_id}/trading-state",
            json={"state": "halted", "reason": "kill switch bench"},
            headers={"Authorization": f"Bearer {admin}"},
        ) as r:
            assert r.status == 200, await r.text()
        halt_answered = time.perf_counter()

        async def ledger_empty() -> bool:
            return not await pg.fetchval("SELECT count(*) FROM open_orders WHERE account_id = $1", account_id)

        async def list_empty() -> bool:
            async with session.get("/api/v1/orders?status=open&limit=500", headers=auth) as r:
                return not await r.json()

        ledger_s = await until(ledger_empty, 60)
        list_s = await until(list_empty, 60)
        stop.set()
        await flow
    await pg.close()
    after = [code for sent, code in answers if sent > halt_answered]
    accepted_before = sum(1 for sent, code in answers if sent <= halt_sent and code == 202)
    print(
        json.dumps(
            {
                "bench": "kill_switch",
                "resting": args.resting,
                "accepted_while_arriving": accepted_before,
                "halt_answer_ms": round((halt_answered - halt_sent) * 1000, 1),
                "orders_after_halt": len(after),
                "refused_after_halt": sum(1 for c in after if c == 422),
                "ledger_all_canceled_s": None if ledger_s is None else round(ledger_s + halt_answered - halt_sent, 2),
                "list_all_canceled_s": None
                if list_s is None or ledger_s is None
                else round(ledger_s + list_s + halt_answered - halt_sent, 2),
                "loadavg": [round(x, 2) for x in os.getloadavg()],
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resting", type=int, default=200)
    parser.add_argument("--ports", default="8506,8507,8508", help="web, worker health, gateway health")
    args = parser.parse_args()
    ports = tuple(int(p) for p in args.ports.split(","))
    extra = {"TRADEWIND_PAPER_LATENCY_MS": "5", "TRADEWIND_QUOTE_INTERVAL_MS": "200"}
    log_dir = Path(__file__).resolve().parents[1] / ".local" / "bench-logs" / "kill_switch"
    with running_stack(extra, log_dir, ports=ports) as (base, _):  # type: ignore[arg-type]
        run_loop(bench(args, base))


if __name__ == "__main__":
    main()
