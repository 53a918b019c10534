"""BrokerGateway: the bridge between the broker's thread and the event loop, done right.

The article's version resolves one future per order from the broker thread and forgets every
report after the first. Here:

* the broker thread only ever calls ``loop.call_soon_threadsafe`` (invariant 6); every dict and
  future below is touched on the loop thread alone;
* every report goes into one ordered queue, whether or not anything awaits it, so partial fills,
  fills after a timeout and fills after a cancel all reach the publisher;
* every call into the adapter goes through one ``CircuitBreaker``: a venue that keeps failing is
  not called again until its reset timeout, and calls meanwhile fail at once with
  ``BreakerOpenError`` (a ``BrokerUnavailableError`` that says why);
* ``expect``/``wait`` let a caller wait (with a timeout) for the first report of an order
  *after it has been published*, so the consumer commits its offset only then; a waiter lives
  only until that report or the timeout, so nothing here grows with the number of orders.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TypeVar

from tradewind.application.execution.breaker import BreakerState, CircuitBreaker
from tradewind.application.execution.broker import (
    BrokerAdapter,
    BrokerError,
    BrokerOrder,
    BrokerOrderState,
    BrokerUnavailableError,
    ConnectionEvents,
    ExecutionReport,
)

ReportSink = Callable[[ExecutionReport], Awaitable[None]]
T = TypeVar("T")


class BrokerGateway:
    def __init__(self, adapter: BrokerAdapter, breaker: CircuitBreaker | None = None) -> None:
        self._adapter = adapter
        self.breaker = breaker or CircuitBreaker()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[ExecutionReport] = asyncio.Queue()
        self._waiters: dict[str, list[asyncio.Future[ExecutionReport]]] = {}
        self._pump: asyncio.Task[None] | None = None
        self._connection_listeners: list[Callable[[str], None]] = []

    @property
    def adapter(self) -> BrokerAdapter:
        return self._adapter

    def on_connected(self, listener: Callable[[str], None]) -> None:
        """``listener(why)`` runs on the loop each time the venue is back: the adapter says its
        session is (re)established, or the circuit breaker closes after being open."""
        self._connection_listeners.append(listener)

    def _connected(self, why: str) -> None:
        for listener in self._connection_listeners:
            listener(why)

    async def start(self, sink: ReportSink) -> None:
        self._loop = asyncio.get_running_loop()
        self._adapter.register_callback(self._from_broker_thread)
        if isinstance(self._adapter, ConnectionEvents):
            self._adapter.register_connection_callback(self._connected_from_broker_thread)
        await asyncio.to_thread(self._adapter.start)
        self._pump = asyncio.create_task(self._publish_reports(sink), name="broker-report-pump")

    async def stop(self) -> None:
        """Stop the broker, publish what it already reported, then stop the pump. Idempotent."""
        await asyncio.to_thread(self._adapter.stop)
        pump, self._pump = self._pump, None
        if pump is not None:
            await self._drain()
            pump.cancel()
            try:
                await pump
            except asyncio.CancelledError:
                pass

    async def _drain(self, timeout: float = 10.0) -> None:
        """Let the pump publish what the broker already told us before we go."""
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except TimeoutError:
            pass

    # -- broker thread -> loop ---------------------------------------------------------------
    def _from_broker_thread(self, report: ExecutionReport) -> None:
        """Runs on the broker's thread: hand over and return. Nothing else here."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._queue.put_nowait, report)

    def _connected_from_broker_thread(self) -> None:
        """Runs on the broker's thread: hand over and return."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._connected, "broker session established")

    async def _publish_reports(self, sink: ReportSink) -> None:
        while True:
            report = await self._queue.get()
            while True:
                try:
                    await sink(report)
                    break
                except asyncio.CancelledError:
                    raise
                except Exception:  # publishing failed: retry, never drop a report (invariant 3)
                    await asyncio.sleep(0.5)
            self._queue.task_done()
            for waiter in self._waiters.pop(report.client_order_id, []):
                if not waiter.done():
                    waiter.set_result(report)

    # -- requests (loop thread) --------------------------------------------------------------
    async def _call(self, fn: Callable[..., T], *args: object) -> T:
        """One blocking adapter call on a worker thread, through the breaker. A refusal
        (``BrokerError``: unknown order, cannot replace) is an answer, so it counts as success;
        ``BrokerUnavailableError`` and anything unexpected count as failures."""
        self.breaker.before_call()
        was_closed = self.breaker.state is BreakerState.CLOSED
        try:
            result = await asyncio.to_thread(fn, *args)
        except BrokerUnavailableError as exc:
            self.breaker.failed(str(exc) or type(exc).__name__)
            raise
        except BrokerError:
            self.breaker.succeeded()
            raise
        except Exception as exc:
            self.breaker.failed(repr(exc))
            raise
        except BaseException:  # cancelled: no verdict on the broker, but free the half-open trial
            self.breaker.abandoned()
            raise
        self.breaker.succeeded()
        if not was_closed:
            self._connected("circuit breaker closed")
        return result

    async def submit(self, order: BrokerOrder) -> None:
        await self._call(self._adapter.submit, order)

    async def cancel(self, client_order_id: str) -> None:
        await self._call(self._adapter.cancel, client_order_id)

    async def replace(self, client_order_id: str, qty: int | None, limit_price: Decimal | None) -> None:
        await self._call(self._adapter.replace, client_order_id, qty, limit_price)

    async def order_state(self, client_order_id: str) -> BrokerOrderState | None:
        return await self._call(self._adapter.order_state, client_order_id)

    async def open_orders(self) -> list[BrokerOrderState]:
        return await self._call(self._adapter.open_orders)

    def expect(self, client_order_id: str) -> asyncio.Future[ExecutionReport]:
        """A future for the first published report of an order. Call it *before* submitting."""
        waiter: asyncio.Future[ExecutionReport] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(client_order_id, []).append(waiter)
        return waiter

    async def wait(self, client_order_id: str, waiter: asyncio.Future[ExecutionReport], timeout: float) -> bool:
        """``True`` once a report of the order is published; ``False`` after ``timeout`` seconds."""
        try:
            await asyncio.wait_for(waiter, timeout)
            return True
        except TimeoutError:
            waiters = self._waiters.get(client_order_id, [])
            if waiter in waiters:
                waiters.remove(waiter)
            if not waiters:  # an order the broker never answers must not leave its key behind
                self._waiters.pop(client_order_id, None)
            return False
