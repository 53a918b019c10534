"""The OMS ledger as a producer of ``order.events``, built with its own code end to end.

Each message is the ledger's (``OrderLedger``) order event for a venue report, written to the
outbox in the report's transaction, numbered under the account lock and published by the relay;
the reports come from the real execution engine over the paper broker, handling the web's own
commands (``pact_oms``). Races are driven for real: a cancel and an amend that reach the venue
after the order filled.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from pact_oms import Oms, OrderEntryDown
from pact_orders import (
    ACCEPTED,
    BROKER_UNAVAILABLE,
    CANCEL_REJECTED,
    CANCELED,
    EXPIRED,
    FILLED,
    REJECTED,
    REPLACE_REJECTED,
    REPLACED,
    UNKNOWN,
)

from tradewind.adapters.broker.paper import PaperBroker
from tradewind.application.topics import ORDER_EVENTS
from tradewind.domain.orders.status import OrderStatus as S

MARKET = {"symbol": "AAPL", "side": "buy", "qty": 10, "type": "market"}
RESTING = {"symbol": "AAPL", "side": "buy", "qty": 10, "type": "limit", "limit_price": "99.50", "time_in_force": "gtc"}


async def _resting(oms: Oms, body: dict[str, Any] = RESTING) -> Any:
    order_id = await oms.place(body)
    await oms.commands()
    await oms.until(oms.status_is(order_id, S.ACCEPTED), "the resting order accepted")
    return order_id


async def _refused_after_the_fill(request: str) -> dict[str, Any]:
    """A cancel or amend the ledger took while the order was working, which reaches the venue
    only after the order filled there: the venue says no."""
    async with Oms() as oms:
        order_id = await _resting(oms)
        if request == "cancel":
            await oms.cancel(order_id)
        else:
            await oms.amend(order_id, 20, "99.75")
        await oms.quote(bid=Decimal("99.40"), ask=Decimal("99.50"))  # the market crosses the limit
        await oms.until(oms.status_is(order_id, S.FILLED), "the fill before the request reaches the venue")
        await oms.commands()  # now the request reaches the venue
        event_type = f"order.{request}_rejected".replace("amend", "replace")
        await oms.until(oms.event_written(order_id, event_type), event_type)
        return oms.message(ORDER_EVENTS, event_type, order_id)


async def produce_ledger_messages() -> dict[str, dict[str, Any]]:
    """One message per description of ``pact_orders.FROM_LEDGER``, as the ledger produces it."""
    out: dict[str, dict[str, Any]] = {}
    async with Oms() as oms:
        market = await oms.place(MARKET)
        await oms.commands()
        await oms.until(oms.status_is(market, S.FILLED), "the market order filled")
        out[ACCEPTED] = oms.message(ORDER_EVENTS, "order.accepted", market)
        out[FILLED] = oms.message(ORDER_EVENTS, "order.filled", market)

        resting = await _resting(oms)
        await oms.amend(resting, 20, "99.75")
        await oms.commands()
        await oms.until(oms.event_written(resting, "order.replaced"), "the amend applied")
        out[REPLACED] = oms.message(ORDER_EVENTS, "order.replaced", resting)
        await oms.cancel(resting)
        await oms.commands()
        await oms.until(oms.status_is(resting, S.CANCELED), "the cancel applied")
        out[CANCELED] = oms.message(ORDER_EVENTS, "order.canceled", resting)

        day = await _resting(oms, RESTING | {"time_in_force": "day"})
        await asyncio.to_thread(oms.broker.expire_day_orders)  # the session closes
        await oms.until(oms.status_is(day, S.EXPIRED), "the day order expired")
        out[EXPIRED] = oms.message(ORDER_EVENTS, "order.expired", day)

    out[CANCEL_REJECTED] = await _refused_after_the_fill("cancel")
    out[REPLACE_REJECTED] = await _refused_after_the_fill("amend")

    async with Oms(broker=PaperBroker(latency=0.0, symbols={"AAPL"})) as oms:
        unlisted = await oms.place(MARKET | {"symbol": "MSFT"})  # a symbol this venue does not list
        await oms.commands()
        await oms.until(oms.status_is(unlisted, S.REJECTED), "the order rejected")
        out[REJECTED] = oms.message(ORDER_EVENTS, "order.rejected", unlisted)

    async with Oms(ack_timeout=0.05) as oms:
        await asyncio.to_thread(oms.broker.hold_reports)  # the venue goes quiet
        quiet = await oms.place(MARKET)
        await oms.commands()
        await oms.until(oms.status_is(quiet, S.UNKNOWN), "the order unknown")
        out[UNKNOWN] = oms.message(ORDER_EVENTS, "order.unknown", quiet)

    async with Oms(broker=OrderEntryDown(latency=0.0)) as oms:
        unreachable = await oms.place(MARKET)
        await oms.commands()
        await oms.until(oms.status_is(unreachable, S.BROKER_UNAVAILABLE), "the order broker_unavailable")
        out[BROKER_UNAVAILABLE] = oms.message(ORDER_EVENTS, "order.broker_unavailable", unreachable)
    return out
