"""Provider: the OMS ledger (worker), producer of the numbered order events on ``order.events``
that every projection reads.

Each message is built by the ledger's own code (``pact_ledger_producer``: the web's use cases,
the engine over the paper broker, the ledger consuming its reports, the outbox relay), never
written by hand, and verified against every pact in ``contracts/pacts/`` naming
``tradewind-oms-ledger``, whatever the consumer.
"""

from __future__ import annotations

from pact_ledger_producer import produce_ledger_messages
from pact_orders import FROM_LEDGER
from pact_support import verify_messages

RERUN = "uv run pytest tests/contract/pact/test_provider_oms_ledger.py"


async def test_the_ledger_honours_every_pact_naming_it() -> None:
    messages = await produce_ledger_messages()
    assert set(messages) == set(FROM_LEDGER)
    verified = await verify_messages("tradewind-oms-ledger", messages, RERUN)
    assert {r["consumer"] for r in verified} == {
        "tradewind-order-projection",
        "tradewind-position-service",
        "tradewind-audit-archiver",
    }
