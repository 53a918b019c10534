"""The paper venue's FIX 4.4 acceptor: the matching engine (``PaperBroker`` over ``PaperBook``)
behind a QuickFIX ``SocketAcceptor``, with a durable book (``VenueJournal``).

Threads: QuickFIX calls ``fromApp`` on its socket thread; that thread only copies the message
onto ``_inbox`` and returns (it must never wait for the matching engine, whose reports are sent
through the same session). The venue's request thread works the inbox in arrival order: order
messages go to the engine, status requests are answered from it. The engine's own thread
journals every report, then sends it (``Session.sendToTarget`` is thread-safe and persists the
message in QuickFIX's store, logged on or not), then marks it sent.

Every report carries the order's first ClOrdID in 11 and the Account in 1 (``messages.py``).
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path
from typing import Any, Final

import quickfix as fix

from tradewind.adapters.broker.fix import messages as m
from tradewind.adapters.broker.fix.session import FixEndpoint, acceptor_settings, session_id
from tradewind.adapters.broker.paper import PaperBroker
from tradewind.adapters.broker.venue_journal import VenueJournal
from tradewind.application.execution.broker import BrokerError, BrokerOrderState, ExecutionReport
from tradewind.domain.market import Quote

log = logging.getLogger(__name__)
_STOP: Final = object()
#: requests taken off the FIX session but not yet worked (see _Acceptor.fromApp)
INBOX_LIMIT: Final = 10_000


class _Acceptor(fix.Application):  # type: ignore[misc]  # QuickFIX's SWIG classes are untyped
    def __init__(self, venue: FixVenue) -> None:
        super().__init__()
        self._venue = venue

    def onCreate(self, sessionID: Any) -> None:
        return None

    def onLogon(self, sessionID: Any) -> None:
        self._venue.logons += 1
        self._venue.logged_on = True
        log.info("gateway logged on", extra={"session": sessionID.toString()})

    def onLogout(self, sessionID: Any) -> None:
        self._venue.logged_on = False
        log.info("gateway logged out", extra={"session": sessionID.toString()})

    def toAdmin(self, message: Any, sessionID: Any) -> None:
        return None

    def fromAdmin(self, message: Any, sessionID: Any) -> None:
        return None

    def toApp(self, message: Any, sessionID: Any) -> None:
        return None

    def fromApp(self, message: Any, sessionID: Any) -> None:
        # A copy: QuickFIX reuses its message. The inbox is bounded: when the engine is behind,
        # this blocks QuickFIX's socket thread, so TCP pushes back on the gateway. Nothing is
        # dropped (the message already took its FIX sequence number: dropping it would lose it),
        # unless the venue is stopping with its engine gone: then the gateway's ack deadline and
        # reconciliation settle the request.
        copy = fix.Message(message)
        while True:
            try:
                self._venue._inbox.put(copy, timeout=0.5)
                return
            except queue.Full:
                if self._venue._stopping:
                    log.warning("venue stopping with a full inbox: a request left unworked")
                    return


class FixVenue:
    """The venue: ``start`` restores the book from the journal, resends what was not handed to
    QuickFIX before a crash, and opens the acceptor; ``on_quote`` and ``close_session`` are the
    market's side (thread-safe)."""

    def __init__(
        self,
        endpoint: FixEndpoint,
        state_dir: Path,
        *,
        journal: VenueJournal | None = None,
        liquidity: int | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._state_dir = state_dir
        self.journal = journal or VenueJournal(state_dir / "book.sqlite3")
        self._session = session_id(endpoint, acceptor=True)
        self.broker = PaperBroker(journal=self.journal, recall=self.journal.order, liquidity=liquidity)
        self.broker.register_callback(self._send_report)
        self._inbox: queue.Queue[fix.Message | object] = queue.Queue(maxsize=INBOX_LIMIT)
        self._worker: threading.Thread | None = None
        self._stopping = False
        self._acceptor: Any = None
        self.logons = 0
        self.logged_on = False  # a bool written by QuickFIX's thread, read by anyone
        self.rejected_messages = 0

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping = False
        restored = self.journal.load()
        self.broker.restore(restored.orders, last_seq=restored.last_seq)
        settings = acceptor_settings(self._endpoint, self._state_dir / "fix")
        self._acceptor = fix.SocketAcceptor(_Acceptor(self), fix.FileStoreFactory(settings), settings)
        self._acceptor.start()
        for report in restored.unsent:  # journaled but not handed over before the last stop
            self._send_report(report)
        self.broker.start()
        self._worker = threading.Thread(target=self._work, name="venue-requests", daemon=True)
        self._worker.start()
        log.info(
            "venue started",
            extra={
                "port": self._endpoint.port,
                "open_orders": sum(1 for o in restored.orders if o.is_open),
                "resent": len(restored.unsent),
            },
        )

    def stop(self) -> None:
        self._stopping = True
        if self._worker is not None:
            self._inbox.put(_STOP)
            self._worker.join()
            self._worker = None
        self.broker.stop()
        if self._acceptor is not None:
            self._acceptor.stop()
            self._acceptor = None
        self.journal.close()

    # -- the market's side ---------------------------------------------------------------------

    def on_quote(self, quote: Quote) -> None:
        self.broker.on_quote(quote)

    def close_session(self) -> int:
        """The replayed session closed: DAY orders expire (GTC stay); final orders past their
        retention leave the book and the journal. Returns how many orders expired."""
        expired = self.broker.expire_day_orders()
        self.journal.prune()
        self.forget_final()  # memory keeps the open orders only, pruned ones included in the final
        return expired

    def forget_final(self) -> int:
        """Final orders leave memory (the journal keeps them for ``retention`` and the book recalls
        one when asked): the venue's memory is its open orders, not its history. Called at every
        session close and every minute by ``tradewind venue``."""
        return self.broker.forget_final()

    # -- the engine's thread -------------------------------------------------------------------

    def _send_report(self, report: ExecutionReport) -> None:
        try:
            fix.Session.sendToTarget(m.execution_report(report), self._session)
        except fix.SessionNotFound:
            log.error("no FIX session to report on; kept as unsent", extra={"exec_id": report.exec_id})
            return
        self.journal.sent(report.exec_id)

    # -- the request thread --------------------------------------------------------------------

    def _work(self) -> None:
        while (msg := self._inbox.get()) is not _STOP:
            assert isinstance(msg, fix.Message)
            try:
                self._handle(msg)
            except m.MalformedMessage as exc:
                self.rejected_messages += 1
                self._business_reject(msg, str(exc), exc.tag)
            except Exception:
                log.exception("venue request failed", extra={"fix": msg.toString().replace("\x01", "|")})

    def _handle(self, msg: fix.Message) -> None:
        kind = m.msg_type(msg)
        if kind == m.NEW_ORDER_SINGLE:
            self.broker.submit(m.read_new_order_single(msg))  # the engine dedupes on ClOrdID
        elif kind in (m.ORDER_CANCEL_REQUEST, m.ORDER_CANCEL_REPLACE_REQUEST):
            self._cancel_or_replace(msg, replace=kind == m.ORDER_CANCEL_REPLACE_REQUEST)
        elif kind == m.ORDER_STATUS_REQUEST:
            request_id, coid = m.need(msg, m.ORD_STATUS_REQ_ID), m.order_id_of(m.need(msg, m.CL_ORD_ID))
            state = self.broker.order_state(coid)
            if state is None:
                self._send(m.unknown_order_answer(coid, ord_status_req_id=request_id, last=True))
            else:
                self._answer([state], ord_status_req_id=request_id)
        elif kind == m.ORDER_MASS_STATUS_REQUEST:
            request_id = m.need(msg, m.MASS_STATUS_REQ_ID)
            states = self.broker.open_orders()
            if states:
                self._answer(states, mass_status_req_id=request_id, total=str(len(states)))
            else:
                self._send(m.unknown_order_answer("NONE", mass_status_req_id=request_id, total="0", last=True))
        else:
            raise m.MalformedMessage(f"message type {kind!r} is not served by the venue", m.MSG_TYPE)

    def _cancel_or_replace(self, msg: fix.Message, *, replace: bool) -> None:
        request_id, coid = m.need(msg, m.CL_ORD_ID), m.order_id_of(m.need(msg, m.ORIG_CL_ORD_ID))
        try:
            if replace:
                qty, price = m.read_replace(msg)
                self.broker.replace(coid, qty, price)
            else:
                self.broker.cancel(coid)
        except BrokerError as exc:
            state = self.broker.order_state(coid)
            status = "8" if state is None else m.status_report(state).getField(m.ORD_STATUS)
            self._send(m.cancel_reject(request_id, coid, replace_request=replace, reason=str(exc), status=status))

    def _answer(self, states: list[BrokerOrderState], **request: Any) -> None:
        for i, state in enumerate(states):
            for fill in state.fills:
                self._send(m.answer_copy(fill, **request))
            self._send(m.status_report(state, last=i == len(states) - 1, **request))

    def _send(self, msg: fix.Message) -> None:
        fix.Session.sendToTarget(msg, self._session)

    def _business_reject(self, msg: fix.Message, reason: str, tag: int) -> None:
        reject = m.message("j")
        reject.setField(45, str(msg.getHeader().getField(34)))  # RefSeqNum
        reject.setField(372, m.msg_type(msg))  # RefMsgType
        reject.setField(371, str(tag))  # RefTagID
        reject.setField(380, "5" if "required" in reason else "0")  # BusinessRejectReason
        reject.setField(m.TEXT, reason)
        log.warning("rejected a message", extra={"reason": reason, "tag": tag})
        self._send(reject)
