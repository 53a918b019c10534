"""A circuit breaker for the calls to the broker: closed, open, half-open.

* **closed**: calls go through; ``failure_threshold`` failures in a row open it;
* **open**: calls are refused at once (``BreakerOpenError``, a ``BrokerUnavailableError``) for
  ``reset_timeout`` seconds, so an order meets a venue that is down with an immediate answer
  instead of a queue of calls each waiting for its own timeout;
* **half-open**: after ``reset_timeout``, one trial call goes through (others are refused while
  it is in flight); its success closes the breaker, its failure opens it again for another
  ``reset_timeout``.

Domain-free and synchronous: the clock is injected (``time.monotonic`` by default), so the state
machine is tested by moving a fake clock, without sleeps. Used on the event loop thread only
(the ``BrokerGateway``), so it needs no lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from tradewind.application.execution.broker import BrokerUnavailableError


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class BreakerOpenError(BrokerUnavailableError):
    """Refused without calling the broker: the breaker is open (or its one trial is in flight)."""


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        name: str = "broker",
    ) -> None:
        if failure_threshold < 1 or reset_timeout < 0:
            raise ValueError("failure_threshold must be >= 1 and reset_timeout >= 0")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False
        self.last_error: str | None = None
        #: how often it opened (a counter for the metrics)
        self.opened_total = 0
        self.refused_total = 0

    @property
    def state(self) -> BreakerState:
        """The state now: an open breaker whose timeout has passed reads as half-open."""
        if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self.reset_timeout:
            self._state = BreakerState.HALF_OPEN
            self._trial_in_flight = False
        return self._state

    def before_call(self) -> None:
        """Raise ``BreakerOpenError`` if the call may not go through; otherwise let it (in
        half-open, as the one trial). Follow with ``succeeded`` or ``failed``."""
        state = self.state
        if state is BreakerState.CLOSED:
            return
        if state is BreakerState.HALF_OPEN and not self._trial_in_flight:
            self._trial_in_flight = True
            return
        self.refused_total += 1
        raise BreakerOpenError(self.reason())

    def succeeded(self) -> None:
        self._failures = 0
        self._trial_in_flight = False
        self._state = BreakerState.CLOSED

    def failed(self, error: str) -> None:
        self.last_error = error
        self._trial_in_flight = False
        if self._state is BreakerState.HALF_OPEN:
            self._open()
            return
        self._failures += 1
        if self._state is BreakerState.CLOSED and self._failures >= self.failure_threshold:
            self._open()

    def abandoned(self) -> None:
        """The call ended without a verdict (cancelled): a half-open breaker may try again."""
        self._trial_in_flight = False

    def reason(self) -> str:
        """What an order refused now is told (it reaches the user's stream as the reason)."""
        left = max(0.0, self.reset_timeout - (self._clock() - self._opened_at))
        what = "a trial call is in flight" if self._state is BreakerState.HALF_OPEN else f"next try in {left:.1f}s"
        return f"circuit breaker open: the {self.name} is failing (last error: {self.last_error}); {what}"

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._failures = 0
        self.opened_total += 1
