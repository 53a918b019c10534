"""``FixBroker``: the ``BrokerAdapter`` over FIX 4.4 (QuickFIX initiator) to the paper venue, or
to any venue that speaks the conventions of ``messages.py``.

Threads (invariant 6): QuickFIX runs the socket and calls ``fromApp`` on its own thread; that
thread decodes and either hands a report to the registered callbacks (the BrokerGateway moves
it onto the event loop with ``call_soon_threadsafe``) or puts an answer on the ``queue.Queue``
of the request waiting for it. Requests are made on the caller's thread: they register their
queue (under ``_lock``), send, and wait on the queue with a deadline. The callback thread only
reads the request table (a ``dict.get``), never changes it.

What a caller sees: ``submit`` raises ``BrokerUnavailableError`` when the session is not logged
on (never queued silently); ``cancel``/``replace`` wait for the venue's answer (the report, or
an OrderCancelReject raised as ``BrokerError``); ``order_state``/``open_orders`` are
OrderStatusRequest / OrderMassStatusRequest answers. No answer within ``request_timeout``:
``BrokerUnavailableError``. Sequence numbers and sent messages are in QuickFIX's file store
under ``state_dir``, so a restart of the gateway continues the session and gets, by resend,
every report the venue sent while it was away.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import quickfix as fix

from tradewind.adapters.broker.fix import messages as m
from tradewind.adapters.broker.fix.session import FixEndpoint, initiator_settings, session_id
from tradewind.application.execution.broker import (
    BrokerError,
    BrokerOrder,
    BrokerOrderState,
    BrokerUnavailableError,
    ConnectionCallback,
    ExecType,
    ExecutionReport,
    ReportCallback,
)
from tradewind.domain.clock import utcnow

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Request:
    """One request waiting for its answer; the QuickFIX thread puts messages on ``answers``."""

    answers: queue.Queue[fix.Message] = field(default_factory=queue.Queue)


class _Application(fix.Application):  # type: ignore[misc]  # QuickFIX's SWIG classes are untyped
    def __init__(self, owner: FixBroker) -> None:
        super().__init__()
        self._owner = owner

    def onCreate(self, sessionID: Any) -> None:
        return None

    def onLogon(self, sessionID: Any) -> None:
        self._owner._on_logon()

    def onLogout(self, sessionID: Any) -> None:
        self._owner._on_logout()

    def toAdmin(self, message: Any, sessionID: Any) -> None:
        return None

    def fromAdmin(self, message: Any, sessionID: Any) -> None:
        if m.msg_type(message) == m.LOGOUT and message.isSetField(m.TEXT):
            self._owner._on_venue_logout(str(message.getField(m.TEXT)))

    def toApp(self, message: Any, sessionID: Any) -> None:
        return None

    def fromApp(self, message: Any, sessionID: Any) -> None:
        try:
            self._owner._from_venue(fix.Message(message))  # a copy: QuickFIX reuses its message
        except Exception:  # a bad message must not kill QuickFIX's thread; it is logged whole
            log.exception("unreadable message from the venue", extra={"fix": message.toString().replace("\x01", "|")})


class FixBroker:
    def __init__(
        self,
        endpoint: FixEndpoint,
        state_dir: Path,
        *,
        request_timeout: float = 5.0,
        logon_timeout: float = 5.0,
    ) -> None:
        self._endpoint = endpoint
        self._state_dir = state_dir
        self._request_timeout = request_timeout
        self._logon_timeout = logon_timeout
        self._session = session_id(endpoint, acceptor=False)
        self._application = _Application(self)
        self._initiator: Any = None
        self._logged_on = threading.Event()
        self._lock = threading.Lock()  # guards _pending changes and _callbacks replacement
        self._pending: dict[str, _Request] = {}
        # replaced whole, never mutated: the QuickFIX thread reads a consistent tuple without a lock
        self._callbacks: tuple[ReportCallback, ...] = ()
        self._connection_callbacks: tuple[ConnectionCallback, ...] = ()
        self._ids = itertools.count(1)
        self._run_id = uuid.uuid4().hex[:8]  # request ids unique across restarts of this process
        self.logons = 0  # how many times the session logged on (a reconnect adds one)
        self.resent = 0  # order messages that came again by a resend (PossDupFlag=Y)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start QuickFIX's initiator; wait up to ``logon_timeout`` for the logon (a venue that
        is not up yet is retried every ``reconnect_s`` by QuickFIX, so this does not fail)."""
        if self._initiator is not None:
            return
        settings = initiator_settings(self._endpoint, self._state_dir)
        self._initiator = fix.SocketInitiator(self._application, fix.FileStoreFactory(settings), settings)
        self._initiator.start()
        if not self._logged_on.wait(self._logon_timeout):
            log.warning("FIX session not logged on yet; QuickFIX keeps trying", extra={"port": self._endpoint.port})

    def stop(self) -> None:
        initiator, self._initiator = self._initiator, None
        if initiator is not None:
            initiator.stop()
        self._logged_on.clear()

    @property
    def logged_on(self) -> bool:
        return self._logged_on.is_set()

    def wait_logged_on(self, timeout: float) -> bool:
        return self._logged_on.wait(timeout)

    # -- the BrokerAdapter protocol ------------------------------------------------------------

    def register_callback(self, callback: ReportCallback) -> None:
        with self._lock:
            self._callbacks = (*self._callbacks, callback)

    def register_connection_callback(self, callback: ConnectionCallback) -> None:
        """``ConnectionEvents``: ``callback`` runs on QuickFIX's thread at every logon (the first
        and each reconnect), so the gateway reconciles at once instead of at its next interval."""
        with self._lock:
            self._connection_callbacks = (*self._connection_callbacks, callback)

    def submit(self, order: BrokerOrder) -> None:
        self._send(m.new_order_single(order, utcnow()))

    def cancel(self, client_order_id: str) -> None:
        request_id = self._request_id(client_order_id)
        self._await_answer(
            request_id, client_order_id, m.cancel_request(request_id, client_order_id, utcnow()), "cancel"
        )

    def replace(self, client_order_id: str, qty: int | None, limit_price: Decimal | None) -> None:
        if qty is None and limit_price is None:
            raise BrokerError(f"replace of {client_order_id} changes nothing")
        request_id = self._request_id(client_order_id)
        self._await_answer(
            request_id,
            client_order_id,
            m.replace_request(request_id, client_order_id, qty, limit_price, utcnow()),
            "replace",
        )

    def order_state(self, client_order_id: str) -> BrokerOrderState | None:
        request_id = f"st-{self._run_id}-{next(self._ids)}"
        answer = self._collect(request_id, m.order_status_request(request_id, client_order_id))
        states = _states(answer)
        return states[0] if states else None

    def open_orders(self) -> list[BrokerOrderState]:
        request_id = f"ms-{self._run_id}-{next(self._ids)}"
        return _states(self._collect(request_id, m.mass_status_request(request_id)))

    # -- requests (caller's thread) ------------------------------------------------------------

    def _request_id(self, client_order_id: str) -> str:
        return f"{client_order_id}{m.REQUEST_SEPARATOR}{self._run_id}-{next(self._ids)}"

    def _send(self, msg: fix.Message) -> None:
        if not self._logged_on.is_set():
            raise BrokerUnavailableError(f"FIX session to {self._endpoint.host}:{self._endpoint.port} is not logged on")
        try:
            sent = fix.Session.sendToTarget(msg, self._session)
        except fix.SessionNotFound as exc:
            raise BrokerUnavailableError(f"FIX session not found: {exc}") from None
        if not sent:
            raise BrokerUnavailableError("QuickFIX did not send the message")

    def _register(self, *keys: str) -> _Request:
        request = _Request()
        with self._lock:
            for key in keys:
                self._pending[key] = request
        return request

    def _forget(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._pending.pop(key, None)

    def _await_answer(self, request_id: str, client_order_id: str, msg: fix.Message, what: str) -> None:
        """Send a cancel or replace and wait for its answer: the order's canceled or replaced
        report (returns), or an OrderCancelReject of this request (raises ``BrokerError``)."""
        keys = (request_id, f"{what}:{client_order_id}")
        request = self._register(*keys)
        try:
            self._send(msg)
            answer = self._next(request, what)
        finally:
            self._forget(*keys)
        if m.msg_type(answer) == m.ORDER_CANCEL_REJECT:
            raise BrokerError(f"{what} refused by the venue: {m.get(answer, m.TEXT) or 'no reason given'}")

    def _collect(self, request_id: str, msg: fix.Message) -> list[fix.Message]:
        """Send a status request and gather its answer up to the message marked last."""
        request = self._register(request_id)
        try:
            self._send(msg)
            answer = [self._next(request, "status request")]
            while m.get(answer[-1], m.LAST_RPT_REQUESTED) != "Y":
                answer.append(self._next(request, "status request"))
        finally:
            self._forget(request_id)
        return answer

    def _next(self, request: _Request, what: str) -> fix.Message:
        try:
            return request.answers.get(timeout=self._request_timeout)
        except queue.Empty:
            raise BrokerUnavailableError(
                f"the venue did not answer the {what} within {self._request_timeout:g}s"
            ) from None

    # -- the QuickFIX thread -------------------------------------------------------------------

    def _on_logon(self) -> None:
        self.logons += 1
        self._logged_on.set()
        log.info("FIX session logged on", extra={"port": self._endpoint.port, "logons": self.logons})
        for callback in self._connection_callbacks:
            try:
                callback()
            except Exception:  # a listener's fault must not break QuickFIX's logon
                log.exception("connection callback failed")

    def _on_logout(self) -> None:
        self._logged_on.clear()
        log.warning("FIX session logged out", extra={"port": self._endpoint.port})

    def _on_venue_logout(self, reason: str) -> None:
        """The venue said why it ended the session. A sequence number "too low" never heals by
        retrying: this store is not the one the venue's session was kept with (the gateway ran
        from another directory, or its store was deleted), so the log names the store."""
        log.error(
            "the venue logged the FIX session out",
            extra={"port": self._endpoint.port, "reason": reason, "store": str(Path(self._state_dir).resolve())},
        )

    def _from_venue(self, msg: fix.Message) -> None:
        kind = m.msg_type(msg)
        if msg.getHeader().isSetField(m.POSS_DUP_FLAG) and msg.getHeader().getField(m.POSS_DUP_FLAG) == "Y":
            self.resent += 1  # the ledger applies each report once by its exec id
        if kind == m.ORDER_CANCEL_REJECT:
            self._answer(m.need(msg, m.CL_ORD_ID), msg)
            return
        if kind != m.EXECUTION_REPORT:
            return
        request_id = m.get(msg, m.ORD_STATUS_REQ_ID) or m.get(msg, m.MASS_STATUS_REQ_ID)
        if request_id is not None:  # part of a status answer: never a new fact
            self._answer(request_id, msg)
            return
        report = m.read_execution_report(msg)
        if report.exec_type == ExecType.CANCELED:  # the answer to a cancel waiting for it, if any
            self._answer(f"cancel:{report.client_order_id}", msg)
        elif report.exec_type == ExecType.REPLACED:
            self._answer(f"replace:{report.client_order_id}", msg)
        self._deliver(report)

    def _answer(self, request_id: str, msg: fix.Message) -> None:
        request = self._pending.get(request_id)  # read only: the table is changed by callers
        if request is not None:
            request.answers.put(msg)

    def _deliver(self, report: ExecutionReport) -> None:
        for callback in self._callbacks:
            try:
                callback(report)
            except Exception:
                log.exception("report callback failed", extra={"exec_id": report.exec_id})


def _states(answer: list[fix.Message]) -> list[BrokerOrderState]:
    """Fold a status answer (fills then the ExecType I report, per order) into order states."""
    states: list[BrokerOrderState] = []
    fills: list[ExecutionReport] = []
    for msg in answer:
        exec_type = m.get(msg, m.EXEC_TYPE)
        if exec_type == m.ORDER_STATUS_EXEC_TYPE:
            state = m.read_status(msg)
            if state is not None:
                states.append(m.with_fills(state, fills))
            fills = []
        elif exec_type == "F":
            fills.append(m.read_execution_report(msg))
    return states
