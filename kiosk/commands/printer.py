"""`kiosk doctor`, `test-print`, `print-preview` and `sim printer`: the ticket printer, for
staff installing or repairing it and developers working without one."""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys

from drivers.printer import PrinterError, decode_job, render_job_png
from drivers.sim import SimPrinter
from kiosk.commands import (
    EXIT_FAILED,
    UsageError,
    check_printer_url,
    config_from,
    setup_logging,
)
from kiosk.config import Config
from kiosk.devices import PrinterSupervisor, describe, printer_url
from kiosk.sim_console import SIM_COMMANDS, control_from_stdin
from kiosk.staff import doctor_report, test_page


def _printer_url(args: argparse.Namespace, cfg: Config) -> str:
    """--printer or the configured printer, with the config's profile and paper width."""
    if args.printer:
        check_printer_url(args.printer)
    return printer_url(args.printer or cfg.printer_url, cfg.printer_profile, cfg.paper_width)


def cmd_doctor(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    url = _printer_url(args, cfg)
    supervisor = PrinterSupervisor(url)
    status = supervisor.check_now()
    try:
        with supervisor.printer() as printer:
            report = doctor_report(url, status, printer)
    except Exception:  # noqa: BLE001  (the URL could not be opened: status says why)
        report = doctor_report(url, status, None)
    reports = [report]
    if args.json:
        print(json.dumps(reports, ensure_ascii=False, indent=2))
    else:
        for r in reports:
            mark = "ok  " if r["can_print"] else "FAIL"
            print(f"{mark} {r['device']:8} {r['url']}: {r['summary']}")
    return 0 if all(r["can_print"] for r in reports) else EXIT_FAILED


def cmd_test_print(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    url = _printer_url(args, cfg)
    supervisor = PrinterSupervisor(url)
    try:
        with supervisor.printer() as printer:
            status = printer.status()
            if not status.can_print:
                print(f"kiosk: printer {url} cannot print: {describe(status)}", file=sys.stderr)
                return EXIT_FAILED
            job = test_page(cfg, url, printer.new_job(), cfg.now())
            printer.print_job(job)
    except (PrinterError, ValueError) as exc:
        print(f"kiosk: test page not printed on {url}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"test page printed on {url} ({len(job)} bytes)")
    return 0


def cmd_print_preview(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    try:
        data = args.jobfile.read_bytes()
    except OSError as exc:
        raise UsageError(f"{args.jobfile}: cannot be read ({exc.strerror or exc})") from None
    width = args.width or cfg.paper_width
    job = decode_job(data)
    try:
        image = render_job_png(data, width_dots=width)
        images = len(job.raster_blocks(width))  # a line's strips count as one image
    except ValueError as exc:  # e.g. a raster image of zero width or height
        raise UsageError(f"{args.jobfile}: cannot be drawn ({exc})") from None
    try:
        image.save(args.png, format="PNG")
    except (OSError, ValueError) as exc:
        raise UsageError(f"--png {args.png}: cannot be written ({exc})") from None
    print(f"{args.png}: {image.width}x{image.height}, {len(data)} bytes, "
          f"{len(job.texts)} text lines, {images} images "
          f"(in {len(job.images)} strips), "
          f"{len(job.qr_payloads)} QR, {len(job.cuts)} cuts")
    return 0


def _host_port(text: str) -> tuple[str, int]:
    m = re.fullmatch(r"\[?([^\]]*)\]?:(\d{1,5})", text)
    if not m or not 0 <= int(m.group(2)) <= 65535:
        raise UsageError(f"--listen {text!r}: expected HOST:PORT, e.g. 127.0.0.1:9100")
    return m.group(1) or "127.0.0.1", int(m.group(2))


def cmd_sim_printer(args: argparse.Namespace) -> int:
    if args.baudrate is not None and not 50 <= args.baudrate <= 4_000_000:
        raise UsageError(f"--baudrate {args.baudrate}: expected 50 to 4000000")
    if args.png and not args.jobs:
        raise UsageError("--png needs --jobs DIR to write the pictures to")
    host, port = _host_port(args.listen or "127.0.0.1:9100")
    if args.jobs:
        try:
            args.jobs.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--jobs {args.jobs}: cannot be made "
                             f"({exc.strerror or exc})") from None
    setup_logging()
    try:
        printer = SimPrinter(host=host, port=port, jobs_dir=args.jobs, pty_link=args.pty,
                             baudrate=args.baudrate, render_png=args.png).start()
    except (OSError, ValueError) as exc:
        where = args.pty or args.listen or "127.0.0.1:9100"
        print(f"kiosk: cannot serve on {where}: {getattr(exc, 'strerror', None) or exc}",
              file=sys.stderr)
        return EXIT_FAILED
    if args.fault:
        printer.set_fault(args.fault)
    print(f"simulated printer on {printer.url}" + (f", jobs in {args.jobs}" if args.jobs else "")
          + f"; type {SIM_COMMANDS} to change it", flush=True)
    control_from_stdin(printer)
    # Stop cleanly on SIGTERM too (systemd, a test ending it): the pty link is removed.
    signal.signal(signal.SIGTERM, lambda *_: printer.stop())
    try:
        printer.wait()
    except KeyboardInterrupt:
        pass
    finally:
        printer.stop()
    return 0
