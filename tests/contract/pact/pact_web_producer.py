"""The web as a producer of Kafka messages, built with its own code end to end.

HTTP requests go to the real Litestar app (memory profile); the use cases write the order and its
numbered request to the outbox in one unit of work; the real ``OutboxRelay`` publishes each
request to ``order.commands`` and ``order.events`` on the Kafka twin. The limit order is
acknowledged by the venue through the OMS ledger (``pact_oms``) before it is amended, as the
ledger refuses to amend an order the venue has not acknowledged. What lands on the bus (topic,
key, payload) is exactly what the relay would hand to Kafka.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar.testing import AsyncTestClient
from pact_oms import Oms
from pact_orders import AMEND_REQUESTED, CANCEL_REQUESTED, REQUESTS, SUBMITTED_LIMIT, SUBMITTED_MARKET, on_commands

from tradewind.application.topics import ORDER_COMMANDS, ORDER_EVENTS
from tradewind.apps.web.main import build_app
from tradewind.domain.orders.status import OrderStatus


async def produce_web_messages() -> dict[str, dict[str, Any]]:
    """One message per description of ``pact_orders.FROM_WEB``, as the web produces it."""
    async with Oms() as oms:
        headers = {"Authorization": f"Bearer {oms.token}"}
        async with AsyncTestClient(build_app(oms.settings, oms.adapters)) as http:
            await oms.quote()
            market = await http.post(
                "/api/v1/orders", headers=headers, json={"symbol": "AAPL", "side": "buy", "qty": 10, "type": "market"}
            )
            limit = await http.post(
                "/api/v1/orders",
                headers=headers,
                json={"symbol": "AAPL", "side": "buy", "qty": 10, "type": "limit", "limit_price": "99.50"},
            )
            assert (market.status_code, limit.status_code) == (202, 202), (market.text, limit.text)
            order_id = limit.json()["id"]
            await oms.commands()
            await oms.until(oms.status_is(uuid.UUID(order_id), OrderStatus.ACCEPTED), "the limit order accepted")
            await oms.quote()
            amend = await http.patch(
                f"/api/v1/orders/{order_id}", headers=headers, json={"qty": 20, "limit_price": "99.75"}
            )
            cancel = await http.delete(f"/api/v1/orders/{order_id}", headers=headers)
            assert (amend.status_code, cancel.status_code) == (202, 202), (amend.text, cancel.text)
        await oms.relay.run_once()

        market_id = market.json()["id"]
        sources = {
            SUBMITTED_MARKET: ("order.submitted", market_id),
            SUBMITTED_LIMIT: ("order.submitted", order_id),
            AMEND_REQUESTED: ("order.amend_requested", order_id),
            CANCEL_REQUESTED: ("order.cancel_requested", order_id),
        }
        out: dict[str, dict[str, Any]] = {}
        for description in REQUESTS:
            event_type, of = sources[description]
            out[description] = oms.message(ORDER_EVENTS, event_type, of)
            out[on_commands(description)] = oms.message(ORDER_COMMANDS, event_type, of)
        return out
