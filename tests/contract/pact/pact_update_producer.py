"""The worker's order projection as the producer of order and fill updates, built with its own
code end to end: ``OrderProjection`` applies real events (the gateway's ``to_event`` for broker
reports) and publishes through the production ``RedisNotifier``, whose transport here is a
recorder of ``PUBLISH`` calls: the payload is the exact text a web process's subscription would
receive (the Redis round trip itself is covered by ``tests/contract/ports/test_notifier_contract``).
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from pact_gateway_producer import submitted
from pact_updates import FILL_UPDATE, ORDER_UPDATE

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.read_model import MemoryOrderReadModel
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.adapters.aws.redis.notifier import RedisNotifier
from tradewind.application.execution.broker import ExecType, ExecutionReport
from tradewind.application.execution.reports import OrderContext, to_event
from tradewind.application.projections.order_projection import OrderProjection
from tradewind.domain.orders.events import OrderSubmitted
from tradewind.domain.orders.status import OrderType


class RecordingRedis:
    """Stands in for the Redis connection under ``RedisNotifier``: keeps what it was asked to
    publish. Only the transport is replaced; the notifier's encoding is the real one."""

    def __init__(self) -> None:
        self.published: list[tuple[str, str]] = []

    async def publish(self, channel: str, data: str) -> int:
        self.published.append((channel, data))
        return 1

    def of_kind(self, kind: str) -> list[str]:
        return [data for _, data in self.published if json.loads(data)["kind"] == kind]


def _message(data: str) -> dict[str, Any]:
    return {"contents": data.encode(), "metadata": None, "content_type": "application/json"}


def _report(order: OrderSubmitted, exec_type: ExecType, *, cum: int = 0, price: str | None = None) -> ExecutionReport:
    return ExecutionReport(
        exec_id=uuid.uuid4().hex,
        exec_type=exec_type,
        client_order_id=str(order.order_id),
        broker_order_id="P-000001",
        symbol=order.symbol,
        side=order.side,
        order_qty=order.qty,
        cum_qty=cum,
        leaves_qty=order.qty - cum,
        avg_price=None if price is None else Decimal(price),
        last_qty=cum,
        last_price=None if price is None else Decimal(price),
    )


async def produce_projection_updates() -> dict[str, dict[str, Any]]:
    redis = RecordingRedis()
    projection = OrderProjection(MemoryOrderReadModel(MemoryStore()), RedisNotifier(redis), MemoryBus())  # type: ignore[arg-type]

    resting = submitted(OrderType.LIMIT, limit="99.50")
    ctx = OrderContext(resting.order_id, resting.account_id, resting.correlation_id, resting.symbol, resting.side)
    await projection(resting)
    redis.published.clear()
    await projection(to_event(_report(resting, ExecType.NEW), ctx))
    [accepted] = redis.of_kind("order")

    market = submitted(OrderType.MARKET)
    ctx = OrderContext(market.order_id, market.account_id, market.correlation_id, market.symbol, market.side)
    await projection(market)
    await projection(to_event(_report(market, ExecType.NEW), ctx))
    await projection(to_event(_report(market, ExecType.FILL, cum=market.qty, price="100.02"), ctx))
    [fill] = redis.of_kind("fill")
    return {ORDER_UPDATE: _message(accepted), FILL_UPDATE: _message(fill)}
