"""Dead letters: a message no consumer can handle is parked on ``dead_letter`` with where it came
from and why, and its partition moves on. One mechanism for every consumer (``DeadLetterPolicy``),
used by the Kafka subscriptions and by the in-memory bus alike.

What a handler's failure means:

* ``PoisonMessage`` (undecodable, an unknown schema version, a fact that can never apply): it
  would fail the same way on every delivery, so it is dead-lettered at once (attempt 1);
* a dependency that is unavailable (the database, the cache, Kafka: the ``unavailable``
  predicate, given by the adapter that knows the drivers): the message is not at fault and every
  message after it would fail the same way, so nothing is dead-lettered: the error propagates and
  the message is delivered again (the partition waits for the dependency, as it must to keep
  order);
* anything else: retried in place with a growing delay, at most ``max_attempts`` times in all,
  then dead-lettered with the last error and the number of attempts.

On ``dead_letter`` a letter is the original value, byte for byte, with the original headers and
``tw.dlq.*`` headers for its source (topic, partition, offset, key), the consumer, the error and
the attempts; its key is the source topic (DESIGN.md "Topics"). Handlers are idempotent, so
retrying one in place, or replaying a letter, never applies an effect twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from tradewind.application.ports import EventPublisher
from tradewind.application.topics import DEAD_LETTER
from tradewind.domain.clock import utcnow

log = logging.getLogger(__name__)

HEADER = "tw.dlq."
MAX_ERROR = 2000
#: on a replayed message: the letter it came from (outside ``tw.dlq.``, so a letter of a letter keeps it)
REPLAYED_FROM = "tw.replayed_from"


class PoisonMessage(Exception):
    """The message itself is at fault and always will be: dead-letter it, move on."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One consumed message with its coordinates."""

    topic: str
    partition: int
    offset: int
    payload: bytes
    key: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


DeliveryHandler = Callable[[Delivery], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    source_topic: str
    source_partition: int
    source_offset: int
    source_key: str | None
    consumer: str
    payload: bytes
    #: the original message's headers, without the ``tw.dlq.*`` ones
    headers: Mapping[str, str]
    error: str
    attempts: int
    failed_at: datetime
    #: the store's id, once stored; when it was replayed (``None``: not yet)
    id: int | None = None
    replayed_at: datetime | None = None

    def record_headers(self) -> dict[str, str]:
        """The headers it travels with on ``dead_letter``: the original ones and its own."""
        own = {
            "topic": self.source_topic,
            "partition": str(self.source_partition),
            "offset": str(self.source_offset),
            "consumer": self.consumer,
            "error": self.error,
            "attempts": str(self.attempts),
            "failed_at": self.failed_at.isoformat(),
        }
        if self.source_key is not None:
            own["key"] = self.source_key
        return {**self.headers, **{HEADER + k: v for k, v in own.items()}}


def parse_dead_letter(payload: bytes, headers: Mapping[str, str]) -> DeadLetter:
    """A letter from its ``dead_letter`` record. A record without our headers (written by hand,
    or by an older release that sent only ``error``) is kept too, its source unknown."""
    own = {k[len(HEADER) :]: v for k, v in headers.items() if k.startswith(HEADER)}
    original = {k: v for k, v in headers.items() if not k.startswith(HEADER) and k != "error"}
    try:
        failed_at = datetime.fromisoformat(own["failed_at"])
    except (KeyError, ValueError):
        failed_at = utcnow()
    return DeadLetter(
        source_topic=own.get("topic", ""),
        source_partition=_int(own.get("partition"), -1),
        source_offset=_int(own.get("offset"), -1),
        source_key=own.get("key"),
        consumer=own.get("consumer", ""),
        payload=payload,
        headers=original,
        error=own.get("error", headers.get("error", "")),
        attempts=_int(own.get("attempts"), 1),
        failed_at=failed_at,
    )


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def builtin_unavailable(exc: BaseException) -> bool:
    """The standard library's idea of "could not reach it": connection and timeout errors."""
    return isinstance(exc, ConnectionError | TimeoutError)


class DeadLetterPolicy:
    """Runs one consumer's handler on a delivery, deciding retry, redelivery or dead letter."""

    def __init__(
        self,
        publisher: EventPublisher,
        *,
        consumer: str,
        max_attempts: int = 5,
        retry_delay: float = 0.2,
        max_delay: float = 5.0,
        unavailable: Callable[[BaseException], bool] = builtin_unavailable,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self._publisher = publisher
        self.consumer = consumer
        self.max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._max_delay = max_delay
        self._unavailable = unavailable
        self.dead_lettered = 0

    async def deliver(self, delivery: Delivery, handler: DeliveryHandler) -> None:
        """Return once the message is handled or dead-lettered (commit its offset); raise when
        it must be delivered again (a dependency is down, or the dead letter could not be sent)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                await handler(delivery)
                return
            except asyncio.CancelledError:
                raise
            except PoisonMessage as exc:
                await self._dead_letter(delivery, exc, attempt)
                return
            except Exception as exc:
                if self._unavailable(exc):
                    log.warning(
                        "dependency unavailable; the message will be delivered again",
                        extra={"consumer": self.consumer, "topic": delivery.topic, "error": repr(exc)[:300]},
                    )
                    await asyncio.sleep(self._retry_delay)  # back-off before the redelivery
                    raise
                if attempt >= self.max_attempts:
                    await self._dead_letter(delivery, exc, attempt)
                    return
                log.warning(
                    "handler failed; retrying",
                    extra={"consumer": self.consumer, "topic": delivery.topic, "attempt": attempt, "error": repr(exc)},
                )
                await asyncio.sleep(min(self._max_delay, self._retry_delay * 2 ** (attempt - 1)))

    async def _dead_letter(self, delivery: Delivery, exc: Exception, attempts: int) -> None:
        error = (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)[:MAX_ERROR]
        if delivery.topic == DEAD_LETTER:  # never a letter about a letter: that could loop
            log.error("a dead letter could not be handled", extra={"consumer": self.consumer, "error": error})
            raise exc
        letter = DeadLetter(
            source_topic=delivery.topic,
            source_partition=delivery.partition,
            source_offset=delivery.offset,
            source_key=delivery.key,
            consumer=self.consumer,
            payload=delivery.payload,
            headers={k: v for k, v in delivery.headers.items() if not k.startswith(HEADER)},
            error=error,
            attempts=attempts,
            failed_at=utcnow(),
        )
        await self._publisher.publish(DEAD_LETTER, delivery.topic, delivery.payload, letter.record_headers())
        self.dead_lettered += 1
        log.error(
            "message sent to dead_letter",
            extra={
                "consumer": self.consumer,
                "topic": delivery.topic,
                "partition": delivery.partition,
                "offset": delivery.offset,
                "attempts": attempts,
                "error": error,
            },
        )


# -- where letters are kept for operators (``tradewind dlq``) ---------------------------------


class DeadLetterStore(Protocol):
    """Letters consumed from ``dead_letter``, for ``list``/``show``/``replay``. ``add`` is
    idempotent on the letter's own place in ``dead_letter`` (a redelivered record is one letter)."""

    async def add(self, letter: DeadLetter, *, partition: int, offset: int) -> None: ...

    async def list(self, *, limit: int = 50, replayed: bool = False) -> list[DeadLetter]:
        """Newest first; without ``replayed``, only letters not yet replayed."""
        ...

    async def get(self, letter_id: int) -> DeadLetter | None: ...

    async def claim(self, letter_id: int) -> DeadLetter | None:
        """Mark the letter replayed now and return it; ``None`` if absent or already replayed
        (so two operators, or two runs, never replay one letter twice)."""
        ...

    async def unclaim(self, letter_id: int) -> None:
        """Undo ``claim`` (the republish failed)."""
        ...


class DeadLetterRecorder:
    """The consumer of ``dead_letter`` that keeps each letter in the store."""

    def __init__(self, store: DeadLetterStore) -> None:
        self._store = store

    async def __call__(self, delivery: Delivery) -> None:
        await self._store.add(
            parse_dead_letter(delivery.payload, delivery.headers), partition=delivery.partition, offset=delivery.offset
        )


class AlreadyReplayed(Exception):
    pass


class ReplayDeadLetters:
    """Re-drive letters: the original bytes, key and headers back to the source topic (every
    consumer group of that topic sees it again; they are idempotent), each letter at most once.
    A letter that fails again becomes a new letter."""

    def __init__(self, store: DeadLetterStore, publisher: EventPublisher) -> None:
        self._store = store
        self._publisher = publisher

    async def one(self, letter_id: int) -> DeadLetter:
        letter = await self._store.claim(letter_id)
        if letter is None:
            if await self._store.get(letter_id) is None:
                raise LookupError(f"no dead letter {letter_id}")
            raise AlreadyReplayed(f"dead letter {letter_id} was already replayed")
        if not letter.source_topic:
            await self._store.unclaim(letter_id)
            raise ValueError(f"dead letter {letter_id} does not say where it came from")
        headers = {**letter.headers, REPLAYED_FROM: str(letter_id)}
        try:
            await self._publisher.publish(letter.source_topic, letter.source_key or "", letter.payload, headers)
        except BaseException:
            await self._store.unclaim(letter_id)
            raise
        return letter

    async def all(self, *, limit: int = 10_000) -> list[DeadLetter]:
        """Every letter not yet replayed, oldest first (so one key's letters keep their order)."""
        pending = sorted(await self._store.list(limit=limit), key=lambda letter: letter.id or 0)
        done = []
        for letter in pending:
            assert letter.id is not None
            try:
                done.append(await self.one(letter.id))
            except AlreadyReplayed:
                continue
        return done
