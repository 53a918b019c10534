"""Venue reports as they travel on ``execution.reports``: the gateway's facts, the ledger's input.

A report is what the venue said (or, for ``unknown`` and ``broker_unavailable``, what the gateway
concluded when the venue did not answer). It names the order (``order_id``, our client order id
at the venue) and the account it belongs to (the venue echoes the account of the order, as FIX
does with tag 1), so the gateway needs to remember nothing about an order to publish it.

``report_id`` is the idempotency key of the ledger: derived from the venue's own ids, so the same
fact published twice (a retry, the callback path and reconciliation) is applied once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradewind.domain.clock import utcnow
from tradewind.domain.orders.status import OrderSide

SCHEMA_VERSION = 1
_NS = uuid.UUID("6f1c1f0e-5a8e-4c39-9a55-2b8a3e7d0c11")


class ReportKind(StrEnum):
    NEW = "new"  # acknowledged, working
    FILL = "fill"  # partial or full; see cum_qty / leaves_qty
    CANCELED = "canceled"
    REPLACED = "replaced"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCEL_REJECTED = "cancel_rejected"
    REPLACE_REJECTED = "replace_rejected"
    UNKNOWN = "unknown"  # the venue did not answer in time: reconcile
    BROKER_UNAVAILABLE = "broker_unavailable"  # the venue could not be reached, or never saw it


def report_id_for(order_id: uuid.UUID | str, exec_id: str) -> uuid.UUID:
    """The same venue fact always gets the same id (exec ids are unique per order at the venue)."""
    return uuid.uuid5(_NS, f"{order_id}/{exec_id}")


class VenueReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    report_id: uuid.UUID
    type: Literal["execution.report"] = "execution.report"
    schema_version: int = SCHEMA_VERSION
    occurred_at: datetime = Field(default_factory=utcnow)
    account_id: uuid.UUID
    order_id: uuid.UUID
    #: the command this answers, when there is one (cancel/amend refusals, timeouts)
    causation_id: uuid.UUID | None = None
    kind: ReportKind
    exec_id: str
    broker_order_id: str | None = None
    symbol: str
    side: OrderSide | None = None
    order_qty: int = 0
    cum_qty: int = 0
    leaves_qty: int = 0
    avg_price: Decimal | None = None
    last_qty: int = 0
    last_price: Decimal | None = None
    limit_price: Decimal | None = None
    reason: str | None = None
    #: found by asking the venue (mass status) rather than told by it
    reconciliation: bool = False

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("occurred_at must be timezone-aware")
        return value

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


def parse_venue_report(raw: bytes | str) -> VenueReport:
    """Decode a report; raises ``ValueError`` (pydantic's ``ValidationError``) on junk."""
    return VenueReport.model_validate_json(raw)
