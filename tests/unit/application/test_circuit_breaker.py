"""The broker circuit breaker's state machine on a fake clock (no sleeps): closed until the
threshold of failures in a row, open (refusing at once, with the reason) until the reset
timeout, then half-open for one trial call whose success closes it and whose failure reopens it."""

from __future__ import annotations

import pytest

from tradewind.application.execution.breaker import BreakerOpenError, BreakerState, CircuitBreaker
from tradewind.application.execution.broker import BrokerUnavailableError


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def breaker(threshold: int = 3, reset: float = 10.0) -> tuple[CircuitBreaker, FakeClock]:
    clock = FakeClock()
    return CircuitBreaker(failure_threshold=threshold, reset_timeout=reset, clock=clock), clock


def call_failing(b: CircuitBreaker) -> None:
    b.before_call()
    b.failed("connection refused")


def test_closed_until_the_threshold_of_failures_in_a_row() -> None:
    b, _ = breaker(threshold=3)
    call_failing(b)
    call_failing(b)
    assert b.state is BreakerState.CLOSED
    call_failing(b)
    assert b.state is BreakerState.OPEN and b.opened_total == 1


def test_a_success_resets_the_count() -> None:
    b, _ = breaker(threshold=3)
    call_failing(b)
    call_failing(b)
    b.before_call()
    b.succeeded()
    call_failing(b)
    call_failing(b)
    assert b.state is BreakerState.CLOSED


def test_open_refuses_at_once_with_the_reason_until_the_reset_timeout() -> None:
    b, clock = breaker(threshold=1, reset=10.0)
    call_failing(b)
    clock.now += 9.9
    with pytest.raises(BreakerOpenError) as refused:
        b.before_call()
    assert isinstance(refused.value, BrokerUnavailableError)  # the engine's "broker unavailable" path
    assert "circuit breaker open" in str(refused.value) and "connection refused" in str(refused.value)
    assert b.refused_total == 1


def test_half_open_lets_one_trial_through_and_its_success_closes() -> None:
    b, clock = breaker(threshold=1, reset=10.0)
    call_failing(b)
    clock.now += 10.0
    assert b.state is BreakerState.HALF_OPEN
    b.before_call()  # the trial
    with pytest.raises(BreakerOpenError):
        b.before_call()  # a second call while the trial is in flight
    b.succeeded()
    assert b.state is BreakerState.CLOSED
    b.before_call()
    b.before_call()  # closed: everything goes through


def test_one_failure_in_half_open_reopens_for_a_full_timeout() -> None:
    b, clock = breaker(threshold=5, reset=10.0)
    for _ in range(5):
        call_failing(b)
    clock.now += 10.0
    call_failing(b)  # one failure, not five
    assert b.state is BreakerState.OPEN and b.opened_total == 2
    clock.now += 9.9
    with pytest.raises(BreakerOpenError):
        b.before_call()
    clock.now += 0.1
    assert b.state is BreakerState.HALF_OPEN


def test_an_abandoned_trial_lets_the_next_call_try() -> None:
    b, clock = breaker(threshold=1, reset=1.0)
    call_failing(b)
    clock.now += 1.0
    b.before_call()
    b.abandoned()  # cancelled mid-call: no verdict
    b.before_call()
    assert b.state is BreakerState.HALF_OPEN


def test_the_metric_names_the_current_state() -> None:
    from tradewind.apps.gateway.metrics import render_breaker

    b, clock = breaker(threshold=1, reset=10.0)
    assert 'tradewind_broker_breaker_state{state="closed"} 1' in render_breaker(b)
    call_failing(b)
    text = render_breaker(b)
    assert 'tradewind_broker_breaker_state{state="open"} 1' in text
    assert 'tradewind_broker_breaker_state{state="closed"} 0' in text
    assert "tradewind_broker_breaker_opened_total 1" in text
    clock.now += 10.0
    assert 'tradewind_broker_breaker_state{state="half_open"} 1' in render_breaker(b)
