"""Provider: the gateway, producer of the venue's reports on Kafka (``execution.reports``) and of
the normalized price updates on the Kinesis market-data stream.

Every message is built by the gateway's own code (``pact_gateway_producer``: the execution engine
over the paper broker; ``pact_market_producer``: a feed normalizer into the Kinesis producer) and
verified against every pact in ``contracts/pacts/`` naming ``tradewind-gateway``, whatever the
consumer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pact_gateway_producer import produce_gateway_messages
from pact_market import PRICE_UPDATE
from pact_market_producer import produce_price_record
from pact_reports import FROM_GATEWAY
from pact_support import verify_messages

Eventually = Callable[..., Awaitable[Any]]
RERUN = "uv run pytest tests/contract/pact/test_provider_gateway.py"


async def test_the_gateway_honours_every_pact_naming_it(eventually: Eventually) -> None:
    messages = await produce_gateway_messages(eventually) | await produce_price_record()
    assert set(messages) == {*FROM_GATEWAY, PRICE_UPDATE}
    verified = await verify_messages("tradewind-gateway", messages, RERUN)
    assert {r["consumer"] for r in verified} == {"tradewind-oms-ledger", "tradewind-market-data"}
