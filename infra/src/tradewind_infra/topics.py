"""The Kafka topic table: DESIGN.md "Topics" (names, partitions), with the article's durability.

The one place in infra that lists topics. The stack hands it, as JSON, to the provisioning task
(``infra/provision/create_topics.py``) that creates the topics on MSK, and sets the cluster's
defaults from the strictest row. Retention follows the article's table: 7 days for the order
and position streams, 30 days for audit-bound records, 1 hour for prices.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Final

HOUR_MS: Final = 3_600_000
DAY_MS: Final = 24 * HOUR_MS


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    replication: int
    min_insync: int
    retention_ms: int
    acks: str  # what producers use; documentation for operators, the code sets it


TOPICS: Final[tuple[Topic, ...]] = (
    Topic("order.commands", 12, 3, 2, 7 * DAY_MS, "all"),
    Topic("execution.reports", 12, 3, 2, 7 * DAY_MS, "all"),
    Topic("order.events", 12, 3, 2, 7 * DAY_MS, "all"),
    Topic("position.updated", 12, 3, 2, 7 * DAY_MS, "all"),
    # the article's audit.events row (4 partitions, 30 days): risk decisions are audit records
    Topic("risk.events", 4, 3, 2, 30 * DAY_MS, "all"),
    # loss tolerated (acks=1), so the article gives it replication 2; min.insync 1 follows
    Topic("market.price", 6, 2, 1, 1 * HOUR_MS, "1"),
    # operators work dead letters by hand (`tradewind dlq`): keep them as long as audit records
    Topic("dead_letter", 4, 3, 2, 30 * DAY_MS, "all"),
)


def topics_json(topics: tuple[Topic, ...] = TOPICS) -> str:
    """The table as the provisioning task reads it (env ``TRADEWIND_KAFKA_TOPICS``)."""
    return json.dumps([asdict(t) for t in topics], separators=(",", ":"), sort_keys=True)


def topics_digest(topics: tuple[Topic, ...] = TOPICS) -> str:
    """Changes whenever the table does, so a deploy that changes it runs the task again."""
    return hashlib.sha256(topics_json(topics).encode()).hexdigest()[:16]
