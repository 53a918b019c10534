"""The gateway's metrics in Prometheus text format (on its health server's ``/metrics``): the
broker circuit breaker's state, how often it opened and how many calls it refused."""

from __future__ import annotations

from tradewind.application.execution.breaker import BreakerState, CircuitBreaker


def render_breaker(breaker: CircuitBreaker) -> str:
    state = breaker.state
    lines = [
        "# HELP tradewind_broker_breaker_state 1 for the broker circuit breaker's current state",
        "# TYPE tradewind_broker_breaker_state gauge",
        *(f'tradewind_broker_breaker_state{{state="{s.value}"}} {int(s is state)}' for s in BreakerState),
        "# TYPE tradewind_broker_breaker_opened_total counter",
        f"tradewind_broker_breaker_opened_total {breaker.opened_total}",
        "# TYPE tradewind_broker_breaker_refused_total counter",
        f"tradewind_broker_breaker_refused_total {breaker.refused_total}",
    ]
    return "\n".join(lines) + "\n"
