"""The worker's order projection as the producer of order and fill updates, built with its own
code end to end: ``OrderProjection`` applies the numbered events the OMS ledger wrote to
``order.events`` (``pact_oms``: the web's use cases, the engine over the paper broker, the
ledger) and publishes through the production ``RedisNotifier``, whose transport here is a
recorder of ``PUBLISH`` calls: the payload is the exact text a web process's subscription would
receive (the Redis round trip itself is covered by ``tests/contract/ports/test_notifier_contract``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from pact_ledger_producer import MARKET, RESTING
from pact_oms import Oms
from pact_updates import FILL_UPDATE, ORDER_UPDATE

from tradewind.adapters.aws.memory.read_model import MemoryOrderReadModel
from tradewind.adapters.aws.memory.store import MemoryStore
from tradewind.adapters.aws.redis.notifier import RedisNotifier
from tradewind.application.projections.order_projection import OrderProjection
from tradewind.application.topics import ORDER_EVENTS
from tradewind.domain.orders.events import parse_order_event
from tradewind.domain.orders.status import OrderStatus


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


async def order_events(oms: Oms) -> tuple[uuid.UUID, uuid.UUID, list[bytes]]:
    """A resting limit order the venue acknowledged and a market order it filled: the ledger's
    ``order.events``, in order."""
    resting = await oms.place(RESTING)
    await oms.commands()
    await oms.until(oms.status_is(resting, OrderStatus.ACCEPTED), "the resting order accepted")
    market = await oms.place(MARKET)
    await oms.commands()
    await oms.until(oms.status_is(market, OrderStatus.FILLED), "the market order filled")
    return resting, market, [payload for _, payload in oms.bus.records(ORDER_EVENTS)]


async def produce_projection_updates() -> dict[str, dict[str, Any]]:
    redis = RecordingRedis()
    projection = OrderProjection(MemoryOrderReadModel(MemoryStore()), RedisNotifier(redis))  # type: ignore[arg-type]
    async with Oms() as oms:
        resting, market, events = await order_events(oms)
    for payload in events:
        await projection(parse_order_event(payload))

    def update(kind: str, order_id: uuid.UUID, status: str | None = None) -> str:
        [found] = [
            data
            for data in redis.of_kind(kind)
            if json.loads(data)["data"].get("id" if kind == "order" else "order_id") == str(order_id)
            and (status is None or json.loads(data)["data"]["status"] == status)
        ]
        return found

    return {
        ORDER_UPDATE: _message(update("order", resting, "accepted")),
        FILL_UPDATE: _message(update("fill", market)),
    }
