"""The gateway's metrics in Prometheus text format (on its health server's ``/metrics``): the
broker circuit breaker's state, how often it opened and how many calls it refused; and the
reconciliation's passes and what they found."""

from __future__ import annotations

from tradewind.application.execution.breaker import BreakerState, CircuitBreaker
from tradewind.application.execution.reconcile import ReconcileStats


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


def render_reconciliation(stats: ReconcileStats) -> str:
    lines = []
    for name, value in (
        ("runs", stats.runs),
        ("failures", stats.failures),
        ("reports", stats.reports),
        ("rejected", stats.rejected),
        ("external", stats.external),
    ):
        lines += [
            f"# TYPE tradewind_reconciliation_{name}_total counter",
            f"tradewind_reconciliation_{name}_total {value}",
        ]
    return "\n".join(lines) + "\n"
