"""The stateful parts, handed together to what uses them (services, provisioning)."""

from __future__ import annotations

from dataclasses import dataclass

from tradewind_infra.audit import AuditArchive
from tradewind_infra.data import Cache, Kafka, Ledger, Streams


@dataclass(frozen=True)
class Stores:
    ledger: Ledger
    cache: Cache
    kafka: Kafka
    streams: Streams
    audit: AuditArchive

    @property
    def reached_by_security_group(self) -> tuple[Ledger, Cache, Kafka]:
        return (self.ledger, self.cache, self.kafka)
