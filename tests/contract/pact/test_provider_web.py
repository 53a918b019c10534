"""Provider: the web as the producer of order requests on Kafka (through its outbox), each on
``order.commands`` (for the execution engine) and ``order.events`` (for the projections).

Each message is built by the web's own code (``pact_web_producer``: HTTP request, use case,
outbox, relay), never written by hand, and handed to Pact's verifier, which checks it against
every pact in ``contracts/pacts/`` naming ``tradewind-web`` (fields, types, formats, topic, key).
"""

from __future__ import annotations

from pact_orders import FROM_WEB
from pact_support import verify_messages
from pact_web_producer import produce_web_messages

RERUN = "uv run pytest tests/contract/pact/test_provider_web.py"


async def test_the_web_honours_every_pact_naming_it() -> None:
    messages = await produce_web_messages()
    assert set(messages) == set(FROM_WEB)
    verified = await verify_messages("tradewind-web", messages, RERUN)
    assert {r["consumer"] for r in verified} == {
        "tradewind-execution-engine",
        "tradewind-order-projection",
        "tradewind-audit-archiver",
    }
