"""The positions view at a steady fill rate on the local stack (issue 12: "250 fills/s for 10
minutes, exactly once"). Prints numbers; asserts nothing.

    scripts/services up && uv run tradewind infra init
    uv run python bench/positions_load.py --rate 250 --minutes 10

The worker's own consumer, not a copy of it: ``PositionService.apply_batch`` behind
``order_events_batch_handler`` on ``KafkaSubscriptions.subscribe_batch`` (what ``tradewind
worker`` subscribes to ``order.events``), so each fill is a Kafka poll, one conditional
``PutItem`` on moto, a ``position.updated`` (acks=all) and a Redis publish. The fills go to a
topic and a DynamoDB table of the run's own (12 partitions like ``order.events``; deleted at the
end), produced at ``--rate`` a second over ``--accounts`` accounts and 5 symbols, keyed by account,
numbered by ``account_seq`` as the OMS ledger numbers them. Every ``--redeliver-s`` seconds
``--redeliver`` fills already sent are sent again (a redelivery: the view must not apply them).

Every 10 s one line: fills sent, applied, duplicates seen, applied/s over the interval, the
backlog (sent - applied), moto's RSS. At the end, once every fill is applied (or the deadline
passes), the view is read back position by position and compared with what the fills make:
quantity and number of fills applied. One JSON line sums it up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.provisioning import aws_session, ensure_positions_table
from tradewind.adapters.aws.settings import Settings
from tradewind.application.messaging import order_events_batch_handler
from tradewind.application.positions.service import PositionService
from tradewind.domain.orders.events import OrderFilled
from tradewind.domain.orders.status import OrderSide

ROOT = Path(__file__).resolve().parents[1]
SYMBOLS = ["AAPL", "MSFT", "JPM", "XOM", "KO"]


def rss_mb(pid_file: Path) -> float:
    try:
        pid = pid_file.read_text().split()[0]
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, IndexError):
        pass
    return float("nan")


class Fills:
    """The fills of the run, numbered per account as the ledger numbers them, and what the view
    must hold once each is applied exactly once."""

    def __init__(self, accounts: int) -> None:
        self.accounts = [uuid.uuid4() for _ in range(accounts)]
        self.seq = dict.fromkeys(self.accounts, 0)
        self.expected: dict[tuple[uuid.UUID, str], tuple[int, int]] = {}  # -> (qty, fills)
        self.sent: list[OrderFilled] = []
        self._n = 0

    def next(self) -> OrderFilled:
        i, self._n = self._n, self._n + 1
        account = self.accounts[i % len(self.accounts)]
        self.seq[account] += 1
        symbol = SYMBOLS[(i // len(self.accounts)) % len(SYMBOLS)]
        side = OrderSide.BUY if (i // (len(self.accounts) * len(SYMBOLS))) % 3 else OrderSide.SELL
        order = uuid.uuid4()
        fill = OrderFilled(
            account_id=account,
            correlation_id=order,
            order_id=order,
            symbol=symbol,
            fill_id=f"E{i}",
            side=side,
            fill_qty=10,
            fill_price=Decimal("100.25"),
            cum_qty=10,
            avg_price=Decimal("100.25"),
            leaves_qty=0,
            order_qty=10,
            broker_order_id=f"B{i}",
            occurred_at=datetime.now(UTC),
            account_seq=self.seq[account],
            order_seq=2,
        )
        qty, fills = self.expected.get((account, symbol), (0, 0))
        self.expected[(account, symbol)] = (qty + (10 if side == OrderSide.BUY else -10), fills + 1)
        self.sent.append(fill)
        return fill


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6]
    settings = Settings(
        profile="local",
        kafka_group_prefix=f"posload-{tag}-",
        kafka_new_group_offset="earliest",
        positions_table=f"bench-positions-{tag}",
    )
    topic = f"bench.positions.{tag}"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=12, replication_factor=1)])
    await ensure_positions_table(settings)
    adapters: Any = build_adapters(settings)
    await adapters.lifecycle().start(kafka=True)
    service = PositionService(
        store=adapters.positions(),
        publisher=adapters.publisher(),
        notifier=adapters.notifier(),
        prices=adapters.prices(),
    )
    subscriptions = adapters.subscriptions()
    subscriptions.subscribe_batch(
        [topic],
        settings.kafka_group_prefix + "positions",
        order_events_batch_handler(service.apply_batch, consumer="positions"),
        max_records=settings.consumer_batch_max,
    )
    await subscriptions.start()
    publisher = adapters.publisher()
    fills = Fills(args.accounts)
    moto_pid = ROOT / ".local" / "moto" / "moto.pid"
    rng = random.Random(7)
    lines: list[dict[str, Any]] = []
    redelivered = 0
    rss0 = rss_mb(moto_pid)
    started = time.perf_counter()
    total = int(args.rate * args.minutes * 60)
    tick = 0.1
    last_line, last_applied, next_redeliver = started, 0, started + args.redeliver_s

    def line(now: float) -> None:
        nonlocal last_line, last_applied
        row = {
            "s": round(now - started, 1),
            "sent": len(fills.sent),
            "applied": service.applied,
            "duplicates": service.duplicates,
            "applied_per_s": round((service.applied - last_applied) / (now - last_line), 1),
            "backlog": len(fills.sent) - service.applied,
            "moto_rss_mb": round(rss_mb(moto_pid), 1),
        }
        lines.append(row)
        print(json.dumps(row), flush=True)
        last_line, last_applied = now, service.applied

    try:
        i = 0
        while len(fills.sent) < total:
            due = min(total, int((time.perf_counter() - started) * args.rate) + 1)
            batch = [fills.next() for _ in range(due - len(fills.sent))]
            now = time.perf_counter()
            if now >= next_redeliver and len(fills.sent) > args.redeliver:
                again = rng.sample(fills.sent[: len(fills.sent) - len(batch)], args.redeliver)
                batch += again
                redelivered += len(again)
                next_redeliver += args.redeliver_s
            if batch:
                await publisher.publish_batch([(topic, str(f.account_id), f.to_json()) for f in batch])
            if now - last_line >= 10:
                line(now)
            i += 1
            await asyncio.sleep(max(0.0, started + i * tick - time.perf_counter()))  # the generator's pacing
        produced_s = time.perf_counter() - started
        deadline = time.perf_counter() + args.drain_s
        while service.applied < total and time.perf_counter() < deadline:
            await asyncio.sleep(0.2)  # waiting for the consumer, with a deadline
            if time.perf_counter() - last_line >= 10:
                line(time.perf_counter())
        drained_s = time.perf_counter() - started
        line(time.perf_counter())
        store = adapters.positions()
        wrong = 0
        for (account, symbol), (qty, count) in fills.expected.items():
            position = await store.get(account, symbol)
            if position is None or (position.qty, position.fills) != (qty, count):
                wrong += 1
        rates = [r["applied_per_s"] for r in lines[1:-1]] or [0.0]
        return {
            "rate": args.rate,
            "minutes": args.minutes,
            "fills": total,
            "redelivered": redelivered,
            "applied": service.applied,
            "duplicates": service.duplicates,
            "produced_in_s": round(produced_s, 1),
            "all_applied_in_s": round(drained_s, 1),
            "applied_per_s_median": round(statistics.median(rates), 1),
            "applied_per_s_min": round(min(rates), 1),
            "backlog_max": max(r["backlog"] for r in lines),
            "positions": len(fills.expected),
            "positions_wrong": wrong,
            "moto_rss_mb_start": round(rss0, 1),
            "moto_rss_mb_end": round(rss_mb(moto_pid), 1),
            "loadavg_1m": round(os.getloadavg()[0], 2),
        }
    finally:
        await subscriptions.stop()
        await adapters.lifecycle().stop()
        await admin.delete_topics([topic])
        await admin.close()
        async with aws_session(settings).client("dynamodb", endpoint_url=settings.aws_endpoint_url) as ddb:
            await ddb.delete_table(TableName=settings.positions_table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=250, help="fills per second")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--redeliver", type=int, default=50, help="fills sent again every --redeliver-s")
    parser.add_argument("--redeliver-s", type=float, default=30)
    parser.add_argument("--drain-s", type=float, default=300, help="how long to wait for the backlog after the run")
    print(json.dumps({"summary": asyncio.run(run(parser.parse_args()))}), flush=True)


if __name__ == "__main__":
    main()
