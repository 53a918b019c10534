"""The positions view in DynamoDB (table ``tradewind-positions``).

Items: ``pk=ACCOUNT#<id>, sk=POS#<symbol>``, one per position, and nothing per fill. Fills come
from ``order.events`` in ``account_seq`` order (one partition per account, worked in order), so
a position only needs the number of the last fill applied to it (``last_seq``): a fill numbered
at or below it has been applied (a redelivery), a higher one has not. A poll's fills are applied
per position in memory and each changed position is one conditional ``Put`` on its ``version``
(optimistic concurrency: two consumers of one partition during a rebalance race on it, the loser
re-reads and finds the fills applied), grouped into transactions of up to 100 (``apply_fills``).

So the table holds one item per position, whatever the number of fills (per-fill idempotency
records made it grow forever), and a transaction touches only its positions. moto's own
``TransactWriteItems`` copied the whole table once per action (and, with its model tracking,
kept the copies: about 1 MB per transaction, DESIGN.md "Benchmarks"); the moto that
``scripts/services`` starts snapshots only the touched items (``services.d/moto_serve.py``).
The last position written is cached per process: a consumer that owns a partition then writes
with one request per poll and no read; a stale cache costs one failed condition and a re-read,
never a wrong position. Numbers travel as DynamoDB ``N`` strings: exact
decimals, never floats.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
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
TRANSACTION_MAX = 100  # DynamoDB's limit of actions in one TransactWriteItems


class PositionConflict(Exception):
    """Too many concurrent writers on one position; the fill is redelivered and tried again."""


def _n(value: Decimal | int) -> dict[str, str]:
    return {"N": format(value, "f") if isinstance(value, Decimal) else str(value)}


def _pk(account_id: uuid.UUID) -> str:
    return f"ACCOUNT#{account_id}"


def _key(account_id: uuid.UUID, symbol: str) -> tuple[str, str]:
    return _pk(account_id), f"POS#{symbol}"


def _item_key(key: tuple[str, str]) -> dict[str, dict[str, str]]:
    return {"pk": {"S": key[0]}, "sk": {"S": key[1]}}


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
        return (await self.apply_fills([fill]))[0]

    async def apply_fills(self, fills: Sequence[OrderFilled]) -> list[AppliedFill]:
        """Every fill of a poll, each exactly once: the fills of one position applied in order
        in memory, then one conditional ``Put`` per position changed, written by
        ``TransactWriteItems`` of up to 100 (group commit: one request per 100 positions
        instead of one per fill). A transaction is cancelled as a whole when one of its
        conditions fails; then the positions whose condition failed are read again (another
        writer moved them: the fills may be applied already) and the whole transaction's
        positions are tried again, so a stale position costs its neighbours a retry, never a
        fill. In AWS a transactional write costs twice the write units of a ``PutItem``; on the
        local twin it is the one request that scales (about 0.6 ms of moto's CPU per position
        against 3.7 ms per ``PutItem``, measured in ``scripts/services.d/moto_serve.py``)."""
        for fill in fills:
            if fill.account_seq is None:
                raise UnnumberedFill(f"fill {fill.event_id} has no account_seq")
        ddb = await self._clients.client("dynamodb")
        results: list[AppliedFill | None] = [None] * len(fills)
        of_position: dict[tuple[uuid.UUID, str], list[int]] = {}
        for index, fill in enumerate(fills):
            of_position.setdefault((fill.account_id, fill.symbol), []).append(index)
        pending = list(of_position)
        for attempt in range(MAX_ATTEMPTS):
            states = await self._states(ddb, pending)
            writes: list[tuple[tuple[uuid.UUID, str], dict[str, Any], tuple[Position, int, datetime]]] = []
            for key in pending:
                current, last_seq, applied_at = state = states[key]
                for index in of_position[key]:
                    fill = fills[index]
                    assert fill.account_seq is not None  # checked above
                    if fill.account_seq <= last_seq:
                        results[index] = AppliedFill(current, False, applied_at)
                        continue
                    current, last_seq, applied_at = current.apply(Fill.of(fill)), fill.account_seq, self._clock()
                    results[index] = AppliedFill(current, True, applied_at)
                if last_seq == state[1]:
                    self._remember(*state)  # nothing new for this position: a redelivery
                else:
                    writes.append(
                        (key, self._put(state[0], current, last_seq, applied_at), (current, last_seq, applied_at))
                    )
            retry: list[tuple[uuid.UUID, str]] = []
            for start in range(0, len(writes), TRANSACTION_MAX):
                chunk = writes[start : start + TRANSACTION_MAX]
                try:
                    await ddb.transact_write_items(TransactItems=[{"Put": put} for _, put, _ in chunk])
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                        raise
                    reasons = exc.response.get("CancellationReasons") or [{"Code": "ConditionalCheckFailed"}] * len(
                        chunk
                    )
                    for (key, _, _), reason in zip(chunk, reasons, strict=False):
                        if reason.get("Code") == "ConditionalCheckFailed":
                            self.conflicts += 1
                            self._cache.pop(key, None)  # someone else wrote it: read it again
                    retry.extend(key for key, _, _ in chunk)
                    continue
                for _, _, written in chunk:
                    self._remember(*written)
            if not retry:
                done = [r for r in results if r is not None]
                assert len(done) == len(fills)  # every fill's position was in the first attempt
                return done
            pending = retry
            await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # jittered back-off between racers
        raise PositionConflict(f"{len(pending)} positions kept changing; their fills will be retried")

    async def _states(
        self, ddb: Any, keys: list[tuple[uuid.UUID, str]]
    ) -> dict[tuple[uuid.UUID, str], tuple[Position, int, datetime]]:
        """Each position as last written: from the cache, else one consistent ``BatchGetItem``
        per 100 missing (a position never written starts empty at version 0)."""
        states = {key: self._cache.pop(key) for key in keys if key in self._cache}
        missing = [key for key in keys if key not in states]
        for start in range(0, len(missing), 100):
            wanted = {_key(*key): key for key in missing[start : start + 100]}
            request: dict[str, Any] = {self._table: {"Keys": list(map(_item_key, wanted)), "ConsistentRead": True}}
            while request:
                page = await ddb.batch_get_item(RequestItems=request)
                for item in page.get("Responses", {}).get(self._table, []):
                    states[wanted[(item["pk"]["S"], item["sk"]["S"])]] = (
                        decode_position(item),
                        int(item.get("last_seq", {"N": "0"})["N"]),
                        datetime.fromisoformat(item["applied_at"]["S"]) if "applied_at" in item else self._clock(),
                    )
                request = page.get("UnprocessedKeys") or {}
        for account_id, symbol in missing:
            states.setdefault((account_id, symbol), (Position(account_id, symbol), 0, self._clock()))
        return states

    def _put(self, before: Position, after: Position, last_seq: int, applied_at: datetime) -> dict[str, Any]:
        """The conditional ``Put`` of ``after``: it succeeds only if the item is still ``before``."""
        pk, sk = _key(after.account_id, after.symbol)
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": {
                "pk": {"S": pk},
                "sk": {"S": sk},
                **encode_position(after),
                "last_seq": _n(last_seq),
                "applied_at": {"S": applied_at.isoformat()},
            },
        }
        if before.version == 0:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = {":v": _n(before.version)}
        return put

    async def get(self, account_id: uuid.UUID, symbol: str) -> Position | None:
        ddb = await self._clients.client("dynamodb")
        got = await ddb.get_item(
            TableName=self._table,
            Key=_item_key(_key(account_id, symbol)),
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
