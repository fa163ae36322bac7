"""Touch to next screen drawn, and touch to the ticket's last byte at the printer.

    .venv/bin/python benchmarks/ui_latency.py [--rounds 30]

Runs the real kiosk window offscreen (Mesa, software GL) against the simulated printer on
loopback TCP, in its own process like a real printer (in the kiosk's process its threads
would compete with the UI for the interpreter). Each round: a touch on the attract screen,
on a language, on "take a number", each timed from the touch until the frame showing the
next screen has been drawn; then a touch on a service area, timed until the simulated
printer holds the whole job (it reports the CLOCK_MONOTONIC time of each job it records).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from kiosk.ui.env import prepare

prepare(fullscreen=False, size=(1080, 1920), headless=True)

from figures import next_citizen, percentile, tap_to_screen  # noqa: E402  (benchmarks/figures.py, run as a script)

from drivers.sim import SimPrinter  # noqa: E402
from kiosk.config import load_config  # noqa: E402
from kiosk.session import Screen  # noqa: E402
from kiosk.store import TicketStore, open_database, sqlite_url  # noqa: E402
from kiosk.tickets import TicketService  # noqa: E402
from kiosk.ui.app import KioskApp  # noqa: E402
from kiosk.ui.harness import Harness  # noqa: E402


def run_printer(conn, count: int) -> None:  # type: ignore[no-untyped-def]
    """In a child process: a simulated printer that reports when each job has arrived."""
    with SimPrinter() as sim:
        conn.send(sim.url)
        for n in range(1, count + 1):
            if not sim.wait_for_jobs(n, timeout=60):
                break
            conn.send(time.monotonic())



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    parent, child = multiprocessing.Pipe()
    printer = multiprocessing.get_context("spawn").Process(target=run_printer,
                                                           args=(child, rounds))
    printer.start()
    url = parent.recv()
    with tempfile.TemporaryDirectory() as data:
        cfg = replace(load_config(), printer_url=url, data_dir=Path(data))
        store = TicketStore(open_database(sqlite_url(cfg.database_path)))
        app = KioskApp(cfg, TicketService(cfg, store), kiosk_mode=False)
        h = Harness(app)
        session = app.session
        switches: list[float] = []
        tickets: list[float] = []
        shown: list[float] = []
        outcome: list[float] = []

        def timed_tap(widget, until: Screen) -> None:  # type: ignore[no-untyped-def]
            start, end = tap_to_screen(h, widget, lambda: session.screen is until)
            switches.append(end - start)

        for _ in range(rounds):
            next_citizen(app, h)
            timed_tap(app.screen("attract"), Screen.LANGUAGE)
            timed_tap(app.screen("language").ids.choices.children[0], Screen.HOME)  # Kơho
            timed_tap(app.screen("home").ids.take_number, Screen.SERVICES)
            h.settle(2)
            button = app.screen("services").ids.choices.children[-1]
            h.until_touches_count()
            start = time.monotonic()
            h.tap(button)
            h.wait_until(lambda: session.screen is Screen.TICKET, "the ticket screen")
            h.next_frame()
            shown.append(time.monotonic() - start)
            h.wait_until(lambda: not app.last_ticket.pending, "the printer's outcome")
            h.next_frame()
            outcome.append(time.monotonic() - start)
            if not parent.poll(30):
                raise RuntimeError("the simulated printer received no job")
            tickets.append(parent.recv() - start)
        ms = 1000
        print(f"touch to next screen drawn, {len(switches)} switches: median "
              f"{statistics.median(switches) * ms:.1f} ms, p95 {percentile(switches, .95) * ms:.1f}"
              f" ms (target p95 <= 100 ms)")
        print(f"touch to last byte at the printer (K'Ho ticket, loopback TCP), {len(tickets)} "
              f"tickets: median {statistics.median(tickets) * ms:.1f} ms, p95 "
              f"{percentile(tickets, .95) * ms:.1f} ms (target p95 <= 300 ms)")
    print(f"touch on a service to its number on screen (while it prints): median "
          f"{statistics.median(shown) * ms:.1f} ms, p95 {percentile(shown, .95) * ms:.1f} ms")
    print(f"touch on a service to the printer's outcome on screen: median "
          f"{statistics.median(outcome) * ms:.1f} ms, p95 {percentile(outcome, .95) * ms:.1f} ms")
    printer.join(30)


if __name__ == "__main__":
    main()
