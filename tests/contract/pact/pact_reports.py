"""The venue's reports on ``execution.reports``, as the OMS ledger (their only consumer) states
them: what the gateway's execution engine publishes for every broker report, and the reports it
makes itself when the venue did not or could not answer.

A ``VenueReport`` names the order (``order_id``, our client order id at the venue) and the
account (the venue echoes it), so the gateway needs no memory of its own; ``report_id`` derives
from the venue's ids, so the same fact published twice is applied once. ``STORY`` says what the
ledger must have seen of the order before each report (a request of the command side, or an
earlier report): the consumer test puts the ledger there first.
"""

from __future__ import annotations

import uuid as uuid_
from typing import Any

from pact import Pact, match
from pact_support import ACCOUNT_ID, ORDER_ID, SIDE_RE, money, one_of, string_rules, symbol, utc, uuid

EXECUTION_REPORTS = "execution.reports"
KIND_RE = r"^(new|fill|canceled|replaced|rejected|expired|cancel_rejected|replace_rejected|unknown|broker_unavailable)$"

REPORT_NEW = "execution.report: new, the venue acknowledged the order"
REPORT_FILL = "execution.report: fill, the order filled completely"
REPORT_RECONCILED_FILL = "execution.report: fill, found by reconciliation of a redelivered submit"
REPORT_CANCELED = "execution.report: canceled at the venue"
REPORT_CANCELED_BEFORE_BROKER = "execution.report: canceled, the venue never had the order"
REPORT_REPLACED = "execution.report: replaced, the venue applied an amend"
REPORT_CANCEL_REJECTED = "execution.report: cancel_rejected, the order had filled"
REPORT_REPLACE_REJECTED = "execution.report: replace_rejected, the order had filled"
REPORT_REJECTED = "execution.report: rejected, a symbol the venue does not list"
REPORT_EXPIRED = "execution.report: expired, a day order at the close"
REPORT_UNKNOWN = "execution.report: unknown, no answer from the venue in time"
REPORT_BROKER_UNAVAILABLE = "execution.report: broker_unavailable, the venue could not be reached"

FROM_GATEWAY = (
    REPORT_NEW,
    REPORT_FILL,
    REPORT_RECONCILED_FILL,
    REPORT_CANCELED,
    REPORT_CANCELED_BEFORE_BROKER,
    REPORT_REPLACED,
    REPORT_CANCEL_REJECTED,
    REPORT_REPLACE_REJECTED,
    REPORT_REJECTED,
    REPORT_EXPIRED,
    REPORT_UNKNOWN,
    REPORT_BROKER_UNAVAILABLE,
)

#: the steps before each report: "market"/"limit" (the order placed, buy 10 AAPL, a limit at
#: 99.50), "cancel"/"amend" (the command side's request; an amend to 20 @ 99.75), or a report
STORY: dict[str, tuple[str, ...]] = {
    REPORT_NEW: ("market",),
    REPORT_FILL: ("market", REPORT_NEW),
    REPORT_RECONCILED_FILL: ("market", REPORT_NEW),
    REPORT_CANCELED: ("limit", REPORT_NEW, "cancel"),
    REPORT_CANCELED_BEFORE_BROKER: ("limit", "cancel"),
    REPORT_REPLACED: ("limit", REPORT_NEW, "amend"),
    REPORT_CANCEL_REJECTED: ("limit", REPORT_NEW, "cancel"),
    REPORT_REPLACE_REJECTED: ("limit", REPORT_NEW, "amend"),
    REPORT_REJECTED: ("market",),
    REPORT_EXPIRED: ("limit", REPORT_NEW),
    REPORT_UNKNOWN: ("market",),
    REPORT_BROKER_UNAVAILABLE: ("market",),
}

#: the report's kind and the order event the ledger makes of it
KIND = {
    REPORT_NEW: ("new", "order.accepted"),
    REPORT_FILL: ("fill", "order.filled"),
    REPORT_RECONCILED_FILL: ("fill", "order.filled"),
    REPORT_CANCELED: ("canceled", "order.canceled"),
    REPORT_CANCELED_BEFORE_BROKER: ("canceled", "order.canceled"),
    REPORT_REPLACED: ("replaced", "order.replaced"),
    REPORT_CANCEL_REJECTED: ("cancel_rejected", "order.cancel_rejected"),
    REPORT_REPLACE_REJECTED: ("replace_rejected", "order.replace_rejected"),
    REPORT_REJECTED: ("rejected", "order.rejected"),
    REPORT_EXPIRED: ("expired", "order.expired"),
    REPORT_UNKNOWN: ("unknown", "order.unknown"),
    REPORT_BROKER_UNAVAILABLE: ("broker_unavailable", "order.broker_unavailable"),
}


def report_id_of(description: str) -> str:
    return str(uuid_.uuid5(uuid_.NAMESPACE_URL, f"tradewind:pact:{description}"))


def _report(description: str, **fields: Any) -> dict[str, Any]:
    kind, _ = KIND[description]
    return {
        "report_id": uuid(report_id_of(description)),
        "type": "execution.report",
        "schema_version": 1,
        "occurred_at": utc(),
        "account_id": uuid(ACCOUNT_ID),
        "order_id": uuid(ORDER_ID),
        "kind": one_of(kind, KIND_RE),
        "exec_id": match.str("0f8fad5bd9cb469fa16570867728950e"),
        "symbol": symbol("AAPL"),
    } | fields


def _fill(description: str, *, reconciliation: bool) -> dict[str, Any]:
    return _report(
        description,
        broker_order_id=match.str("P-000001"),
        side=one_of("buy", SIDE_RE),
        order_qty=match.int(10),
        cum_qty=match.int(10),
        leaves_qty=match.int(0),
        avg_price=money("100.02"),
        last_qty=match.int(10),
        last_price=money("100.02"),
        reconciliation=reconciliation,
    )


BODIES: dict[str, dict[str, Any]] = {
    REPORT_NEW: _report(
        REPORT_NEW,
        broker_order_id=match.str("P-000001"),
        side=one_of("buy", SIDE_RE),
        order_qty=match.int(10),
        cum_qty=0,
        leaves_qty=match.int(10),
        reconciliation=False,
    ),
    REPORT_FILL: _fill(REPORT_FILL, reconciliation=False),
    REPORT_RECONCILED_FILL: _fill(REPORT_RECONCILED_FILL, reconciliation=True),
    REPORT_CANCELED: _report(REPORT_CANCELED, broker_order_id=match.str("P-000001"), cum_qty=0, leaves_qty=0),
    REPORT_CANCELED_BEFORE_BROKER: _report(
        REPORT_CANCELED_BEFORE_BROKER,
        causation_id=uuid("e3b0c442-98fc-4c14-9afb-f4c8996fb924"),
        reason=match.str("canceled before reaching the broker"),
    ),
    REPORT_REPLACED: _report(
        REPORT_REPLACED,
        broker_order_id=match.str("P-000001"),
        order_qty=match.int(20),
        limit_price=money("99.75"),
        leaves_qty=match.int(20),
    ),
    REPORT_CANCEL_REJECTED: _report(
        REPORT_CANCEL_REJECTED,
        causation_id=uuid("e3b0c442-98fc-4c14-9afb-f4c8996fb924"),
        reason=match.str("cancel refused by the broker: order is filled"),
    ),
    REPORT_REPLACE_REJECTED: _report(
        REPORT_REPLACE_REJECTED,
        causation_id=uuid("e3b0c442-98fc-4c14-9afb-f4c8996fb924"),
        reason=match.str("amend refused by the broker: order is filled"),
    ),
    REPORT_REJECTED: _report(REPORT_REJECTED, reason=match.str("unknown symbol")),
    REPORT_EXPIRED: _report(REPORT_EXPIRED, broker_order_id=match.str("P-000001")),
    REPORT_UNKNOWN: _report(
        REPORT_UNKNOWN,
        causation_id=uuid("e3b0c442-98fc-4c14-9afb-f4c8996fb924"),
        reason=match.str("no answer from the broker within 5s; reconciling"),
    ),
    REPORT_BROKER_UNAVAILABLE: _report(
        REPORT_BROKER_UNAVAILABLE,
        causation_id=uuid("e3b0c442-98fc-4c14-9afb-f4c8996fb924"),
        reason=match.str("broker unavailable: paper broker is not running"),
    ),
}


def expect_reports(pact: Pact, descriptions: tuple[str, ...] = FROM_GATEWAY) -> Pact:
    """One asynchronous message per description, on ``execution.reports``, keyed by the account."""
    for description in descriptions:
        body = BODIES[description]
        (
            pact.upon_receiving(description, "Async")
            .with_body(body, content_type="application/json")
            .with_matching_rules({"body": string_rules(body)})
            .with_metadata({"topic": EXECUTION_REPORTS, "key": uuid(ACCOUNT_ID)})
        )
    return pact


assert set(BODIES) == set(FROM_GATEWAY) == set(STORY) == set(KIND)
