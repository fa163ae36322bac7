"""What the benchmark scripts share: how a p95 is computed, and how a visit ends."""

from __future__ import annotations


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..1) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def next_citizen(app, harness) -> None:  # type: ignore[no-untyped-def]
    """Ends the visit and lets the kiosk rest on the attract screen until it has
    collected its garbage (kiosk/ui/housekeeping.py settle_garbage), as it does between
    citizens in the lobby; a benchmark that never pauses would measure collections no
    citizen meets."""
    settled = app.garbage_settled
    app.session.end()
    harness.wait_until(lambda: app.garbage_settled > settled, "the garbage collection",
                       max_frames=100_000)
