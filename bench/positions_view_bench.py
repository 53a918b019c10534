"""The positions view on moto, before and after issue 11/12's change (prints numbers; asserts nothing).

    scripts/services up && uv run tradewind infra init
    uv run python bench/positions_view_bench.py [--fills 20000] [--old-fills 1000]

After: ``DynamoPositionStore`` as it is, one conditional PutItem per fill on the position's
``last_seq``; fills/s and moto's RSS every 10 % of the run, on a table of its own.
Before: the previous design, replayed with the same client in the same run, on another table:
one ``TransactWriteItems`` per fill (a ``FILL#<event_id>`` item that must not exist + the
position), which moto runs by deep-copying every table it touches. moto's RSS comes from
``/proc/<pid>/status`` of the server ``scripts/services`` started (``.local/moto/moto.pid``).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from tradewind.adapters.aws.aws_clients import AwsClients
from tradewind.adapters.aws.dynamodb.positions import DynamoPositionStore
from tradewind.adapters.aws.settings import Settings
from tradewind.domain.orders.events import OrderFilled
from tradewind.domain.orders.status import OrderSide

ROOT = Path(__file__).resolve().parents[1]
SYMBOLS = ["AAPL", "MSFT", "JPM", "XOM", "KO"]


def moto_rss_mb() -> float:
    pid = (ROOT / ".local" / "moto" / "moto.pid").read_text().split()[0]
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fills(n: int, accounts: int = 100) -> list[OrderFilled]:
    ids = [uuid.uuid4() for _ in range(accounts)]
    seq = dict.fromkeys(ids, 0)
    out = []
    for i in range(n):
        account = ids[i % accounts]
        seq[account] += 1
        order = uuid.uuid4()
        out.append(
            OrderFilled(
                account_id=account,
                correlation_id=order,
                order_id=order,
                symbol=SYMBOLS[(i // accounts) % len(SYMBOLS)],
                fill_id=f"E{i}",
                side=OrderSide.BUY if i % 3 else OrderSide.SELL,
                fill_qty=10,
                fill_price=Decimal("100.25"),
                cum_qty=10,
                avg_price=Decimal("100.25"),
                leaves_qty=0,
                order_qty=10,
                broker_order_id=f"B{i}",
                occurred_at=datetime.now(UTC),
                account_seq=seq[account],
                order_seq=2,
            )
        )
    return out


async def create_table(aws: AwsClients, name: str) -> None:
    ddb = await aws.client("dynamodb")
    await ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


async def after(aws: AwsClients, n: int) -> None:
    table = f"bench-after-{uuid.uuid4().hex[:6]}"
    await create_table(aws, table)
    store = DynamoPositionStore(aws, table)
    batch = fills(n)
    rss0, t0, mark = moto_rss_mb(), time.perf_counter(), time.perf_counter()
    print(f"after  (PutItem on last_seq): moto RSS {rss0:,.0f} MB at the start")
    step = max(1, n // 10)
    for i, fill in enumerate(batch, start=1):
        await store.apply_fill(fill)
        if i % step == 0:
            now = time.perf_counter()
            print(f"  {i:>7,} fills  {step / (now - mark):>7,.0f} fills/s  moto RSS {moto_rss_mb():>7,.0f} MB")
            mark = now
    print(f"  {n:,} fills in {time.perf_counter() - t0:,.1f} s; moto RSS +{moto_rss_mb() - rss0:,.0f} MB")
    ddb = await aws.client("dynamodb")
    items = (await ddb.scan(TableName=table, Select="COUNT"))["Count"]
    print(f"  table holds {items:,} items (one per position)")
    await ddb.delete_table(TableName=table)


async def before(aws: AwsClients, n: int) -> None:
    table = f"bench-before-{uuid.uuid4().hex[:6]}"
    await create_table(aws, table)
    ddb = await aws.client("dynamodb")
    rss0, t0, mark = moto_rss_mb(), time.perf_counter(), time.perf_counter()
    print(f"before (TransactWriteItems, FILL# item per fill): moto RSS {rss0:,.0f} MB at the start")
    step = max(1, n // 10)
    for i, fill in enumerate(fills(n), start=1):
        pk = {"S": f"ACCOUNT#{fill.account_id}"}
        await ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": pk, "sk": {"S": f"FILL#{fill.event_id}"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": pk, "sk": {"S": f"POS#{fill.symbol}"}, "v": {"N": str(i)}},
                    }
                },
            ]
        )
        if i % step == 0:
            now = time.perf_counter()
            print(f"  {i:>7,} fills  {step / (now - mark):>7,.0f} fills/s  moto RSS {moto_rss_mb():>7,.0f} MB")
            mark = now
    print(f"  {n:,} fills in {time.perf_counter() - t0:,.1f} s; moto RSS +{moto_rss_mb() - rss0:,.0f} MB")
    await ddb.delete_table(TableName=table)


async def main(n: int, old: int) -> None:
    s = Settings(profile="local")
    aws = AwsClients(
        region=s.aws_region,
        access_key_id=s.aws_access_key_id,
        secret_access_key=s.aws_secret_access_key,
        endpoint_url=s.aws_endpoint_url,
    )
    try:
        await after(aws, n)
        if old:
            await before(aws, old)
    finally:
        await aws.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fills", type=int, default=20_000)
    parser.add_argument("--old-fills", type=int, default=1_000)
    args = parser.parse_args()
    asyncio.run(main(args.fills, args.old_fills))
