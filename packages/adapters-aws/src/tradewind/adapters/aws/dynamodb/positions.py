"""The positions view in DynamoDB (table ``tradewind-positions``).

Items: ``pk=ACCOUNT#<id>, sk=POS#<symbol>``, one per position, and nothing per fill. Fills come
from ``order.events`` in ``account_seq`` order (one partition per account, worked in order), so
a position only needs the number of the last fill applied to it (``last_seq``): a fill numbered
at or below it has been applied (a redelivery), a higher one has not. Each fill is one
conditional ``PutItem`` on the position's ``version`` (optimistic concurrency: two consumers of
one partition during a rebalance race on it, the loser re-reads and finds the fill applied).

So the table holds one item per position, whatever the number of fills, and no transaction is
needed: moto's ``TransactWriteItems`` copies every table it touches (its memory grew by about
1 MB per transaction, DESIGN.md "Benchmarks"), and per-fill idempotency records made the table
grow forever. The last position written is cached per process: a consumer that owns a
partition then writes with one request and no read; a stale cache costs one failed condition
and a re-read, never a wrong position. Numbers travel as DynamoDB ``N`` strings: exact
decimals, never floats.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from tradewind.adapters.aws.aws_clients import AwsClients
from tradewind.application.positions.ports import AppliedFill, UnnumberedFill
from tradewind.domain.clock import utcnow
from tradewind.domain.orders.events import OrderFilled
from tradewind.domain.positions.position import Fill, Position

MAX_ATTEMPTS = 25
CACHED_POSITIONS = 10_000


class PositionConflict(Exception):
    """Too many concurrent writers on one position; the fill is redelivered and tried again."""


def _n(value: Decimal | int) -> dict[str, str]:
    return {"N": format(value, "f") if isinstance(value, Decimal) else str(value)}


def _pk(account_id: uuid.UUID) -> str:
    return f"ACCOUNT#{account_id}"


def encode_position(p: Position) -> dict[str, Any]:
    item: dict[str, Any] = {
        "account_id": {"S": str(p.account_id)},
        "symbol": {"S": p.symbol},
        "qty": _n(p.qty),
        "cost_basis": _n(p.cost_basis),
        "realized_pl": _n(p.realized_pl),
        "cash_flow": _n(p.cash_flow),
        "bought_qty": _n(p.bought_qty),
        "sold_qty": _n(p.sold_qty),
        "fills": _n(p.fills),
        "version": _n(p.version),
    }
    if p.last_fill_price is not None:
        item["last_fill_price"] = _n(p.last_fill_price)
    if p.last_fill_at is not None:
        item["last_fill_at"] = {"S": p.last_fill_at.isoformat()}
    return item


def decode_position(item: dict[str, Any]) -> Position:
    def dec(name: str) -> Decimal:
        return Decimal(item[name]["N"])

    def num(name: str) -> int:
        return int(item[name]["N"])

    return Position(
        account_id=uuid.UUID(item["account_id"]["S"]),
        symbol=item["symbol"]["S"],
        qty=num("qty"),
        cost_basis=dec("cost_basis"),
        realized_pl=dec("realized_pl"),
        cash_flow=dec("cash_flow"),
        bought_qty=num("bought_qty"),
        sold_qty=num("sold_qty"),
        fills=num("fills"),
        last_fill_price=dec("last_fill_price") if "last_fill_price" in item else None,
        last_fill_at=datetime.fromisoformat(item["last_fill_at"]["S"]) if "last_fill_at" in item else None,
        version=num("version"),
    )


class DynamoPositionStore:
    def __init__(self, clients: AwsClients, table: str, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._clients = clients
        self._table = table
        self._clock = clock
        #: (account, symbol) -> (position, last_seq, applied_at) as last written
        self._cache: OrderedDict[tuple[uuid.UUID, str], tuple[Position, int, datetime]] = OrderedDict()
        self.conflicts = 0

    def _remember(self, position: Position, last_seq: int, applied_at: datetime) -> None:
        key = (position.account_id, position.symbol)
        self._cache[key] = (position, last_seq, applied_at)
        self._cache.move_to_end(key)
        if len(self._cache) > CACHED_POSITIONS:
            self._cache.popitem(last=False)

    async def is_empty(self) -> bool:
        ddb = await self._clients.client("dynamodb")
        page = await ddb.scan(TableName=self._table, Limit=1, ProjectionExpression="pk")
        return not page.get("Items")

    async def apply_fill(self, fill: OrderFilled) -> AppliedFill:
        if fill.account_seq is None:
            raise UnnumberedFill(f"fill {fill.event_id} has no account_seq")
        ddb = await self._clients.client("dynamodb")
        pos_key = {"pk": {"S": _pk(fill.account_id)}, "sk": {"S": f"POS#{fill.symbol}"}}
        for attempt in range(MAX_ATTEMPTS):
            cached = self._cache.pop((fill.account_id, fill.symbol), None) if attempt == 0 else None
            if cached is None:
                got = await ddb.get_item(TableName=self._table, Key=pos_key, ConsistentRead=True)
                item = got.get("Item")
                if item:
                    cached = (
                        decode_position(item),
                        int(item.get("last_seq", {"N": "0"})["N"]),
                        datetime.fromisoformat(item["applied_at"]["S"]) if "applied_at" in item else self._clock(),
                    )
                else:
                    cached = (Position(fill.account_id, fill.symbol), 0, self._clock())
            current, last_seq, applied_before = cached
            if fill.account_seq <= last_seq:
                self._remember(current, last_seq, applied_before)
                return AppliedFill(current, False, applied_before)
            after = current.apply(Fill.of(fill))
            applied_at = self._clock()
            if current.version == 0:
                condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
            else:
                condition = {
                    "ConditionExpression": "version = :v",
                    "ExpressionAttributeValues": {":v": _n(current.version)},
                }
            item = {
                **pos_key,
                **encode_position(after),
                "last_seq": _n(fill.account_seq),
                "applied_at": {"S": applied_at.isoformat()},
            }
            try:
                await ddb.put_item(TableName=self._table, Item=item, **condition)
                self._remember(after, fill.account_seq, applied_at)
                return AppliedFill(after, True, applied_at)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
            # Someone else wrote the position since we read it: re-read (it may be this fill).
            self.conflicts += 1
            await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # jittered back-off between racers
        raise PositionConflict(f"position {fill.account_id}/{fill.symbol} kept changing; will retry")

    async def get(self, account_id: uuid.UUID, symbol: str) -> Position | None:
        ddb = await self._clients.client("dynamodb")
        got = await ddb.get_item(
            TableName=self._table,
            Key={"pk": {"S": _pk(account_id)}, "sk": {"S": f"POS#{symbol}"}},
            ConsistentRead=True,
        )
        return decode_position(got["Item"]) if "Item" in got else None

    async def list(self, account_id: uuid.UUID) -> list[Position]:
        ddb = await self._clients.client("dynamodb")
        out: list[Position] = []
        kw: dict[str, Any] = {}
        while True:
            page = await ddb.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :pos)",
                ExpressionAttributeValues={":pk": {"S": _pk(account_id)}, ":pos": {"S": "POS#"}},
                ConsistentRead=True,
                **kw,
            )
            out.extend(decode_position(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return sorted(out, key=lambda p: p.symbol)
            kw = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
