"""Provider: the worker's market-data service, producer of the ``quote`` live updates the web
processes stream. Built by its own code (``pact_market_producer``) and verified against every pact
in ``contracts/pacts/`` naming ``tradewind-market-data``."""

from __future__ import annotations

from pact_market_producer import produce_quote_updates
from pact_support import verify_messages
from pact_updates import FROM_MARKET_DATA

RERUN = "uv run pytest tests/contract/pact/test_provider_market_data.py"


async def test_the_market_data_service_honours_every_pact_naming_it() -> None:
    messages = await produce_quote_updates()
    assert set(messages) == set(FROM_MARKET_DATA)
    verified = await verify_messages("tradewind-market-data", messages, RERUN)
    assert {r["consumer"] for r in verified} >= {"tradewind-sse-bridge"}
