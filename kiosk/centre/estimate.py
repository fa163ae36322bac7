"""An honest wait estimate for a ticket: today's median service time of its service, times
the people ahead, shared by the counters serving it; none until enough tickets were served
today to say anything (docs/architecture.md, Centre)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

# Fewer served tickets than this today: no estimate (a morning's first two do not tell).
MIN_SERVED = 5


def wait_minutes(service_minutes: Sequence[float], ahead: int, counters: int) -> int | None:
    """Whole minutes, or None when today's figures are too few or no counter serves it."""
    if len(service_minutes) < MIN_SERVED or counters < 1:
        return None
    return round(statistics.median(service_minutes) * ahead / counters)
