"""Provider: the worker's order projection, producer of the order and fill updates that web
processes turn into SSE events. Built by its own code (``pact_update_producer``) and verified
against every pact in ``contracts/pacts/`` naming ``tradewind-order-projection``."""

from __future__ import annotations

from pact_support import verify_messages
from pact_update_producer import produce_projection_updates
from pact_updates import FROM_PROJECTION

RERUN = "uv run pytest tests/contract/pact/test_provider_order_projection.py"


async def test_the_projection_honours_every_pact_naming_it() -> None:
    messages = await produce_projection_updates()
    assert set(messages) == set(FROM_PROJECTION)
    verified = await verify_messages("tradewind-order-projection", messages, RERUN)
    assert {r["consumer"] for r in verified} >= {"tradewind-sse-bridge"}
