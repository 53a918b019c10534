"""``PaperBroker``: a simulated venue that behaves like a real broker across a thread boundary.

Threading promise (invariant 6): the broker owns exactly one daemon thread, started by
``start()`` and joined by ``stop()``. Every public method is thread-safe because it only puts
a work item on a ``queue.Queue``; the order book, the quotes, the timers and the held-report
buffer are touched by the broker thread alone. Queries, cancel, replace and the report hold
are requests: the caller waits on a ``concurrent.futures.Future`` (up to ``request_timeout``)
and sees the broker's ``BrokerError`` raised in its own thread. Work is done in the order it
was enqueued, so a quote fed before a submit is seen by that submit.

Callbacks run on the broker thread, one report at a time, in the order the reports were made
(so in order per order). A callback may call back into the broker: requests made from the
broker thread run inline instead of waiting on a future, which would deadlock.

The matching rules live in ``paper_book.py``.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from decimal import Decimal
from typing import Final, TypeVar

from tradewind.adapters.broker.paper_book import Journal, PaperBook, PaperOrder, Recall
from tradewind.application.execution.broker import (
    BrokerOrder,
    BrokerOrderState,
    BrokerUnavailableError,
    ConnectionCallback,
    ExecutionReport,
    ReportCallback,
)
from tradewind.domain.instruments import SYMBOLS
from tradewind.domain.market import Quote

log = logging.getLogger(__name__)

T = TypeVar("T")
_Job = Callable[[], None]
_STOP: Final = object()  # the sentinel stop() enqueues after everything already asked for


class PaperBroker:
    """A ``BrokerAdapter`` on a simulated venue; see the module docstring for the threading
    promise and ``paper_book`` for the fill rules.

    ``latency``: seconds between submit and the order reaching the matching engine (the NEW
    acknowledgement is immediate). ``slice_qty``/``slice_interval``: a working order fills at
    most ``slice_qty`` shares per fill, fills ``slice_interval`` seconds apart. ``liquidity``:
    shares available at each side of the touch per quote (None: unlimited). ``clock``: a
    monotonic clock in seconds, used for the latency and slice timers.
    """

    def __init__(
        self,
        *,
        symbols: Iterable[str] = SYMBOLS,
        latency: float = 0.0,
        slice_qty: int | None = None,
        slice_interval: float = 0.0,
        liquidity: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        request_timeout: float = 5.0,
        journal: Journal | None = None,
        recall: Recall | None = None,
    ) -> None:
        if latency < 0 or slice_interval < 0:
            raise ValueError("latency and slice_interval must be >= 0")
        if slice_qty is not None and slice_qty <= 0:
            raise ValueError("slice_qty must be positive")
        if liquidity is not None and liquidity < 0:
            raise ValueError("liquidity must be >= 0")
        self._clock = clock
        self._request_timeout = request_timeout
        self._queue: queue.Queue[_Job | object] = queue.Queue()
        self._lifecycle = threading.Lock()  # orders enqueue against stop(): nothing after _STOP
        self._running = False
        self._thread: threading.Thread | None = None
        # replaced whole, never mutated: the broker thread reads a consistent tuple without a lock
        self._callbacks: tuple[ReportCallback, ...] = ()
        self._connection_callbacks: tuple[ConnectionCallback, ...] = ()
        # broker thread only, from here on
        self._timers: list[tuple[float, int, _Job]] = []
        self._timer_seq = itertools.count()
        self._held: list[ExecutionReport] | None = None
        self._book = PaperBook(
            symbols=symbols,
            latency=latency,
            slice_qty=slice_qty,
            slice_interval=slice_interval,
            liquidity=liquidity,
            clock=clock,
            emit=self._emit,
            schedule=self._schedule,
            journal=journal,
            recall=recall,
        )

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the broker thread. Idempotent; a stopped broker may be started again and keeps
        its orders."""
        with self._lifecycle:
            if self._running:
                return
            self._running = True
            self._thread = threading.Thread(target=self._run, name="paper-broker", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Finish the work already enqueued, then end the thread and wait for it (unless called
        from a callback, on the broker thread itself). Later calls raise
        ``BrokerUnavailableError``; pending latency and slice timers wait for the next start."""
        with self._lifecycle:
            if not self._running:
                return
            self._running = False
            self._queue.put(_STOP)
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    # -- the BrokerAdapter protocol ------------------------------------------------------------

    def register_callback(self, callback: ReportCallback) -> None:
        """Thread-safe; the callback sees every report made after this call."""
        with self._lifecycle:
            self._callbacks = (*self._callbacks, callback)

    def register_connection_callback(self, callback: ConnectionCallback) -> None:
        """``ConnectionEvents``: ``callback`` runs on the broker thread each time it starts (the
        paper venue's "logon"), so a stop and start is a reconnect."""
        with self._lifecycle:
            self._connection_callbacks = (*self._connection_callbacks, callback)

    def submit(self, order: BrokerOrder) -> None:
        """Enqueue and return; the outcome comes as reports. Idempotent on client_order_id."""
        self._put(lambda: self._book.submit(order))

    def cancel(self, client_order_id: str) -> None:
        """CANCELED report for an open order; ``BrokerError`` if unknown or already final."""
        self._call(lambda: self._book.cancel(client_order_id))

    def replace(self, client_order_id: str, qty: int | None, limit_price: Decimal | None) -> None:
        """REPLACED report, then the order is re-evaluated against the current quote.
        ``BrokerError`` if not open, if ``qty`` is not above the filled qty, or if a limit price
        is given for an order type that has none."""
        self._call(lambda: self._book.replace(client_order_id, qty, limit_price))

    def open_orders(self) -> list[BrokerOrderState]:
        return self._call(self._book.open_orders)

    def order_state(self, client_order_id: str) -> BrokerOrderState | None:
        return self._call(lambda: self._book.order_state(client_order_id))

    # -- paper-only controls -------------------------------------------------------------------

    def on_quote(self, quote: Quote) -> None:
        """Feed the touch of one symbol; working orders of that symbol are re-evaluated.
        Thread-safe. A quote sent to a stopped broker is dropped (a venue that is down sees no
        market), so a market-data fan-out never fails because of it."""
        try:
            self._put(lambda: self._book.on_quote(quote))
        except BrokerUnavailableError:
            log.debug("paper broker stopped: dropped quote for %s", quote.symbol)

    def expire_day_orders(self) -> int:
        """End of session: every open DAY order gets an EXPIRED report. Returns how many."""
        return self._call(self._book.expire_day_orders)

    def restore(self, orders: Iterable[PaperOrder], *, last_seq: int = 0) -> None:
        """Before ``start``: take back the orders a durable venue kept (see ``PaperBook.restore``)."""
        with self._lifecycle:
            if self._running:
                raise RuntimeError("restore the book before starting the broker")
            self._book.restore(orders, last_seq=last_seq)

    def forget_final(self) -> int:
        """Drop every final order from memory; with a ``recall`` (the venue's journal) a later
        submit, cancel, replace or status request of one finds it again. Returns how many."""
        return self._call(self._book.forget_final)

    def hold_reports(self) -> None:
        """From now on, buffer reports instead of calling back (a broker whose reports are
        delayed). Orders still fill, and ``order_state`` shows it."""
        self._call(self._hold)

    def release_reports(self) -> None:
        """Deliver the buffered reports in their original order, then call back as usual.
        When this returns, the buffered reports have been delivered."""
        self._call(self._release)

    # -- the broker thread ---------------------------------------------------------------------

    def _run(self) -> None:
        for connected in self._connection_callbacks:
            self._guarded(connected)
        while True:
            timeout = max(0.0, self._timers[0][0] - self._clock()) if self._timers else None
            try:
                job = self._queue.get(timeout=timeout)
            except queue.Empty:
                job = None
            if job is _STOP:
                return
            if callable(job):
                self._guarded(job)
            self._fire_due_timers()

    def _fire_due_timers(self) -> None:
        now = self._clock()
        while self._timers and self._timers[0][0] <= now:
            _, _, job = heapq.heappop(self._timers)
            self._guarded(job)

    @staticmethod
    def _guarded(job: _Job) -> None:
        # a bug in one job must not kill the thread every other order depends on
        try:
            job()
        except Exception:
            log.exception("paper broker job failed")

    def _schedule(self, at: float, job: _Job) -> None:
        heapq.heappush(self._timers, (at, next(self._timer_seq), job))

    def _emit(self, report: ExecutionReport) -> None:
        if self._held is not None:
            self._held.append(report)
        else:
            self._deliver(report)

    def _deliver(self, report: ExecutionReport) -> None:
        for callback in self._callbacks:
            try:
                callback(report)
            except Exception:
                # the report is kept in the book (order_state) whatever the callback did
                log.exception("report callback failed on %s %s", report.exec_type, report.exec_id)

    def _hold(self) -> None:
        if self._held is None:
            self._held = []

    def _release(self) -> None:
        held, self._held = self._held or [], None
        for report in held:
            self._deliver(report)

    # -- crossing the thread boundary ----------------------------------------------------------

    def _put(self, job: _Job) -> None:
        with self._lifecycle:
            if not self._running:
                raise BrokerUnavailableError("paper broker is not running")
            self._queue.put(job)

    def _call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the broker thread and return its result (or raise its error) here."""
        if threading.current_thread() is self._thread:
            return fn()  # a callback calling back in: waiting for ourselves would deadlock
        future: Future[T] = Future()

        def job() -> None:
            if not future.set_running_or_notify_cancel():
                return  # the caller gave up waiting
            try:
                future.set_result(fn())
            except Exception as exc:
                future.set_exception(exc)

        self._put(job)
        try:
            return future.result(timeout=self._request_timeout)
        except TimeoutError:
            future.cancel()
            raise BrokerUnavailableError(f"paper broker did not answer within {self._request_timeout}s") from None
