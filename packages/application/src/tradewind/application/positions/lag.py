"""The position update lag (fill event time -> view updated) as a metric.

A Prometheus-style histogram (cumulative buckets, sum, count) plus the most recent samples for
exact percentiles; kept in process, cheap enough to observe on every fill. Not thread-safe: it
is observed from the event loop only.
"""

from __future__ import annotations

import math
from collections import deque

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class LagHistogram:
    def __init__(self, name: str = "tradewind_position_update_lag_seconds", *, window: int = 10_000) -> None:
        self.name = name
        self.counts = [0] * (len(BUCKETS) + 1)
        self.sum = 0.0
        self.count = 0
        self._recent: deque[float] = deque(maxlen=window)

    def observe(self, seconds: float) -> None:
        seconds = max(0.0, seconds)  # clocks of two hosts may disagree by a little
        self.sum += seconds
        self.count += 1
        self._recent.append(seconds)
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1
                return
        self.counts[-1] += 1

    def percentile(self, q: float) -> float | None:
        """The ``q``-th percentile (0-100) of the recent window, nearest rank; None when empty."""
        if not self._recent:
            return None
        ordered = sorted(self._recent)
        rank = max(1, math.ceil(q / 100 * len(ordered)))
        return ordered[rank - 1]

    def reset(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.sum, self.count = 0.0, 0
        self._recent.clear()

    def render(self) -> str:
        lines = [f"# TYPE {self.name} histogram"]
        cumulative = 0
        for bound, n in zip(BUCKETS, self.counts, strict=False):
            cumulative += n
            lines.append(f'{self.name}_bucket{{le="{bound}"}} {cumulative}')
        lines.append(f'{self.name}_bucket{{le="+Inf"}} {self.count}')
        lines.append(f"{self.name}_sum {self.sum}")
        lines.append(f"{self.name}_count {self.count}")
        return "\n".join(lines) + "\n"
