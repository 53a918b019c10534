"""Consumer: the SSE bridge in each web process (``StreamHub``), fed by one pub/sub subscription.

It relies on the worker's order, fill and position updates and on its market-data service's quotes. Each example
is dispatched through the real hub to two live connections, and must reach exactly the ones it
is for: an account's updates its own streams only (invariant 7), a quote every stream watching
its symbol. Then both pacts are written.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from pact import Pact
from pact_positions import POSITION_UPDATE, expect_position_update
from pact_support import ACCOUNT_ID, OTHER_ACCOUNT_ID, message_examples, write_pact
from pact_updates import FILL_UPDATE, FROM_MARKET_DATA, FROM_PROJECTION, ORDER_UPDATE, QUOTE_UPDATE, expect

from tradewind.apps.web.stream.hub import StreamHub

CONSUMER = "tradewind-sse-bridge"
Listener = Callable[[dict[str, Any]], Awaitable[None]]


def bridge_pacts() -> list[Pact]:
    return [
        expect(Pact(CONSUMER, "tradewind-order-projection"), FROM_PROJECTION),
        expect(Pact(CONSUMER, "tradewind-market-data"), FROM_MARKET_DATA),
        expect_position_update(Pact(CONSUMER, "tradewind-position-service")),
    ]


class Subscription:
    """The web process's one update subscription, as the hub sees it."""

    def __init__(self) -> None:
        self.listeners: list[Listener] = []

    def listen(self, listener: Listener) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    async def deliver(self, message: dict[str, Any]) -> None:
        for listener in self.listeners:
            await listener(message)


async def bridge_all(examples: dict[str, tuple[bytes, dict[str, Any]]], *, extra_field: bool = False) -> None:
    for description, (body, _) in examples.items():
        subscription = Subscription()
        hub = StreamHub(subscription)
        mine = hub.connect(ACCOUNT_ID, frozenset({"AAPL"}))
        other = hub.connect(OTHER_ACCOUNT_ID, frozenset({"MSFT"}))
        message = json.loads(body)
        if extra_field:  # a producer of a later minor change: one more field, same envelope version
            message = message | {"trace": {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}
        await subscription.deliver(message)
        if description == QUOTE_UPDATE:
            assert mine.quotes == {"AAPL": message["data"]} and other.quotes == {}, description
        else:
            assert mine.updates.qsize() == 1 and other.updates.empty(), description
            delivered = mine.updates.get_nowait()
            assert (delivered["kind"], delivered["seq"], delivered["data"]) == (
                message["kind"],
                message["seq"],
                message["data"],
            )
        hub.close()


async def test_the_bridge_routes_every_update_it_states_then_writes_the_pacts() -> None:
    pacts = bridge_pacts()
    examples = {d: m for pact in pacts for d, m in message_examples(pact).items()}
    assert set(examples) == {ORDER_UPDATE, FILL_UPDATE, QUOTE_UPDATE, POSITION_UPDATE}
    await bridge_all(examples)
    for pact in pacts:
        write_pact(pact)


async def test_an_unknown_extra_field_is_tolerated() -> None:
    await bridge_all({d: m for pact in bridge_pacts() for d, m in message_examples(pact).items()}, extra_field=True)
