"""Which failures mean "a dependency is down" (so the message is not at fault and must wait)
rather than "this message cannot be handled": the drivers' connection and timeout errors, known
here where the drivers are. Used by ``DeadLetterPolicy`` through the Kafka subscriptions."""

from __future__ import annotations

import asyncpg
import botocore.exceptions
import redis.exceptions
from aiokafka.errors import KafkaError

from tradewind.application.dead_letters import builtin_unavailable

_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # connection refused or reset, a socket timeout
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # the server is shutting down, cannot connect now
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections, disk full
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    botocore.exceptions.ConnectionError,
    botocore.exceptions.HTTPClientError,
    KafkaError,  # the producer of a handler (the gateway's reports, a projection's position.updated)
)


def dependency_unavailable(exc: BaseException) -> bool:
    return builtin_unavailable(exc) or isinstance(exc, _UNAVAILABLE)
