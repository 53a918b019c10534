"""The broker port and the execution reports it produces.

A ``BrokerAdapter`` runs on its own thread(s) and calls the registered callback from there for
every execution report; the ``BrokerGateway`` (application) moves each report onto the event
loop with ``loop.call_soon_threadsafe`` and nothing else (invariant 6). Calls into the adapter
(submit, cancel, replace, queries) are blocking and are made from a worker thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

from tradewind.domain.clock import utcnow
from tradewind.domain.orders.status import OrderSide, OrderType, TimeInForce


@dataclass(frozen=True, slots=True)
class BrokerOrder:
    """What we ask the broker to work. ``client_order_id`` is our order id: the broker dedupes on
    it, so a redelivered submit never makes a second order."""

    client_order_id: str
    symbol: str
    side: OrderSide
    qty: int
    order_type: OrderType
    time_in_force: TimeInForce
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    #: whose order it is; the venue echoes it on every report (FIX tag 1), so the gateway needs
    #: no memory of its own to tell which account a report belongs to
    account: str = ""


class ExecType(StrEnum):
    NEW = "new"  # acknowledged, working
    FILL = "fill"  # partial or full; see leaves_qty
    CANCELED = "canceled"
    REPLACED = "replaced"
    REJECTED = "rejected"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """One message from the broker about one order. Fill reports carry the running totals."""

    exec_id: str
    exec_type: ExecType
    client_order_id: str
    broker_order_id: str
    symbol: str
    side: OrderSide
    order_qty: int
    cum_qty: int
    leaves_qty: int
    avg_price: Decimal | None = None
    last_qty: int = 0
    last_price: Decimal | None = None
    limit_price: Decimal | None = None
    reason: str | None = None
    ts: datetime = field(default_factory=utcnow)
    account: str = ""


@dataclass(frozen=True, slots=True)
class BrokerOrderState:
    """The broker's view of one order, for reconciliation."""

    client_order_id: str
    broker_order_id: str
    symbol: str
    side: OrderSide
    order_qty: int
    cum_qty: int
    leaves_qty: int
    avg_price: Decimal | None
    status: ExecType
    fills: tuple[ExecutionReport, ...] = ()
    account: str = ""
    limit_price: Decimal | None = None


ReportCallback = Callable[[ExecutionReport], None]
ConnectionCallback = Callable[[], None]


class BrokerError(Exception):
    """The broker refused a request synchronously (unknown order, cannot replace...)."""


class BrokerUnavailableError(BrokerError):
    """The broker cannot be reached."""


class BrokerAdapter(Protocol):
    def start(self) -> None:
        """Start the adapter's own thread(s)."""

    def stop(self) -> None: ...

    def register_callback(self, callback: ReportCallback) -> None:
        """``callback`` is called on the adapter's thread for every report, in order per order."""

    def submit(self, order: BrokerOrder) -> None:
        """Hand the order over; the outcome comes as reports. Idempotent on ``client_order_id``."""

    def cancel(self, client_order_id: str) -> None: ...

    def replace(self, client_order_id: str, qty: int | None, limit_price: Decimal | None) -> None: ...

    def open_orders(self) -> list[BrokerOrderState]: ...

    def order_state(self, client_order_id: str) -> BrokerOrderState | None:
        """Everything the broker knows of one order, fills included (``None``: never seen)."""


@runtime_checkable
class ConnectionEvents(Protocol):
    """Optional beside ``BrokerAdapter``: an adapter that can tell when its session with the
    venue is (re)established. The gateway reconciles on every such event; an adapter without it
    is reconciled on start, when the circuit breaker closes again and periodically."""

    def register_connection_callback(self, callback: ConnectionCallback) -> None:
        """``callback`` is called on the adapter's thread each time a session with the venue is
        established: the first one and every reconnect."""


def new_exec_id() -> str:
    return uuid.uuid4().hex
