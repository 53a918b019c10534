"""Provider: the position service, producer of ``position.updated`` on Kafka and of the
``position`` live update. Built by its own code (``pact_position_producer``) and verified against
every pact in ``contracts/pacts/`` naming ``tradewind-position-service``."""

from __future__ import annotations

from pact_position_producer import produce_position_messages
from pact_positions import POSITION_UPDATE, POSITION_UPDATED
from pact_support import verify_messages

RERUN = "uv run pytest tests/contract/pact/test_provider_position_service.py"


async def test_the_position_service_honours_every_pact_naming_it() -> None:
    messages = await produce_position_messages()
    assert set(messages) == {POSITION_UPDATED, POSITION_UPDATE}
    verified = await verify_messages("tradewind-position-service", messages, RERUN)
    assert {r["consumer"] for r in verified} >= {"tradewind-audit-archiver", "tradewind-sse-bridge"}
