"""The `kiosk` command for staff and developers.

Bad input gets one line on stderr and exit code 2; a device that fails gets a plain
sentence and exit code 1; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from kiosk import __version__
from kiosk.config import Config, ConfigError, load_config

log = logging.getLogger("kiosk")

EXIT_FAILED = 1
EXIT_USAGE = 2
FAULTS = ("paper-out", "paper-low", "cover-open", "offline", "silent", "garbage", "slow",
          "disconnect-mid-job")


class UsageError(Exception):
    """Bad input from the command line: one line, exit code 2."""


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _common(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS keeps a value given before the subcommand from being reset to None.
    parser.add_argument("--config", type=Path, default=argparse.SUPPRESS,
                        help="settings file (TOML); the shipped defaults fill in the rest")
    parser.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                        help="folder where the database lives")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="kiosk", description="Lobby kiosk for commune service centres.")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    _common(parser)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    p = sub.add_parser("simulate", help="the kiosk on a simulated printer, no config needed")
    _common(p)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--fullscreen", dest="fullscreen", action="store_true", default=False)
    mode.add_argument("--windowed", dest="fullscreen", action="store_false")

    p = sub.add_parser("run", help="the kiosk on the devices named in the config")
    _common(p)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--fullscreen", dest="fullscreen", action="store_true", default=None)
    mode.add_argument("--windowed", dest="fullscreen", action="store_false")

    p = sub.add_parser("ticket", help="issue a queue number on a citizen's behalf")
    _common(p)
    p.add_argument("--service", required=True, help="service letter, e.g. A")
    p.add_argument("--lang", default="vi", help="language of the printed ticket (default vi)")
    p.add_argument("--printer", help="printer URL, instead of the configured one")
    p.add_argument("--json", action="store_true", help="report as JSON")

    p = sub.add_parser("sim", help="run a simulated device on its own")
    _common(p)
    sim = p.add_subparsers(dest="device", required=True, parser_class=OneLineParser)
    sp = sim.add_parser("printer", help="an ESC/POS printer on TCP")
    _common(sp)
    where = sp.add_mutually_exclusive_group()
    where.add_argument("--listen", default=None,
                       help="HOST:PORT to listen on (default 127.0.0.1:9100)")
    where.add_argument("--pty", type=Path, metavar="LINK",
                       help="serve on a pty whose device is linked at LINK (serial://LINK)")
    sp.add_argument("--baudrate", type=int,
                    help="emulate a serial link this slow (10 bits per byte)")
    sp.add_argument("--jobs", type=Path, help="folder to write each received job to")
    sp.add_argument("--png", action="store_true", help="also draw each job as a PNG in --jobs")
    sp.add_argument("--fault", choices=FAULTS, help="start with this fault")

    p = sub.add_parser("doctor", help="check every configured device (or one printer)")
    _common(p)
    p.add_argument("--printer", help="check this printer URL instead")
    p.add_argument("--json", action="store_true", help="report as JSON")

    p = sub.add_parser("test-print", help="print a test page: every language's letters, a QR")
    _common(p)
    p.add_argument("--printer", help="printer URL, instead of the configured one")

    p = sub.add_parser("print-preview", help="render captured ESC/POS bytes to PNG")
    _common(p)
    p.add_argument("jobfile", type=Path, help="a file of raw ESC/POS bytes (e.g. job-0001.bin)")
    p.add_argument("--png", type=Path, required=True, help="where to write the picture")
    p.add_argument("--width", type=int, choices=(384, 576), default=None,
                   help="paper width in dots (default: the configured one)")

    p = sub.add_parser("decode", help="say what one scanned payload (on stdin) is")
    _common(p)
    p.add_argument("--json", action="store_true", help="report as JSON")
    p.add_argument("--reveal", action="store_true",
                   help="show personal data in clear (staff only, never in a ticket or log)")

    p = sub.add_parser("scan", help="print what a scanner sends, decoded")
    _common(p)
    p.add_argument("--port", required=True,
                   help="scanner URL: a device path, serial://, loop://, socket:// ...")
    p.add_argument("--count", type=int, default=0, help="stop after N scans (default: never)")
    p.add_argument("--json", action="store_true", help="one JSON object per scan")
    p.add_argument("--reveal", action="store_true", help="show personal data in clear")

    p = sub.add_parser("screenshots", help="render every screen in every language to PNG")
    _common(p)
    p.add_argument("--out", type=Path, required=True, help="folder for <screen>-<lang>.png")
    p.add_argument("--lang", action="append", help="only this language (repeatable)")

    p = sub.add_parser("i18n", help="translation catalogues")
    _common(p)
    i18n = p.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    _common(i18n.add_parser("compile", help="compile every .po to .mo"))
    ip = i18n.add_parser("report", help="per language: strings translated, missing, to review")
    _common(ip)
    ip.add_argument("--json", action="store_true", help="report as JSON")
    ip = i18n.add_parser("export", help="a .po for translators, with the Vietnamese beside")
    _common(ip)
    ip.add_argument("--lang", required=True)
    ip.add_argument("--out", type=Path, required=True)
    ip = i18n.add_parser("import", help="take a translator's .po (entries marked for review)")
    _common(ip)
    ip.add_argument("pofile", type=Path)
    ip.add_argument("--lang", required=True)
    ip.add_argument("--legacy", action="store_true",
                    help="convert old ASCII-font K'Ho/Ê Đê spellings ([ ] ` \\) to Unicode")
    ip.add_argument("--reviewed", action="store_true",
                    help="a native speaker has checked these: do not mark them for review")

    ip = i18n.add_parser("prompts", help="the sentences to record, one per screen")
    _common(ip)
    ip.add_argument("--lang", required=True)
    ip.add_argument("--json", action="store_true", help="as JSON")

    p = sub.add_parser("ratings", help="satisfaction ratings per day and service")
    _common(p)
    p.add_argument("--from", dest="day_from", type=_day,
                   help="first day, YYYY-MM-DD (default today)")
    p.add_argument("--to", dest="day_to", type=_day, help="last day, YYYY-MM-DD (default today)")
    p.add_argument("--json", action="store_true", help="report as JSON")
    return parser


def _config(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None), getattr(args, "data_dir", None))


def _day(text: str):  # type: ignore[no-untyped-def]
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a date like 2026-11-28") from None


def _host_port(text: str) -> tuple[str, int]:
    m = re.fullmatch(r"\[?([^\]]*)\]?:(\d{1,5})", text)
    if not m or not 0 <= int(m.group(2)) <= 65535:
        raise UsageError(f"--listen {text!r}: expected HOST:PORT, e.g. 127.0.0.1:9100")
    return m.group(1) or "127.0.0.1", int(m.group(2))


def _setup_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


# -- commands ---------------------------------------------------------------------------
def cmd_ticket(args: argparse.Namespace) -> int:
    cfg = _config(args)
    if args.printer:
        cfg = replace(cfg, printer_url=args.printer)
    letters = [s.letter for s in cfg.services]
    if args.service not in letters:
        raise UsageError(f"--service {args.service!r}: not a configured service; "
                         f"expected one of {', '.join(letters)}")
    if args.lang not in cfg.languages:
        raise UsageError(f"--lang {args.lang!r}: not an offered language; "
                         f"expected one of {', '.join(cfg.languages)}")
    from kiosk.store import TicketStore, open_database, sqlite_url
    from kiosk.tickets import TicketService

    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    store = TicketStore(open_database(sqlite_url(cfg.database_path)))
    ticket = TicketService(cfg, store).issue_ticket(args.service, args.lang)
    if args.json:
        print(json.dumps({
            "id": ticket.id,
            "number": ticket.number,
            "service": ticket.service,
            "issued_at": ticket.issued_at.isoformat(),
            "printed": ticket.printed,
            "people_ahead": ticket.people_ahead,
            "problem": ticket.problem,
        }, ensure_ascii=False))
    elif ticket.printed:
        print(f"{ticket.number} printed ({ticket.service_name}, "
              f"{ticket.people_ahead} ahead, id {ticket.id})")
    if not ticket.printed:
        print(f"kiosk: ticket {ticket.number} issued but NOT printed: {ticket.problem}",
              file=sys.stderr)
        return EXIT_FAILED
    return 0


SIM_COMMANDS = "a fault name, ok, unplug, replug or jobs"


def _control_from_stdin(printer, scanner=None) -> None:  # type: ignore[no-untyped-def]
    """Lets a developer change the simulated printer at run time by typing a line:
    a fault (paper-out ...), "ok" to clear it, "unplug", "replug", or "jobs"; and, with a
    simulated scanner, "scan TEXT" or "scan-id" (a made-up citizen's ID card QR)."""

    def read() -> None:
        for line in sys.stdin:
            word = line.strip()
            if not word:
                continue
            if scanner is not None and (word == "scan-id" or word.startswith("scan ")):
                from kiosk.scans import SAMPLE_CCCD

                text = SAMPLE_CCCD if word == "scan-id" else word[5:]
                scanner.scan(text.encode("utf-8"))
                print("simulated scanner: scanned", flush=True)
                continue
            if word in FAULTS:
                printer.set_fault(word)
            elif word in ("ok", "none"):
                printer.set_fault(None)
            elif word == "unplug":
                printer.unplug()
            elif word == "replug":
                printer.replug()
            elif word == "jobs":
                print(f"{len(printer.jobs)} jobs printed", flush=True)
                continue
            else:
                print(f"unknown command {word!r}; expected {SIM_COMMANDS}", flush=True)
                continue
            print(f"simulated printer: {word}", flush=True)

    threading.Thread(target=read, name="sim-printer-control", daemon=True).start()


def cmd_sim_printer(args: argparse.Namespace) -> int:
    if args.baudrate is not None and not 50 <= args.baudrate <= 4_000_000:
        raise UsageError(f"--baudrate {args.baudrate}: expected 50 to 4000000")
    if args.png and not args.jobs:
        raise UsageError("--png needs --jobs DIR to write the pictures to")
    host, port = _host_port(args.listen or "127.0.0.1:9100")
    from drivers.sim import SimPrinter

    if args.jobs:
        args.jobs.mkdir(parents=True, exist_ok=True)
    _setup_logging()
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
    _control_from_stdin(printer)
    # Stop cleanly on SIGTERM too (systemd, a test ending it): the pty link is removed.
    signal.signal(signal.SIGTERM, lambda *_: printer.stop())
    try:
        printer.wait()
    except KeyboardInterrupt:
        pass
    finally:
        printer.stop()
    return 0


def _run_ui(cfg: Config, fullscreen: bool) -> int:
    from kiosk.ui.env import prepare

    prepare(fullscreen=fullscreen)
    from kiosk.devices import (
        ChipReaderService,
        MrzReaderService,
        PrinterSupervisor,
        ScannerService,
        printer_url,
    )
    from kiosk.store import TicketStore, open_database, sqlite_url
    from kiosk.tickets import TicketService
    from kiosk.ui.app import KioskApp

    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    store = TicketStore(open_database(sqlite_url(cfg.database_path)))
    printers = PrinterSupervisor(
        printer_url(cfg.printer_url, cfg.printer_profile, cfg.paper_width)).start()
    scans = []
    for service_class, url in ((ScannerService, cfg.scanner_url),
                               (MrzReaderService, cfg.mrz_reader_url)):
        if not url:
            continue
        try:
            scans.append(service_class(url).start())
        except Exception as exc:  # noqa: BLE001
            # A reader that is missing at start must not keep the kiosk from taking numbers.
            log.error("%s %s not started: %s", service_class.__name__, url, exc)
    chip = None
    if cfg.chip_reader and cfg.mrz_reader_url:
        chip = ChipReaderService(cfg.chip_reader)
        try:
            chip.check()
        except Exception as exc:  # noqa: BLE001
            log.error("chip reader %s not offered: %s", cfg.chip_reader, exc)
            chip = None
    try:
        app = KioskApp(cfg, TicketService(cfg, store, printers=printers), kiosk_mode=fullscreen,
                       scans=scans, chip=chip)
        app.run()
    finally:
        printers.stop()
        for source in scans:
            source.stop()
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    import tempfile

    from drivers.sim import SimPrinter, SimScanner

    cfg = _config(args)
    _setup_logging()
    with tempfile.TemporaryDirectory(prefix="kiosk-sim-") as folder, SimPrinter() as printer, \
            SimScanner(Path(folder) / "scanner") as scanner:
        log.info("simulated printer on %s, scanner on %s; type %s, or scan TEXT or scan-id",
                 printer.url, scanner.url, SIM_COMMANDS)
        _control_from_stdin(printer, scanner)
        return _run_ui(replace(cfg, printer_url=printer.url, scanner_url=scanner.url),
                       args.fullscreen)


def cmd_run(args: argparse.Namespace) -> int:
    cfg = _config(args)
    _setup_logging()
    fullscreen = cfg.fullscreen if args.fullscreen is None else args.fullscreen
    return _run_ui(cfg, fullscreen)


def cmd_screenshots(args: argparse.Namespace) -> int:
    cfg = _config(args)
    langs = args.lang or list(cfg.languages)
    for lang in langs:
        if lang not in cfg.languages:
            raise UsageError(f"--lang {lang!r}: not an offered language; "
                             f"expected one of {', '.join(cfg.languages)}")
    from kiosk.ui.env import prepare

    prepare(fullscreen=False, size=(1080, 1920), headless=True)
    from kivy.config import Config as KivyConfig

    KivyConfig.set("graphics", "width", "1080")
    KivyConfig.set("graphics", "height", "1920")
    from kiosk.ui.screenshots import take_screenshots

    for path in take_screenshots(cfg, args.out, langs):
        print(path)
    return 0


def cmd_i18n(args: argparse.Namespace) -> int:
    from kiosk import i18n_tools
    from kiosk.i18n import LANG_TAG_PATTERN, compile_all
    from kiosk.paths import LOCALES

    if args.action == "compile":
        for mo in compile_all():
            print(mo)
        return 0
    cfg = _config(args)
    if args.action == "report":
        from kiosk.content import audio_dirs, load_content_catalogue
        from kiosk.prompts import PROMPTS

        catalogue, source, problems = load_content_catalogue(cfg)
        for problem in problems:
            print(f"kiosk: catalogue refused: {problem}", file=sys.stderr)
        if catalogue is None:
            print("kiosk: no catalogue counted", file=sys.stderr)
        else:
            print(f"catalogue: {source}", file=sys.stderr)
        rows = i18n_tools.report(LOCALES, list(cfg.languages), audio_dirs(cfg), list(PROMPTS),
                                 catalogue=catalogue)
        if args.json:
            print(json.dumps(i18n_tools.report_json(rows), ensure_ascii=False, indent=2))
        else:
            print(i18n_tools.format_report(rows).rstrip("\n"))
        return 0
    if not re.fullmatch(LANG_TAG_PATTERN, args.lang):
        raise UsageError(f"--lang {args.lang!r}: expected a language tag like kpm or rad")
    if args.action == "prompts":
        from kiosk.content import audio_dirs
        from kiosk.prompts import recording_script

        script = recording_script(args.lang, audio_dirs(cfg))
        if args.json:
            print(json.dumps(script, ensure_ascii=False, indent=2))
        else:
            for row in script:
                print(f"[{'x' if row['recorded'] == 'yes' else ' '}] {row['file']}: {row['text']}")
        return 0
    if args.action == "export":
        count = i18n_tools.export_po(args.lang, LOCALES, args.out)
        print(f"wrote {count} entries to {args.out}")
        return 0
    try:
        result = i18n_tools.import_po(args.pofile, args.lang, LOCALES, legacy=args.legacy,
                                      reviewed=args.reviewed)
    except i18n_tools.ImportRejected as exc:
        print(f"kiosk: {args.pofile} rejected, nothing changed:", file=sys.stderr)
        for line in exc.lines:
            print(f"  {line}", file=sys.stderr)
        return EXIT_FAILED
    compile_all()
    print(f"{result.path}: {result.added} added, {result.changed} changed, "
          f"{result.unchanged} unchanged" + ("" if args.reviewed else ", marked for review"))
    return 0


def cmd_ratings(args: argparse.Namespace) -> int:
    from kiosk.i18n import translate
    from kiosk.ratings import RatingService, format_summary_table, summary_json
    from kiosk.store import open_database, sqlite_url
    from kiosk.store.ratings import RatingStore

    cfg = _config(args)
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    service = RatingService(RatingStore(open_database(sqlite_url(cfg.database_path))),
                            cfg.timezone)
    day_to = args.day_to or service.today()
    day_from = args.day_from or day_to
    if day_from > day_to:
        raise UsageError(f"--from {day_from} is after --to {day_to}")
    rows = service.summary(day_from, day_to)
    if args.json:
        print(json.dumps(summary_json(rows, day_from, day_to), ensure_ascii=False, indent=2))
    else:
        print(format_summary_table(rows, lambda m: translate("vi", m)).rstrip("\n"))
    return 0


def _printer_url(args: argparse.Namespace, cfg: Config) -> str:
    """--printer or the configured printer, with the config's profile and paper width."""
    from drivers.printer import PrinterError, parse_printer_url
    from kiosk.devices import printer_url

    if args.printer:
        try:
            parse_printer_url(args.printer)
        except (ValueError, PrinterError) as exc:
            raise UsageError(f"--printer {args.printer!r}: {exc}") from None
    return printer_url(args.printer or cfg.printer_url, cfg.printer_profile, cfg.paper_width)


def cmd_doctor(args: argparse.Namespace) -> int:
    from kiosk.devices import PrinterSupervisor
    from kiosk.staff import doctor_report

    cfg = _config(args)
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
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from drivers.printer import PrinterError
    from kiosk.devices import PrinterSupervisor, describe
    from kiosk.staff import test_page

    cfg = _config(args)
    url = _printer_url(args, cfg)
    supervisor = PrinterSupervisor(url)
    try:
        with supervisor.printer() as printer:
            status = printer.status()
            if not status.can_print:
                print(f"kiosk: printer {url} cannot print: {describe(status)}", file=sys.stderr)
                return EXIT_FAILED
            job = test_page(cfg, url, printer.new_job(), datetime.now(ZoneInfo(cfg.timezone)))
            printer.print_job(job)
    except (PrinterError, ValueError) as exc:
        print(f"kiosk: test page not printed on {url}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"test page printed on {url} ({len(job)} bytes)")
    return 0


def cmd_print_preview(args: argparse.Namespace) -> int:
    cfg = _config(args)
    try:
        data = args.jobfile.read_bytes()
    except OSError as exc:
        raise UsageError(f"{args.jobfile}: cannot be read ({exc.strerror or exc})") from None
    from drivers.printer import decode_job, render_job_png

    width = args.width or cfg.paper_width
    job = decode_job(data)
    image = render_job_png(data, width_dots=width)
    try:
        image.save(args.png, format="PNG")
    except (OSError, ValueError) as exc:
        raise UsageError(f"--png {args.png}: cannot be written ({exc})") from None
    print(f"{args.png}: {image.width}x{image.height}, {len(data)} bytes, "
          f"{len(job.texts)} text lines, {len(job.images)} images, "
          f"{len(job.qr_payloads)} QR, {len(job.cuts)} cuts")
    return 0


def describe_scan(payload: bytes, symbology: str | None, reveal: bool) -> dict:
    """What staff see of a scan: its kind and what it holds, personal data masked."""
    from dataclasses import asdict, is_dataclass

    from kiosk.scans import classify

    found = classify(payload)
    report: dict = {"kind": found.kind.value, "symbology": symbology, "bytes": len(payload)}
    if found.identity is not None:
        if reveal:
            raw = asdict(found.identity) if is_dataclass(found.identity) else {}
            report["holds"] = {k: str(v) for k, v in raw.items()
                               if v not in ("", None) and k != "wiped"}
        else:
            report["holds"] = {k: v for k, v in found.identity.masked().items()
                               if v and k != "wiped"}
    if found.ticket_id:
        report["ticket_id"] = found.ticket_id
    if found.dossier_code:
        report["dossier_code"] = found.dossier_code
    if found.problem:
        report["problem"] = found.problem
    if found.kind.value == "unknown" and reveal:
        report["text"] = payload.decode("utf-8", errors="replace")[:200]
    return report


def _print_scan(report: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, ensure_ascii=False), flush=True)
        return
    extra = report.get("ticket_id") or report.get("dossier_code") or report.get("problem") or ""
    print(f"{report['kind']:8} {report['bytes']:5d} bytes {report['symbology'] or '':8} {extra}",
          flush=True)
    for key, value in report.get("holds", {}).items():
        print(f"    {key}: {value}")


def cmd_decode(args: argparse.Namespace) -> int:
    from kiosk.scans import MAX_PAYLOAD

    data = sys.stdin.buffer.read(MAX_PAYLOAD * 4 + 1)
    if data.endswith(b"\n"):  # a pasted line or `echo` adds one; scanners' own end is CR/LF
        data = data.rstrip(b"\r\n")
    if not data:
        raise UsageError("nothing on standard input; pipe one scanned payload in")
    _print_scan(describe_scan(data, None, args.reveal), args.json)
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from drivers.scanner import Dropped, open_scanner

    if args.count < 0:
        raise UsageError(f"--count {args.count}: expected 0 (no limit) or more")
    try:
        scanner = open_scanner(args.port)
    except ValueError as exc:
        raise UsageError(f"--port {args.port!r}: {exc}") from None
    except Exception as exc:  # noqa: BLE001  (typed driver errors: missing extra, ...)
        print(f"kiosk: cannot open scanner {args.port}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    seen = 0
    with scanner:
        status = scanner.status()
        print(f"scanner {scanner.description}: {status.state.name} {status.detail}".rstrip(),
              file=sys.stderr, flush=True)
        try:
            while not args.count or seen < args.count:
                event = scanner.scans.get()
                if isinstance(event, Dropped):
                    print(f"dropped  {event.length:5d} bytes: {event.reason}", file=sys.stderr,
                          flush=True)
                    continue
                _print_scan(describe_scan(event.payload, event.symbology, args.reveal),
                            args.json)
                seen += 1
        except KeyboardInterrupt:
            pass
    return 0


COMMANDS = {
    "ratings": cmd_ratings,
    "decode": cmd_decode,
    "scan": cmd_scan,
    "doctor": cmd_doctor,
    "test-print": cmd_test_print,
    "print-preview": cmd_print_preview,
    "ticket": cmd_ticket,
    "simulate": cmd_simulate,
    "run": cmd_run,
    "screenshots": cmd_screenshots,
    "i18n": cmd_i18n,
}


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "sim":
            return cmd_sim_printer(args)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"kiosk: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"kiosk: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
