"""The position service as a producer, built with its own code: ``PositionService`` applies a fill
(the gateway's ``to_event`` of a paper-broker report) to the positions view's in-memory twin and
publishes ``position.updated`` through the ``EventPublisher`` port and the ``position`` live update
through the production ``RedisNotifier`` (over the recording transport of ``pact_update_producer``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pact_gateway_producer import submitted
from pact_positions import POSITION_UPDATE, POSITION_UPDATED
from pact_support import kafka_message
from pact_update_producer import RecordingRedis, _message, _report

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.memory.positions import MemoryPositionStore
from tradewind.adapters.aws.memory.prices import MemoryPriceCache
from tradewind.adapters.aws.redis.notifier import RedisNotifier
from tradewind.application.execution.broker import ExecType
from tradewind.application.execution.reports import OrderContext, to_event
from tradewind.application.positions.service import PositionService
from tradewind.application.topics import POSITION_UPDATED as TOPIC
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote
from tradewind.domain.orders.status import OrderType


async def produce_position_messages() -> dict[str, dict[str, Any]]:
    bus, redis, prices = MemoryBus(), RecordingRedis(), MemoryPriceCache()
    await prices.put(Quote("AAPL", Decimal("100.00"), Decimal("100.02"), Decimal("100.01"), utcnow()))
    service = PositionService(
        store=MemoryPositionStore(),
        publisher=bus,
        notifier=RedisNotifier(redis),  # type: ignore[arg-type]
        prices=prices,
    )
    order = submitted(OrderType.MARKET)
    ctx = OrderContext(order.order_id, order.account_id, order.correlation_id, order.symbol, order.side)
    await service(to_event(_report(order, ExecType.FILL, cum=order.qty, price="100.02"), ctx))
    [(key, payload)] = bus.records(TOPIC)
    [update] = redis.of_kind("position")
    return {POSITION_UPDATED: kafka_message(TOPIC, key, payload), POSITION_UPDATE: _message(update)}
