"""Consumer: the audit archiver (worker, group ``audit``, every audited topic: ``order.events``
with the web's requests and the OMS ledger's outcomes, and ``position.updated``).

It never refuses a record (an unreadable one is archived as ``undecodable``), which is exactly
why it needs a contract: a renamed field would not fail, it would become a null column in the
archive regulators read. It relies on the envelope and on the typed columns its schema declares
for each event type (``application/audit/schema.py``). Each example is turned into an archive row
by the real ``to_row``, and every column the example carries must come out typed, not null.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pact import Pact
from pact_orders import BODIES, FROM_LEDGER, REQUESTS, expect
from pact_positions import POSITION_UPDATED, POSITION_UPDATED_BODY, expect_position_updated
from pact_support import message_examples, write_pact

from tradewind.application.audit.ports import LogRecord
from tradewind.application.audit.rows import to_row
from tradewind.application.audit.schema import ENVELOPE, FIELDS
from tradewind.application.topics import AUDITED_TOPICS

CONSUMER = "tradewind-audit-archiver"
_ENVELOPE = frozenset({name for name, _ in ENVELOPE} | {"type"})


def _type_of(description: str) -> str:
    body = POSITION_UPDATED_BODY if description == POSITION_UPDATED else BODIES[description]
    return str(body["type"])


def relied_on(description: str) -> frozenset[str]:
    """The envelope, and the typed columns the archive has for this message's type."""
    return _ENVELOPE | {name for name, _ in FIELDS.get(_type_of(description), ())}


def audit_pacts() -> list[Pact]:
    return [
        expect(Pact(CONSUMER, "tradewind-web"), REQUESTS, keep=relied_on),
        expect(Pact(CONSUMER, "tradewind-oms-ledger"), FROM_LEDGER, keep=relied_on),
        expect_position_updated(Pact(CONSUMER, "tradewind-position-service"), keep=relied_on(POSITION_UPDATED)),
    ]


def archive_all(examples: dict[str, tuple[bytes, dict[str, object]]]) -> None:
    for offset, (description, (body, metadata)) in enumerate(examples.items()):
        assert metadata["topic"] in AUDITED_TOPICS, f"{description}: topic {metadata['topic']} is not archived"
        record = LogRecord(str(metadata["topic"]), 0, offset, datetime(2026, 1, 2, tzinfo=UTC), body)
        row = to_row(record)
        sent = json.loads(body)
        assert row.event_type == sent["type"], description
        assert (row.event_id, row.account_id, row.schema_version) == (
            sent["event_id"],
            sent["account_id"],
            1,
        ), description
        assert row.occurred_at.isoformat().startswith(sent["occurred_at"][:19]), description
        for name, _ in FIELDS.get(row.event_type, ()):
            if sent.get(name) is not None:
                assert row.fields[name] is not None, f"{description}: {name}={sent[name]!r} archived as null"


def test_the_archiver_types_every_column_of_every_message_it_states_then_writes_the_pacts() -> None:
    pacts = audit_pacts()
    examples = {d: m for pact in pacts for d, m in message_examples(pact).items()}
    assert set(examples) == {*REQUESTS, *FROM_LEDGER, POSITION_UPDATED}
    archive_all(examples)
    for pact in pacts:
        write_pact(pact)


def test_an_unknown_extra_field_is_tolerated() -> None:
    examples = {d: m for pact in audit_pacts() for d, m in message_examples(pact).items()}
    archive_all({d: (json.dumps(json.loads(b) | {"venue_hint": "XNAS"}).encode(), m) for d, (b, m) in examples.items()})
