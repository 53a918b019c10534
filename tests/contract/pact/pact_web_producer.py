"""The web as a producer of Kafka messages, built with its own code end to end.

HTTP requests go to the real Litestar app (memory profile); the use cases write the order and its
outbox event in one unit of work; the real ``OutboxRelay`` publishes the outbox to the Kafka twin.
What lands on the bus (topic, key, payload) is exactly what the relay would hand to Kafka.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from litestar.testing import AsyncTestClient
from pact_orders import AMEND_REQUESTED, CANCEL_REQUESTED, SUBMITTED_LIMIT, SUBMITTED_MARKET
from pact_support import kafka_message

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.application.outbox_relay import OutboxRelay
from tradewind.application.topics import ORDER_TOPICS
from tradewind.apps.web.main import build_app
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote

TOKEN = "pact-web-producer"


async def produce_web_messages() -> dict[str, dict[str, Any]]:
    """One message per description of ``pact_orders.FROM_WEB``, as the web produces it."""
    settings = Settings(profile="memory")
    adapters: Any = build_adapters(settings)
    await CreateUser(adapters.uow)("pact-web-producer", "100000", token=TOKEN)
    await adapters.prices().put(Quote("AAPL", Decimal("100.00"), Decimal("100.02"), Decimal("100.01"), utcnow()))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with AsyncTestClient(build_app(settings, adapters)) as http:
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
        amend = await http.patch(
            f"/api/v1/orders/{order_id}", headers=headers, json={"qty": 20, "limit_price": "99.75"}
        )
        cancel = await http.delete(f"/api/v1/orders/{order_id}", headers=headers)
        assert (amend.status_code, cancel.status_code) == (202, 202), (amend.text, cancel.text)

    bus = adapters.publisher()
    await OutboxRelay(adapters.outbox(), bus).run_once()
    published: dict[tuple[str, str, str], dict[str, Any]] = {}
    for topic in ORDER_TOPICS:
        for key, payload in bus.records(topic):
            event = json.loads(payload)
            published[(event["type"], event.get("order_type", ""), event["order_id"])] = kafka_message(
                topic, key, payload
            )
    market_id = market.json()["id"]
    return {
        SUBMITTED_MARKET: published[("order.submitted", "market", market_id)],
        SUBMITTED_LIMIT: published[("order.submitted", "limit", order_id)],
        AMEND_REQUESTED: published[("order.amend_requested", "", order_id)],
        CANCEL_REQUESTED: published[("order.cancel_requested", "", order_id)],
    }
