"""The messaging contract (``EventPublisher`` + ``Subscriptions``), run against the in-process
``MemoryBus`` and real Kafka (``KafkaEventPublisher`` + ``KafkaSubscriptions``) alike.

What the consumers rely on (invariant 5): a fresh group reads a key's messages in the order
they were published; a handler that raises gets the same message again (in place, a bounded
number of times; without bound while a dependency is down); the group's offset moves only after
a handler returned, so a new consumer in the same group (a restarted process) starts after what
succeeded and re-reads what never did; a poison message goes to ``dead_letter`` with its topic,
partition, offset, key and headers, and the partition moves on. Kafka topics and groups are shared
between runs, so every test uses a topic and groups of its own; group joins take seconds.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tradewind.adapters.aws.kafka.consumers import KafkaSubscriptions
from tradewind.adapters.aws.kafka.publisher import KafkaEventPublisher
from tradewind.adapters.aws.memory.bus import MemoryBus
from tradewind.adapters.aws.settings import Settings
from tradewind.application.dead_letters import Delivery, PoisonMessage, parse_dead_letter
from tradewind.application.ports import EventPublisher, Subscriptions
from tradewind.application.topics import DEAD_LETTER

Eventually = Callable[..., Awaitable[Any]]
DEADLINE = 30.0
KEY = "account-1"


class HandlerFailed(Exception):
    pass


@dataclass(frozen=True)
class Messaging:
    publisher: EventPublisher
    #: a new consumer process; the memory twin has one bus, which keeps its groups' offsets
    consumer: Callable[[], Subscriptions]
    topic: str

    def group(self) -> str:
        return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(params=["memory", "kafka"])
async def messaging(request: pytest.FixtureRequest) -> AsyncIterator[Messaging]:
    topic = f"test.{uuid.uuid4().hex[:8]}"
    if request.param == "memory":
        bus = MemoryBus(retry_delay=0.01)
        try:
            yield Messaging(publisher=bus, consumer=lambda: bus, topic=topic)
        finally:
            await bus.stop()
        return
    settings: Settings = request.getfixturevalue("services")
    publisher = KafkaEventPublisher(settings.kafka_bootstrap, client_id="contract-test")
    consumers: list[KafkaSubscriptions] = []

    def consumer() -> KafkaSubscriptions:
        consumers.append(KafkaSubscriptions(settings.kafka_bootstrap, dead_letters=publisher, retry_delay=0.05))
        return consumers[-1]

    await publisher.start()
    try:
        yield Messaging(publisher=publisher, consumer=consumer, topic=topic)
    finally:
        for started in consumers:
            await started.stop()
        await publisher.stop()


class Received:
    """A handler that records every delivery and raises while ``fail(payload, attempt)`` says so."""

    def __init__(
        self,
        fail: Callable[[bytes, int], bool] = lambda payload, attempt: False,
        error: type[Exception] = HandlerFailed,
    ) -> None:
        self.deliveries: list[bytes] = []
        self._fail = fail
        self._error = error

    async def __call__(self, payload: bytes) -> None:
        self.deliveries.append(payload)
        if self._fail(payload, self.deliveries.count(payload)):
            raise self._error(payload)

    def seen(self, *payloads: bytes) -> Callable[[], Awaitable[bool]]:
        async def condition() -> bool:
            return all(p in self.deliveries for p in payloads)

        return condition

    def seen_times(self, payload: bytes, times: int) -> Callable[[], Awaitable[bool]]:
        async def condition() -> bool:
            return self.deliveries.count(payload) >= times

        return condition


async def test_a_fresh_group_receives_one_keys_messages_in_order(messaging: Messaging, eventually: Eventually) -> None:
    payloads = [f"m{i}".encode() for i in range(6)]
    for payload in payloads[:2]:
        await messaging.publisher.publish(messaging.topic, KEY, payload, headers={"trace": "t-1"})
    acked = await messaging.publisher.publish_batch([(messaging.topic, KEY, p) for p in payloads[2:]])
    assert acked == 4

    received = Received()
    consumer = messaging.consumer()
    consumer.subscribe([messaging.topic], messaging.group(), received)
    await consumer.start()

    await eventually(received.seen(*payloads), timeout=DEADLINE, what="every message")
    assert received.deliveries == payloads


async def test_a_failed_message_is_redelivered_and_committed_only_after_success(
    messaging: Messaging, eventually: Eventually
) -> None:
    group = messaging.group()
    first, second, third = b"first", b"second", b"third"
    for payload in (first, second):
        await messaging.publisher.publish(messaging.topic, KEY, payload)

    flaky = Received(fail=lambda payload, attempt: payload == first and attempt == 1)
    consumer = messaging.consumer()
    consumer.subscribe([messaging.topic], group, flaky)
    await consumer.start()
    # ``second`` is fetched only after ``first`` succeeded and was committed
    await eventually(flaky.seen(second), timeout=DEADLINE, what="the message after the failed one")
    await consumer.stop()
    assert flaky.deliveries == [first, first, second]

    await messaging.publisher.publish(messaging.topic, KEY, third)
    restarted = Received()
    consumer = messaging.consumer()
    consumer.subscribe([messaging.topic], group, restarted)
    await consumer.start()
    await eventually(restarted.seen(third), timeout=DEADLINE, what="the message published after the restart")
    assert first not in restarted.deliveries  # committed: the group moved past it
    assert restarted.deliveries[-1] == third


async def test_a_message_that_never_succeeded_is_delivered_to_the_next_consumer(
    messaging: Messaging, eventually: Eventually
) -> None:
    group = messaging.group()
    poison = b"poison"
    await messaging.publisher.publish(messaging.topic, KEY, poison)

    failing = Received(fail=lambda payload, attempt: True, error=ConnectionError)  # a dependency is down
    consumer = messaging.consumer()
    consumer.subscribe([messaging.topic], group, failing)
    await consumer.start()
    await eventually(failing.seen_times(poison, 2), timeout=DEADLINE, what="a redelivery")
    await consumer.stop()

    restarted = Received()
    consumer = messaging.consumer()
    consumer.subscribe([messaging.topic], group, restarted)
    await consumer.start()
    await eventually(restarted.seen(poison), timeout=DEADLINE, what="the uncommitted message again")
    assert restarted.deliveries[0] == poison


class ReceivedBatches:
    """A batch handler that records every batch and raises on the first one holding ``poison``."""

    def __init__(self, poison: bytes | None = None) -> None:
        self.batches: list[list[bytes]] = []
        self.succeeded: list[bytes] = []
        self._poison = poison

    async def __call__(self, payloads: Any) -> None:
        self.batches.append(list(payloads))
        if self._poison is not None and self._poison in payloads:
            self._poison = None
            raise HandlerFailed(b"batch")
        self.succeeded.extend(payloads)

    def seen(self, *payloads: bytes) -> Callable[[], Awaitable[bool]]:
        async def condition() -> bool:
            return all(p in self.succeeded for p in payloads)

        return condition


async def test_a_batch_subscription_gets_a_keys_messages_in_order_and_a_failed_batch_again(
    messaging: Messaging, eventually: Eventually
) -> None:
    group = messaging.group()
    payloads = [f"b{i}".encode() for i in range(8)]
    await messaging.publisher.publish_batch([(messaging.topic, KEY, p) for p in payloads])

    received = ReceivedBatches(poison=payloads[3])
    consumer = messaging.consumer()
    consumer.subscribe_batch([messaging.topic], group, received, max_records=5)
    await consumer.start()
    await eventually(received.seen(*payloads), timeout=DEADLINE, what="every message in batches")
    await consumer.stop()
    assert all(len(b) <= 5 for b in received.batches)
    # the failed batch came again, one message at a time: nothing skipped or doubled, in order
    assert received.succeeded == payloads
    assert sum(payloads[3] in b for b in received.batches) == 2

    later = b"after-restart"
    await messaging.publisher.publish(messaging.topic, KEY, later)
    restarted = ReceivedBatches()
    consumer = messaging.consumer()
    consumer.subscribe_batch([messaging.topic], group, restarted)
    await consumer.start()
    await eventually(restarted.seen(later), timeout=DEADLINE, what="the message published after the restart")
    assert restarted.succeeded == [later]  # the group committed every batch that succeeded


async def test_a_poison_message_goes_to_dead_letter_with_its_coordinates_and_the_partition_moves_on(
    messaging: Messaging, eventually: Eventually
) -> None:
    poison, good = b"poison", b"good"
    await messaging.publisher.publish(messaging.topic, KEY, poison, headers={"trace": "t-9"})
    await messaging.publisher.publish(messaging.topic, KEY, good)

    async def handler(payload: bytes) -> None:
        if payload == poison:
            raise PoisonMessage("cannot read it")
        handled.append(payload)

    handled: list[bytes] = []
    letters: list[Delivery] = []

    async def letter_box(delivery: Delivery) -> None:
        if parse_dead_letter(delivery.payload, delivery.headers).source_topic == messaging.topic:
            letters.append(delivery)

    consumer = messaging.consumer()
    group = messaging.group()
    consumer.subscribe([messaging.topic], group, handler)
    consumer.subscribe_deliveries([DEAD_LETTER], messaging.group(), letter_box)
    await consumer.start()

    async def both() -> bool:
        return bool(handled) and bool(letters)

    await eventually(both, timeout=DEADLINE, what="the next message handled and the poison dead-lettered")
    assert handled == [good]
    [record] = letters
    assert record.key == messaging.topic and record.payload == poison
    letter = parse_dead_letter(record.payload, record.headers)
    assert letter.source_offset == 0 and letter.source_partition >= 0 and letter.source_key == KEY
    assert letter.consumer == group and letter.attempts == 1 and "cannot read it" in letter.error
    assert letter.headers == {"trace": "t-9"}
