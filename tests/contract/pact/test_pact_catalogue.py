"""``contracts/pacts/`` holds exactly the pacts the consumer tests state, and ``contracts/README.md``
lists each of them with its consumer and provider: a pact whose consumer test was removed does not
linger (and keep binding a provider), and the README cannot fall behind."""

from __future__ import annotations

import json
import re

from pact_client_api import client_pact, stream_pact
from pact_support import PACT_DIR, ROOT
from test_consumer_audit_archiver import audit_pacts
from test_consumer_execution_engine import engine_pact
from test_consumer_market_data import market_pact
from test_consumer_oms_ledger import ledger_pact
from test_consumer_order_projection import projection_pacts
from test_consumer_position_service import position_pact
from test_consumer_sse_bridge import bridge_pacts


def stated() -> set[tuple[str, str]]:
    pacts = [
        client_pact(),
        stream_pact(),
        engine_pact(),
        ledger_pact(),
        market_pact(),
        position_pact(),
        *audit_pacts(),
        *projection_pacts().values(),
        *bridge_pacts(),
    ]
    return {(p.consumer, p.provider) for p in pacts}


def test_the_pact_files_are_exactly_the_stated_pacts() -> None:
    on_disk = {p.name for p in PACT_DIR.glob("*.json")}
    expected = {f"{consumer}-{provider}.json" for consumer, provider in stated()}
    assert on_disk == expected, f"stale: {sorted(on_disk - expected)}; missing: {sorted(expected - on_disk)}"


def test_every_message_pact_says_the_topic_its_consumer_reads() -> None:
    """The topics of DESIGN.md: requests on order.commands for the engine, venue reports on
    execution.reports for the ledger, order events on order.events for the projections."""
    reads = {
        "tradewind-execution-engine": {"order.commands"},
        "tradewind-oms-ledger": {"execution.reports"},
        "tradewind-order-projection": {"order.events"},
        "tradewind-position-service": {"order.events"},
        "tradewind-audit-archiver": {"order.events", "position.updated"},
    }
    seen: dict[str, set[str]] = {}
    for path in PACT_DIR.glob("*.json"):
        pact = json.loads(path.read_text())
        for interaction in pact["interactions"]:
            topic = interaction.get("metadata", {}).get("topic")
            if topic is not None:
                seen.setdefault(pact["consumer"]["name"], set()).add(topic)
    assert {c: t for c, t in seen.items() if c in reads} == reads


def test_the_readme_lists_every_pact_with_its_consumer_and_provider() -> None:
    readme = (ROOT / "contracts" / "README.md").read_text()
    rows = set(re.findall(r"^\| `([a-z-]+)` \| `([a-z-]+)` \|", readme, flags=re.MULTILINE))
    assert rows == stated(), (
        f"contracts/README.md: rows without a pact: {sorted(rows - stated())}; "
        f"pacts without a row: {sorted(stated() - rows)}"
    )
