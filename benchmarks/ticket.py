"""Bytes per ticket, time on the wire, and issue-to-last-byte latency on loopback TCP.

    .venv/bin/python benchmarks/ticket.py [--tickets 50] [--sizes-only]

Bytes: the standard ticket per language and paper width, against a whole-ticket raster
(the same ticket drawn as one image, as a browser-based kiosk would send it). Then every
configured service's ticket as the kiosk prints it (its counters from the config, 12 people
ahead, no wait estimate: a kiosk without a centre) per language and width, against the
target for K'Ho and Ê Đê (≤ 4 KB, issue 14), and the largest one. --sizes-only stops there.
Wire time at serial speeds is bytes × 10 bits / baud (8N1). Latency:
TicketService.issue_ticket against the simulated printer on 127.0.0.1, from the call until
the simulator holds the whole job.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from figures import percentile  # benchmarks/figures.py (the scripts run from this folder)

from drivers.printer import TicketJob, render_job_png
from drivers.sim import SimPrinter
from kiosk.config import load_config
from kiosk.store import TicketStore, open_database, sqlite_url
from kiosk.ticket_layout import TicketContent, TicketLayout
from kiosk.tickets import TicketService

BAUDS = (9600, 38400, 115200)
LANGS = ("vi", "en", "kpm", "rad")
WIDTHS = (576, 384)
TARGET_BYTES = 4096  # K'Ho and Ê Đê tickets, every service, both widths (issue 14)
TARGET_LANGS = ("kpm", "rad")


def standard_ticket(lang: str, width: int, tcvn3: bool = False, service: str = "A",
                    with_counters: bool = False) -> bytes:
    cfg = load_config()
    area = cfg.service(service)
    content = TicketContent(
        ticket_id="3f9a0c71d2e84b65",
        number=f"{service}042",
        centre_name=cfg.centre_name(lang),
        service_name=area.name(lang),
        people_ahead=12,
        issued_at=datetime(2026, 11, 28, 9, 41, tzinfo=ZoneInfo(cfg.timezone)),
        lang=lang,
        counters=area.counters if with_counters else (),
    )
    return TicketLayout(width_dots=width, tcvn3=tcvn3).compose(content)


def service_sizes() -> None:
    """Every configured service's ticket, per width and language, against the target."""
    letters = [area.letter for area in load_config().services]
    print(f"bytes per service ticket as the kiosk prints it (counters from the config, "
          f"12 people ahead); target for {' and '.join(TARGET_LANGS)}: "
          f"<= {TARGET_BYTES:,d} B at every width")
    print("  width lang " + "".join(f"{letter:>8}" for letter in letters))
    sizes: dict[tuple[int, str, str], int] = {}
    for width in WIDTHS:
        for lang in LANGS:
            for letter in letters:
                job = standard_ticket(lang, width, service=letter, with_counters=True)
                sizes[width, lang, letter] = len(job)
            print(f"  {width:5d} {lang:4} " + "".join(
                f"{sizes[width, lang, letter]:8,d}" for letter in letters))
    for label, keys in (("K'Ho / Ê Đê", [k for k in sizes if k[1] in TARGET_LANGS]),
                        ("any language", list(sizes))):
        width, lang, letter = max(keys, key=lambda k: sizes[k])
        size = sizes[width, lang, letter]
        verdict = ("" if label == "any language" else
                   f" (target <= {TARGET_BYTES:,d} B: "
                   f"{'met' if size <= TARGET_BYTES else 'NOT met'})")
        print(f"largest, {label}: service {letter}, {lang}, {width} dots: {size:,d} B{verdict}")


def whole_raster(job: bytes, width: int) -> bytes:
    """The same ticket as one full-width image: the baseline to beat."""
    page = render_job_png(job, width_dots=width).convert("1")
    bbox = page.point(lambda v: 255 - v).getbbox() or (0, 0, width, 1)
    page = page.crop((0, 0, width, bbox[3]))
    raster = TicketJob(width_dots=width).init().raster(page).cut()
    return raster.to_bytes()


def serial_print_time(job: bytes, baud: int) -> float:
    """Seconds for print_job over a pty whose simulator paces bytes like a real line."""
    from drivers.printer import open_printer

    with tempfile.TemporaryDirectory() as folder:
        with SimPrinter(pty_link=Path(folder) / "tty", baudrate=baud) as sim:
            printer = open_printer(sim.url, timeout=5)
            try:
                printer.status()  # connect first: time only the job
                start = time.perf_counter()
                printer.print_job(job)
                elapsed = time.perf_counter() - start
            finally:
                printer.close()
    return elapsed


def latency(count: int) -> list[float]:
    with SimPrinter() as sim, tempfile.TemporaryDirectory() as data:
        cfg = replace(load_config(), printer_url=sim.url, data_dir=Path(data))
        store = TicketStore(open_database(sqlite_url(cfg.database_path)))
        service = TicketService(cfg, store)
        times = []
        for i in range(count):
            start = time.perf_counter()
            ticket = service.issue_ticket("A", "kpm")
            if not sim.wait_for_jobs(i + 1, timeout=10) or not ticket.printed:
                raise RuntimeError("the simulated printer did not receive the ticket")
            times.append(time.perf_counter() - start)
        return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=50)
    parser.add_argument("--sizes-only", action="store_true",
                        help="bytes only: skip the paced pty and the latency runs")
    args = parser.parse_args()
    print("bytes per standard ticket (whole-ticket raster baseline in brackets)")
    for width in (576, 384):
        for lang in ("vi", "en", "kpm"):
            job = standard_ticket(lang, width)
            base = whole_raster(job, width)
            wire = ", ".join(f"{len(job) * 10 / baud:.2f} s @{baud}" for baud in BAUDS)
            print(f"  {lang:3} {width} dots: {len(job):6,d} B [{len(base):6,d} B, "
                  f"{len(base) / len(job):.1f}x]  on the wire: {wire}")
    for lang in ("vi", "kpm"):
        print(f"  {lang:3} 576 dots with printer_tcvn3 = true: "
              f"{len(standard_ticket(lang, 576, tcvn3=True)):,d} B")
    service_sizes()
    if args.sizes_only:
        return
    job = standard_ticket("kpm", 576)
    measured = ", ".join(f"{serial_print_time(job, baud):.2f} s @{baud}" for baud in BAUDS)
    print(f"K'Ho ticket, 80 mm, print_job over a paced pty (incl. status checks): {measured}")
    times = sorted(latency(args.tickets))
    p95 = percentile(times, 0.95)
    print(f"issue_ticket to last byte at the printer, loopback TCP, {len(times)} tickets: "
          f"median {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms "
          f"(target p95 <= 300 ms)")


if __name__ == "__main__":
    main()
