"""Decoding consumed messages and the one dead-letter policy every consumer runs under (here on
the in-memory bus; the Kafka contract suite runs the same on real Kafka): junk and newer schema
versions are poison, dead-lettered at once with where they came from, and the partition moves
on; a handler that keeps failing is retried a bounded number of times, then dead-lettered; a
dependency that is down is never a dead letter, the message comes back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.application.dead_letters import HEADER, PoisonMessage, parse_dead_letter
from tradewind.application.messaging import order_event_handler, venue_report_handler
from tradewind.application.topics import DEAD_LETTER
from tradewind.domain.orders.events import OrderCanceled, OrderEvent
from tradewind.domain.orders.reports import ReportKind, VenueReport, report_id_for

Eventually = Callable[..., Awaitable[Any]]
EVENT = OrderCanceled(correlation_id=uuid.uuid4(), account_id=uuid.uuid4(), order_id=uuid.uuid4(), symbol="AAPL")


class Recorder:
    def __init__(self, fail: type[Exception] | None = None, times: int = 10**9) -> None:
        self.events: list[OrderEvent] = []
        self.calls = 0
        self.fail, self.times = fail, times

    async def __call__(self, event: OrderEvent) -> None:
        self.calls += 1
        if self.fail is not None and self.calls <= self.times:
            raise self.fail("boom")
        self.events.append(event)


async def test_a_valid_message_reaches_the_handler_as_its_event() -> None:
    handler = Recorder()
    await order_event_handler(handler, consumer="test")(EVENT.to_json())
    assert handler.events == [EVENT]


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"{}",
        json.dumps({"type": "order.teleported"}).encode(),
        json.dumps({**json.loads(EVENT.to_json()), "occurred_at": "2024-01-01T00:00:00"}).encode(),  # naive time
        json.dumps({**json.loads(EVENT.to_json()), "schema_version": 2}).encode(),
    ],
    ids=["not-json", "empty-object", "unknown-type", "naive-time", "newer-schema"],
)
async def test_an_undecodable_message_is_poison(payload: bytes) -> None:
    handler = Recorder()
    with pytest.raises(PoisonMessage):
        await order_event_handler(handler, consumer="test")(payload)
    assert handler.events == []


async def test_a_newer_report_schema_is_poison_until_the_consumer_reads_it() -> None:
    order = uuid.uuid4()
    report = VenueReport(
        report_id=report_id_for(order, "e"), account_id=uuid.uuid4(), order_id=order, kind=ReportKind.NEW,
        exec_id="e", symbol="AAPL", schema_version=2,
    )  # fmt: skip
    seen: list[VenueReport] = []

    async def ledger(r: VenueReport) -> None:
        seen.append(r)

    with pytest.raises(PoisonMessage, match="schema_version 2"):
        await venue_report_handler(ledger, consumer="oms-ledger")(report.to_json())
    await venue_report_handler(ledger, consumer="oms-ledger", max_schema_version=2)(report.to_json())
    assert seen == [report]


async def run_on_bus(bus: MemoryBus, handler: Any, payloads: list[bytes], eventually: Eventually, done: Any) -> None:
    for i, payload in enumerate(payloads):
        await bus.publish("topic.a", "account-1", payload, {"trace": f"t-{i}"})
    bus.subscribe(["topic.a"], "group-a", handler)
    await bus.start()
    try:
        await eventually(done, timeout=5, what="the consumer to get through")
    finally:
        await bus.stop()


async def test_poison_goes_to_dead_letter_with_its_coordinates_and_the_partition_moves_on(
    eventually: Eventually,
) -> None:
    bus, handler = MemoryBus(retry_delay=0.0), Recorder()
    good = EVENT.to_json()

    async def through() -> bool:
        return bool(handler.events)

    await run_on_bus(bus, order_event_handler(handler, consumer="group-a"), [b"junk", good], eventually, through)
    assert handler.events == [EVENT]  # the message after the poison was handled
    [letter_record] = bus.deliveries(DEAD_LETTER)
    assert letter_record.key == "topic.a" and letter_record.payload == b"junk"  # key: the source topic
    letter = parse_dead_letter(letter_record.payload, letter_record.headers)
    assert (letter.source_topic, letter.source_partition, letter.source_offset) == ("topic.a", 0, 0)
    assert letter.source_key == "account-1" and letter.consumer == "group-a" and letter.attempts == 1
    assert letter.headers == {"trace": "t-0"} and "undecodable" in letter.error


async def test_a_handler_that_keeps_failing_is_retried_a_bounded_number_of_times_then_dead_lettered(
    eventually: Eventually,
) -> None:
    bus = MemoryBus(retry_delay=0.0, max_attempts=3)
    handler = Recorder(fail=ValueError, times=3)  # fails on the first message's three attempts

    async def through() -> bool:
        return bool(handler.events)

    second = OrderCanceled(correlation_id=uuid.uuid4(), account_id=uuid.uuid4(), order_id=uuid.uuid4(), symbol="X")
    handle = order_event_handler(handler, consumer="group-a")
    await run_on_bus(bus, handle, [EVENT.to_json(), second.to_json()], eventually, through)
    assert handler.calls == 4 and handler.events == [second]
    [record] = bus.deliveries(DEAD_LETTER)
    letter = parse_dead_letter(record.payload, record.headers)
    assert letter.attempts == 3 and letter.error == "ValueError: boom" and letter.source_offset == 0
    assert record.headers[HEADER + "attempts"] == "3"


async def test_a_dependency_that_is_down_is_never_a_dead_letter(eventually: Eventually) -> None:
    bus = MemoryBus(retry_delay=0.0, max_attempts=2)
    handler = Recorder(fail=ConnectionError, times=6)  # down for six deliveries, then back

    async def through() -> bool:
        return bool(handler.events)

    await run_on_bus(bus, order_event_handler(handler, consumer="group-a"), [EVENT.to_json()], eventually, through)
    assert handler.calls == 7 and handler.events == [EVENT]
    assert bus.records(DEAD_LETTER) == []


async def test_a_letter_without_our_headers_is_kept_with_its_source_unknown() -> None:
    letter = parse_dead_letter(b"x", {"error": "from an older release"})
    assert letter.source_topic == "" and letter.error == "from an older release" and letter.headers == {}
