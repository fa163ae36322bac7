"""What the benchmark scripts share: how a p95 is computed."""

from __future__ import annotations


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..1) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]

