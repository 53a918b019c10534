"""The ``DeadLetterStore`` contract, run against the in-memory twin and PostgreSQL alike.

What ``tradewind dlq`` relies on: a letter is kept with everything it says (source topic,
partition, offset, key, consumer, headers, the payload byte for byte, error, attempts); one
record of ``dead_letter`` delivered twice is one letter; ``list`` is newest first and leaves out
replayed letters unless asked; ``claim`` marks a letter replayed once (a second claim gets
nothing) and ``unclaim`` undoes it.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import pytest

from tradewind.adapters.aws.memory.dead_letters import MemoryDeadLetterStore
from tradewind.adapters.aws.postgres.dead_letters import PgDeadLetterStore
from tradewind.application.dead_letters import DeadLetter, DeadLetterStore


@pytest.fixture(params=["memory", "postgres"])
def store(request: pytest.FixtureRequest) -> DeadLetterStore:
    if request.param == "memory":
        return MemoryDeadLetterStore()
    return PgDeadLetterStore(request.getfixturevalue("pg_pool"))


def letter(topic: str, offset: int = 7) -> DeadLetter:
    return DeadLetter(
        source_topic=topic,
        source_partition=3,
        source_offset=offset,
        source_key="account-1",
        consumer="oms-ledger",
        payload=b"\x00\xffnot json",
        headers={"traceparent": "00-abc-def-01"},
        error="PoisonMessage: undecodable",
        attempts=1,
        failed_at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
    )


def place() -> tuple[int, int]:
    """A place in dead_letter no other test uses (the PostgreSQL table is shared by the session)."""
    return random.randrange(4), random.randrange(10**12)


async def mine(store: DeadLetterStore, topic: str, *, replayed: bool = False) -> list[DeadLetter]:
    return [x for x in await store.list(limit=10_000, replayed=replayed) if x.source_topic == topic]


async def test_a_letter_is_kept_whole_and_a_redelivered_record_is_one_letter(store: DeadLetterStore) -> None:
    topic = f"t.{uuid.uuid4().hex[:8]}"
    partition, offset = place()
    await store.add(letter(topic), partition=partition, offset=offset)
    await store.add(letter(topic), partition=partition, offset=offset)
    [kept] = await mine(store, topic)
    assert kept.id is not None and kept.replayed_at is None
    assert (kept.source_topic, kept.source_partition, kept.source_offset, kept.source_key) == (topic, 3, 7, "account-1")
    assert kept.payload == b"\x00\xffnot json" and kept.headers == {"traceparent": "00-abc-def-01"}
    assert (kept.consumer, kept.error, kept.attempts) == ("oms-ledger", "PoisonMessage: undecodable", 1)
    assert kept.failed_at == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert await store.get(kept.id) == kept


async def test_list_is_newest_first(store: DeadLetterStore) -> None:
    topic = f"t.{uuid.uuid4().hex[:8]}"
    for offset in (1, 2, 3):
        partition, place_offset = place()
        await store.add(letter(topic, offset), partition=partition, offset=place_offset)
    assert [x.source_offset for x in await mine(store, topic)] == [3, 2, 1]


async def test_a_letter_is_claimed_for_replay_once(store: DeadLetterStore) -> None:
    topic = f"t.{uuid.uuid4().hex[:8]}"
    partition, offset = place()
    await store.add(letter(topic), partition=partition, offset=offset)
    [kept] = await mine(store, topic)
    assert kept.id is not None
    claimed = await store.claim(kept.id)
    assert claimed is not None and claimed.replayed_at is not None and claimed.payload == kept.payload
    assert await store.claim(kept.id) is None, "claimed twice"
    assert await mine(store, topic) == [] and len(await mine(store, topic, replayed=True)) == 1
    await store.unclaim(kept.id)
    assert [x.id for x in await mine(store, topic)] == [kept.id]
    assert await store.get(-1) is None and await store.claim(-1) is None
