"""The position service as a producer, built with its own code: ``PositionService`` applies the
OMS ledger's numbered fill (``pact_oms``: a market order filled by the paper broker, through the
engine and the ledger, as it lands on ``order.events``) to the positions view's in-memory twin,
and publishes ``position.updated`` through the ``EventPublisher`` port and the ``position`` live
update through the production ``RedisNotifier`` (over the recording transport of
``pact_update_producer``).
"""

from __future__ import annotations

from typing import Any

from pact_oms import Oms
from pact_positions import POSITION_UPDATE, POSITION_UPDATED
from pact_support import kafka_message
from pact_update_producer import RecordingRedis, _message, order_events

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.positions import MemoryPositionStore
from tradewind.adapters.aws.redis.notifier import RedisNotifier
from tradewind.application.positions.service import PositionService
from tradewind.application.topics import POSITION_UPDATED as TOPIC
from tradewind.domain.orders.events import parse_order_event


async def produce_position_messages() -> dict[str, dict[str, Any]]:
    bus, redis = MemoryBus(), RecordingRedis()
    async with Oms() as oms:
        _, _, events = await order_events(oms)
        service = PositionService(
            store=MemoryPositionStore(),
            publisher=bus,
            notifier=RedisNotifier(redis),  # type: ignore[arg-type]
            prices=oms.adapters.prices(),
        )
        for payload in events:  # as the worker's ``positions`` group reads order.events
            await service(parse_order_event(payload))
    [(key, payload)] = bus.records(TOPIC)
    [update] = redis.of_kind("position")
    return {POSITION_UPDATED: kafka_message(TOPIC, key, payload), POSITION_UPDATE: _message(update)}
