"""Touch to next screen drawn, and touch to the ticket's last byte at the printer, at each
text size.

    .venv/bin/python benchmarks/ui_latency.py [--rounds 20] [--text-size all|0|1|2]
                                              [--size 1080x1920]

Runs the real kiosk window offscreen (Mesa, software GL) against the simulated printer on
loopback TCP, in its own process like a real printer (in the kiosk's process its threads
would compete with the UI for the interpreter). `--rounds` rounds at each text size
(kiosk/session.py TEXT_SIZES: 0 normal, 1 large, 2 extra large; staff's starting size,
session.default_text_size, is set to it, so each visit starts there). Each round: a touch
on the attract screen, on a language (a language switch: every label is translated anew),
on "take a number", each timed until the next screen is drawn; then a touch on a service
area, timed until its number is drawn and until the simulated printer holds the whole job
(it reports the CLOCK_MONOTONIC time of each job it records); then Home, the text-size
button (to the screen drawn at the next size) and "take a number" at that size.

"Drawn" is the end of the first frame (after its buffer swap) that shows the new screen
with no label of the window waiting to be re-rendered and no layout waiting to be redone:
every label shown is at the new size, in the new language, in its place. `--size
1920x1080` measures the same on a landscape screen (one window per process: one size per
run).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from kiosk.ui.env import parse_size, prepare


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20, help="rounds at each text size")
    parser.add_argument("--text-size", choices=["all", "0", "1", "2"], default="all",
                        help="the text size(s) visits start at (index into TEXT_SIZES)")
    parser.add_argument("--size", type=parse_size, default=(1080, 1920),
                        help="window size in pixels, e.g. 1920x1080 (default 1080x1920)")
    parser.add_argument("--each", action="store_true", help="also print every time")
    return parser.parse_args()


ARGS = parse_args()
prepare(fullscreen=False, size=ARGS.size, headless=True)

from figures import next_citizen, percentile, watch_full_collections  # noqa: E402  (benchmarks/figures.py, run as a script)
from kivy.base import EventLoop  # noqa: E402
from kivy.uix.label import Label  # noqa: E402

from drivers.sim import SimPrinter  # noqa: E402
from kiosk.config import load_config  # noqa: E402
from kiosk.session import TEXT_SIZES, Screen  # noqa: E402
from kiosk.store import TicketStore, open_database, sqlite_url  # noqa: E402
from kiosk.tickets import TicketService  # noqa: E402
from kiosk.ui.app import KioskApp  # noqa: E402
from kiosk.ui.harness import MAX_FRAMES, Finger, Harness  # noqa: E402

MS = 1000
STEPS = {  # step: what it times
    "start": "attract -> language",
    "language": "touch on a language -> Home drawn (language switch)",
    "take": "Home -> service areas",
    "home": "ticket -> Home (navigation bar)",
    "text_size": "text-size button -> Home drawn at the next size",
    "after_size": "Home -> service areas, just after the size switch",
}


def run_printer(conn, count: int) -> None:  # type: ignore[no-untyped-def]
    """In a child process: a simulated printer that reports when each job has arrived,
    open until the parent says it is done (its last job's status query answered)."""
    with SimPrinter() as sim:
        conn.send(sim.url)
        for n in range(1, count + 1):
            if not sim.wait_for_jobs(n, timeout=60):
                break
            conn.send(time.monotonic())
        conn.recv()


def pending_work(app: KioskApp) -> bool:
    """Something in the window would change at the next frame: a label whose texture
    waits to be re-rendered (new text, size or language) or a layout waiting to be
    redone (a label's new height moves what is below it)."""
    roots = [app.root, *(w for w in EventLoop.window.children if w is not app.root)]
    for root in roots:
        for widget in root.walk(restrict=True):
            if isinstance(widget, Label) and widget._trigger_texture.is_triggered:
                return True
            trigger = getattr(widget, "_trigger_layout", None)
            if trigger is not None and getattr(trigger, "is_triggered", False):
                return True
    return False


class Timer:
    """Times a touch to the end of the frame that shows what `shown()` says, whole."""

    def __init__(self, app: KioskApp, h: Harness) -> None:
        self.app, self.h = app, h
        self.shown: Callable[[], bool] | None = None
        self.hit = False
        self.extra_frames = 0  # frames that showed the screen with work still pending
        self.windows: list[tuple[float, float]] = []  # (start, end) of each timed touch
        EventLoop.window.bind(on_flip=self._on_flip)

    def _on_flip(self, *_args) -> None:  # type: ignore[no-untyped-def]
        # Called as the frame is handed to the swap: the state now is what it shows.
        if self.shown is None or self.hit or not self.shown():
            return
        if pending_work(self.app):
            self.extra_frames += 1
        else:
            self.hit = True

    def until_drawn(self, shown: Callable[[], bool], start: float) -> float:
        """Turns the loop until the frame; seconds from `start` to the end of its swap."""
        self.shown, self.hit = shown, False
        try:
            for _ in range(MAX_FRAMES):
                if self.hit:
                    # The frame was flipped inside the idle() that just returned.
                    end = time.perf_counter()
                    self.windows.append((start, end))
                    return end - start
                self.h.window.canvas.ask_update()
                EventLoop.idle()
            raise TimeoutError("the screen was never drawn whole")
        finally:
            self.shown = None

    def tap(self, widget, shown: Callable[[], bool]) -> float:  # type: ignore[no-untyped-def]
        """A finger down and up on `widget` once its screen takes touches, to the frame."""
        self.h.settle(2)
        self.h.until_touches_count()
        x, y = widget.to_window(*widget.center)
        finger = Finger(x, y)
        self.shown, self.hit = shown, False
        start = time.perf_counter()
        finger.touch_down()
        EventLoop.idle()
        finger.touch_up()
        EventLoop.idle()
        return self.until_drawn(shown, start)


def measure(app: KioskApp, h: Harness, timer: Timer, parent, size: int,  # type: ignore[no-untyped-def]
            rounds: int) -> dict[str, list[float]]:
    session = app.session
    times: dict[str, list[float]] = {key: [] for key in
                                     [*STEPS, "shown", "outcome", "printer"]}
    session.default_text_size = size  # staff's starting size: each visit starts at it
    bigger = TEXT_SIZES[(size + 1) % len(TEXT_SIZES)]

    def on(screen: Screen, scale: float | None = None) -> Callable[[], bool]:
        return lambda: (session.screen is screen and app.manager.current == screen.value
                        and (scale is None or app.text_scale == scale))

    for _ in range(rounds):
        next_citizen(app, h)
        assert app.text_scale == TEXT_SIZES[size]
        times["start"].append(timer.tap(app.screen("attract"), on(Screen.LANGUAGE)))
        times["language"].append(timer.tap(app.screen("language").ids.choices.children[0],
                                           on(Screen.HOME)))  # Kơho
        times["take"].append(timer.tap(app.screen("home").ids.take_number,
                                       on(Screen.SERVICES)))
        h.settle(2)
        button = app.screen("services").ids.choices.children[-1]
        h.until_touches_count()
        finger = Finger(*button.to_window(*button.center))
        start_mono, start = time.monotonic(), time.perf_counter()
        timer.shown, timer.hit = on(Screen.TICKET), False
        finger.touch_down()
        EventLoop.idle()
        finger.touch_up()
        EventLoop.idle()
        times["shown"].append(timer.until_drawn(on(Screen.TICKET), start))
        times["outcome"].append(timer.until_drawn(
            lambda: session.screen is Screen.TICKET and not app.last_ticket.pending, start))
        if not parent.poll(30):
            raise RuntimeError("the simulated printer received no job")
        times["printer"].append(parent.recv() - start_mono)
        times["home"].append(timer.tap(app.navbar.ids.home_button, on(Screen.HOME)))
        times["text_size"].append(timer.tap(app.navbar.ids.text_size_button,
                                            on(Screen.HOME, bigger)))
        times["after_size"].append(timer.tap(app.screen("home").ids.take_number,
                                             on(Screen.SERVICES, bigger)))
    return times


def line(values: list[float]) -> str:
    return (f"median {statistics.median(values) * MS:.1f} ms, "
            f"p95 {percentile(values, .95) * MS:.1f} ms")


def report(size: int, times: dict[str, list[float]], each: bool) -> None:
    switches = times["start"] + times["language"] + times["take"]
    nxt = TEXT_SIZES[(size + 1) % len(TEXT_SIZES)]
    print(f"== text size {size} ({TEXT_SIZES[size]}x), window {ARGS.size[0]}x{ARGS.size[1]}")
    # The first four lines as this script printed them before it measured per text size.
    print(f"touch to next screen drawn, {len(switches)} switches: {line(switches)} "
          f"(target p95 <= 100 ms)")
    print(f"touch to last byte at the printer (K'Ho ticket, loopback TCP), "
          f"{len(times['printer'])} tickets: {line(times['printer'])} (target p95 <= 300 ms)")
    print(f"touch on a service to its number on screen (while it prints): "
          f"{line(times['shown'])}")
    print(f"touch on a service to the printer's outcome on screen: {line(times['outcome'])}")
    for key, what in STEPS.items():
        label = what.replace("the next size", f"{nxt}x")
        print(f"  {label}: {line(times[key])}")
    if each:
        for key, values in times.items():
            print(f"  {key}: {[round(v * MS) for v in values]}")


def main() -> None:
    sizes = range(len(TEXT_SIZES)) if ARGS.text_size == "all" else [int(ARGS.text_size)]
    rounds = ARGS.rounds
    collections = watch_full_collections()
    parent, child = multiprocessing.Pipe()
    printer = multiprocessing.get_context("spawn").Process(
        target=run_printer, args=(child, rounds * len(sizes)))
    printer.start()
    url = parent.recv()
    results: dict[int, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as data:
        # A speaker, as in the lobby: its clips are read and "played" (null://).
        cfg = replace(load_config(), printer_url=url, data_dir=Path(data),
                      speaker_url="null://")
        store = TicketStore(open_database(sqlite_url(cfg.database_path)))
        app = KioskApp(cfg, TicketService(cfg, store), kiosk_mode=False)
        h = Harness(app)
        timer = Timer(app, h)
        began = time.perf_counter()
        for size in sizes:
            results[size] = measure(app, h, timer, parent, size, rounds)
        parent.send("done")
    for size, times in results.items():
        report(size, times, ARGS.each)
    if len(results) > 1:
        switches = [v for t in results.values() for k in ("start", "language", "take")
                    for v in t[k]]
        print(f"== every text size: touch to next screen drawn, {len(switches)} switches: "
              f"{line(switches)}; text-size switch: "
              f"{line([v for t in results.values() for v in t['text_size']])}")
    print(f"frames that showed a new screen with labels or layouts still pending: "
          f"{timer.extra_frames}")
    during = [d for s, d in collections if s >= began]
    inside = sum(any(a <= s <= b for a, b in timer.windows) for s, _ in collections)
    print(f"full garbage collections while measuring: {len(during)}, longest "
          f"{max(during, default=0.0) * MS:.0f} ms, {inside} inside a timed touch")
    printer.join(30)


if __name__ == "__main__":
    main()
