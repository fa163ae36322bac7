"""Scan to screen: from the simulated scanner's write to the frame showing the result.

    .venv/bin/python benchmarks/scan_latency.py [--rounds 30]

The real kiosk window offscreen, the real scanner driver reading a pty from drivers/sim.
Two cases: a queue ticket's QR scanned on the attract screen (to the ticket status screen),
and an ID card's QR on the identify step (to the greeting on the home screen).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from kiosk.ui.env import prepare

prepare(fullscreen=False, size=(1080, 1920), headless=True)

from figures import next_citizen, percentile  # noqa: E402  (benchmarks/figures.py, run as a script)

from drivers.sim import (  # noqa: E402
    SAMPLE_CCCD,  # noqa: E402
    SimPrinter,
    SimScanner,
)
from kiosk.config import load_config  # noqa: E402
from kiosk.devices import ScannerService  # noqa: E402
from kiosk.session import Screen  # noqa: E402
from kiosk.store import TicketStore, open_database, sqlite_url  # noqa: E402
from kiosk.tickets import TicketService  # noqa: E402
from kiosk.ui.app import KioskApp  # noqa: E402
from kiosk.ui.harness import Harness  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as data, SimPrinter() as printer, \
            SimScanner(Path(data) / "scanner") as scanner:
        cfg = replace(load_config(), printer_url=printer.url, data_dir=Path(data),
                      scanner_url=scanner.url)
        store = TicketStore(open_database(sqlite_url(cfg.database_path)))
        service = TicketService(cfg, store)
        scans = ScannerService(cfg.scanner_url).start()
        app = KioskApp(cfg, service, kiosk_mode=False, scans=[scans])
        h = Harness(app)
        session = app.session
        ticket_ms: list[float] = []
        card_ms: list[float] = []
        # Distinct codes each round: the driver reports a code seen again within a second
        # once only (a receipt held under the scanner).
        tickets = [service.issue_ticket("A", "vi") for _ in range(rounds)]
        try:
            for i, ticket in enumerate(tickets):
                next_citizen(app, h)
                h.settle(2)
                start = time.monotonic()
                scanner.scan(ticket.id.encode())
                h.wait_until(lambda: session.screen is Screen.TICKET_STATUS, "ticket status")
                h.next_frame()
                ticket_ms.append((time.monotonic() - start) * 1000)

                next_citizen(app, h)
                session.start()
                session.choose_language("kpm")
                h.settle(2)
                start = time.monotonic()
                scanner.scan(SAMPLE_CCCD.replace("Thôn", f"Thôn {i},").encode())
                h.wait_until(lambda: session.screen is Screen.HOME, "the greeting")
                h.next_frame()
                card_ms.append((time.monotonic() - start) * 1000)
        finally:
            scans.stop()
    for name, values in (("ticket QR to ticket status drawn", ticket_ms),
                         ("ID card QR to greeting drawn", card_ms)):
        print(f"{name}, {len(values)} scans: median {statistics.median(values):.1f} ms, "
              f"p95 {percentile(values, .95):.1f} ms")


if __name__ == "__main__":
    main()
