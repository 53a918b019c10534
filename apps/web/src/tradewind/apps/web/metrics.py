"""A few counters and a latency histogram in Prometheus text format, kept by hand: four
metrics do not justify a client library and its global registry (the demo runs three apps)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass
class Metrics:
    requests: Counter[tuple[str, int]] = field(default_factory=Counter)
    latency_counts: list[int] = field(default_factory=lambda: [0] * (len(_BUCKETS) + 1))
    latency_sum: float = 0.0
    connections: int = 0

    def observe(self, method: str, status: int, seconds: float) -> None:
        self.requests[(method, status)] += 1
        self.latency_sum += seconds
        for i, bound in enumerate(_BUCKETS):
            if seconds <= bound:
                self.latency_counts[i] += 1
                break
        else:
            self.latency_counts[-1] += 1

    def render(self) -> str:
        lines = ["# TYPE tradewind_http_requests_total counter"]
        for (method, status), n in sorted(self.requests.items()):
            lines.append(f'tradewind_http_requests_total{{method="{method}",status="{status}"}} {n}')
        lines.append("# TYPE tradewind_http_request_seconds histogram")
        cumulative = 0
        for bound, n in zip(_BUCKETS, self.latency_counts, strict=False):
            cumulative += n
            lines.append(f'tradewind_http_request_seconds_bucket{{le="{bound}"}} {cumulative}')
        cumulative += self.latency_counts[-1]
        lines.append(f'tradewind_http_request_seconds_bucket{{le="+Inf"}} {cumulative}')
        lines.append(f"tradewind_http_request_seconds_sum {self.latency_sum}")
        lines.append(f"tradewind_http_request_seconds_count {cumulative}")
        lines.append("# TYPE tradewind_sse_connections gauge")
        lines.append(f"tradewind_sse_connections {self.connections}")
        return "\n".join(lines) + "\n"
