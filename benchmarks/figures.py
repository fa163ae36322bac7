"""What the benchmark scripts share: how a p95 is computed, how a visit ends, and how a
touch to the next screen is timed."""

from __future__ import annotations

import gc
import time


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


def tap_to_screen(harness, widget, screen_shown) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(start, end) in time.perf_counter() seconds: a touch on `widget`, once its screen takes
    touches (its first moment takes none), to the drawn frame for which `screen_shown()` is
    true."""
    harness.settle(2)
    harness.until_touches_count()
    start = time.perf_counter()
    harness.tap(widget)
    harness.wait_until(screen_shown, "the next screen")
    harness.next_frame()  # the frame that shows it
    return start, time.perf_counter()


def watch_full_collections() -> list[tuple[float, float]]:
    """From now on, every full garbage collection (generation 2) as (start in
    time.perf_counter() seconds, duration in seconds): to tell whether any falls inside a
    timed touch."""
    collections: list[tuple[float, float]] = []
    started = [0.0]

    def on_gc(phase: str, info: dict) -> None:  # type: ignore[type-arg]
        if info["generation"] != 2:
            return
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            collections.append((started[0], time.perf_counter() - started[0]))

    gc.callbacks.append(on_gc)
    return collections
