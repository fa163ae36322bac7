"""Touch to next frame on the procedure screens, at the largest text size.

    .venv/bin/python benchmarks/procedure_latency.py [--rounds 20]

Real window offscreen (software GL). Each round, at extra large text: home → categories →
a category → a procedure, each timed from the touch until the frame showing it is drawn.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from dataclasses import replace
from pathlib import Path

from kiosk.ui.env import prepare

prepare(fullscreen=False, size=(1080, 1920), headless=True)

from figures import next_citizen, percentile, tap_to_screen, watch_full_collections  # noqa: E402  (benchmarks/figures.py, run as a script)

from drivers.sim import SimPrinter  # noqa: E402
from kiosk.config import load_config  # noqa: E402
from kiosk.session import Screen  # noqa: E402
from kiosk.store import TicketStore, open_database, sqlite_url  # noqa: E402
from kiosk.tickets import TicketService  # noqa: E402
from kiosk.ui.app import KioskApp  # noqa: E402
from kiosk.ui.harness import Harness  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--each", action="store_true", help="also print every switch time")
    args = parser.parse_args()
    rounds = args.rounds
    collections = watch_full_collections()
    windows: list[tuple[float, float]] = []
    with SimPrinter() as printer, tempfile.TemporaryDirectory() as data:
        cfg = replace(load_config(), printer_url=printer.url, data_dir=Path(data),
                      speaker_url="null://")  # a speaker, as in the lobby
        store = TicketStore(open_database(sqlite_url(cfg.database_path)))
        app = KioskApp(cfg, TicketService(cfg, store), kiosk_mode=False)
        h = Harness(app)
        session = app.session
        times: list[float] = []
        by_screen: dict[str, list[float]] = {}

        def timed_tap(widget, until: Screen) -> None:  # type: ignore[no-untyped-def]
            start, end = tap_to_screen(h, widget, lambda: session.screen is until)
            windows.append((start, end))
            times.append((end - start) * 1000)
            by_screen.setdefault(until.value, []).append(times[-1])

        categories = app.catalogue.categories()
        for i in range(rounds):
            next_citizen(app, h)
            session.start()
            session.choose_language("vi" if i % 2 else "en")
            session.next_text_size()
            session.next_text_size()  # extra large
            h.settle(2)
            timed_tap(app.screen("home").ids.procedures, Screen.CATEGORIES)
            key = categories[i % 2]  # the first two are on screen without scrolling
            [button] = [b for b in app.screen("categories").ids.choices.children
                        if b.category == key]
            timed_tap(button, Screen.PROCEDURES)
            timed_tap(app.screen("procedures").ids.choices.children[-1], Screen.PROCEDURE)
    print(f"procedure screens at extra large text, {len(times)} switches: median "
          f"{statistics.median(times):.1f} ms, p95 {percentile(times, .95):.1f} ms "
          f"(target p95 <= 100 ms)")
    if args.each:
        print({k: [round(v) for v in vs] for k, vs in by_screen.items()})
    for name, values in by_screen.items():
        print(f"  {name}: median {statistics.median(values):.1f} ms, "
              f"p95 {percentile(values, .95):.1f} ms")
    inside = sum(any(a <= s <= b for a, b in windows) for s, _ in collections)
    longest = max((d for _, d in collections), default=0.0) * 1000
    print(f"full garbage collections: {len(collections)}, longest {longest:.0f} ms, "
          f"{inside} inside a timed switch")


if __name__ == "__main__":
    main()
