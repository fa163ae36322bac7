"""The `kiosk` command's grammar: every command's arguments (argparse), and which parser a
command line needs. kiosk/cli.py runs what it parses.

Only the parser of the command being run is built (PARSERS, command_word): `kiosk run` starts
the kiosk ~10 ms sooner; with no known command (--help, a misspelt one) all are, as usage needs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import NoReturn

from kiosk import __version__
from kiosk.commands import UsageError

# drivers.sim.printer.FAULTS, spelt out so that parsing does not load the simulator
# (tests/test_cli.py checks that they agree).
FAULTS = ("paper-out", "paper-low", "cover-open", "offline", "silent", "garbage", "slow",
          "disconnect-mid-job")

# kiosk.centre.api.COUNTER_ACTIONS, spelt out so that parsing does not load Starlette.
COUNTER_ACTIONS = ("call", "recall", "start", "served", "no-show", "transfer", "pause",
                   "resume")


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _window_size(text: str) -> tuple[int, int]:
    from kiosk.ui.env import parse_size  # no Kivy: only ctypes

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _common(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS keeps a value given before the subcommand from being reset to None.
    parser.add_argument("--config", type=Path, default=argparse.SUPPRESS,
                        help="settings file (TOML); the shipped defaults fill in the rest")
    parser.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                        help="folder where the database lives")


def add_receiver_parser(centre: argparse._SubParsersAction) -> None:
    """`kiosk centre receiver`: events to the province (kiosk/centre/province.py)."""
    p = centre.add_parser("receiver",
                       help="the reference receiver of the centre's events (tests, or a "
                            "province without its own endpoint)")
    _common(p)
    p.add_argument("--listen", required=True, metavar="HOST:PORT", help="where to listen")
    p.add_argument("--data", type=Path, required=True, metavar="FILE.sqlite3",
                   help="SQLite file keeping the events (made if missing)")
    p.add_argument("--token", help="require this bearer token")
    p.set_defaults(run="province:cmd_receiver")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of `command` alone (one of PARSERS): `kiosk run` need
    not wait ~10 ms for the parsers of the other ~70 commands and subcommands."""
    parser = OneLineParser(prog="kiosk", description="Lobby kiosk for commune service centres.")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    _common(parser)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for add in PARSERS.values() if command is None else (PARSERS[command],):
        add(sub)
    return parser


def _simulate_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="the kiosk on a simulated printer, no config needed")
    _common(p)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--fullscreen", dest="fullscreen", action="store_true", default=False)
    mode.add_argument("--windowed", dest="fullscreen", action="store_false")


def _run_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="the kiosk on the devices named in the config")
    _common(p)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--fullscreen", dest="fullscreen", action="store_true", default=None)
    mode.add_argument("--windowed", dest="fullscreen", action="store_false")


def _ticket_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ticket", help="issue a queue number on a citizen's behalf")
    _common(p)
    p.add_argument("--service", required=True, help="service letter, e.g. A")
    p.add_argument("--lang", default="vi", help="language of the printed ticket (default vi)")
    p.add_argument("--printer", help="printer URL, instead of the configured one")
    p.add_argument("--json", action="store_true", help="report as JSON")


def _tickets_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tickets", help="a day's numbers and what became of each (printed, "
                                       "not printed, interrupted)")
    _common(p)
    p.add_argument("--day", type=_day, help="the day, YYYY-MM-DD (default today)")
    p.add_argument("--json", action="store_true", help="report as JSON")


def _sim_command(sub: argparse._SubParsersAction) -> None:
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


def _doctor_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check every configured device (or one printer)")
    _common(p)
    p.add_argument("--printer", help="check this printer URL instead")
    p.add_argument("--json", action="store_true", help="report as JSON")


def _test_print_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("test-print", help="print a test page: every language's letters, a QR")
    _common(p)
    p.add_argument("--printer", help="printer URL, instead of the configured one")


def _print_preview_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("print-preview", help="render captured ESC/POS bytes to PNG")
    _common(p)
    p.add_argument("jobfile", type=Path, help="a file of raw ESC/POS bytes (e.g. job-0001.bin)")
    p.add_argument("--png", type=Path, required=True, help="where to write the picture")
    p.add_argument("--width", type=int, choices=(384, 576), default=None,
                   help="paper width in dots (default: the configured one)")


def _dossier_provider_command(sub: argparse._SubParsersAction) -> None:
    """Dossier status (docs/architecture.md, Dossier status): the reference provider."""
    p = sub.add_parser("dossier-provider", help="serve dossier statuses from a JSON file "
                                                "(the reference provider, for tests and demos)")
    _common(p)
    p.add_argument("--listen", default="127.0.0.1:8765",
                   help="HOST:PORT to listen on (default 127.0.0.1:8765)")
    p.add_argument("--data", type=Path,
                   help="JSON list of dossiers (default: a few made-up demonstration ones)")
    p.add_argument("--fault", choices=("slow", "500", "garbage", "down"),
                   help="start with this fault")
    p.add_argument("--slow-seconds", type=float, default=10.0,
                   help="how long a slow answer takes (default 10)")


def _decode_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("decode", help="say what one scanned payload (on stdin) is")
    _common(p)
    p.add_argument("--json", action="store_true", help="report as JSON")
    p.add_argument("--reveal", action="store_true",
                   help="show personal data in clear (staff only, never in a ticket or log)")


def _scan_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", help="print what a scanner sends, decoded")
    _common(p)
    p.add_argument("--port", required=True,
                   help="scanner URL: a device path, serial://, loop://, socket:// ...")
    p.add_argument("--count", type=int, default=0, help="stop after N scans (default: never)")
    p.add_argument("--json", action="store_true", help="one JSON object per scan")
    p.add_argument("--reveal", action="store_true", help="show personal data in clear")


def _screenshots_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("screenshots", help="render every screen in every language to PNG")
    _common(p)
    p.add_argument("--out", type=Path, required=True, help="folder for <screen>-<lang>.png")
    p.add_argument("--lang", action="append", help="only this language (repeatable)")
    p.add_argument("--size", type=_window_size, default=(1080, 1920), metavar="WxH",
                   help="screen size in pixels, laid out as the kiosk would on it "
                        "(default 1080x1920; e.g. 1920x1080, 1280x800)")


def _i18n_command(sub: argparse._SubParsersAction) -> None:
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


def _ratings_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ratings", help="satisfaction ratings per day and service")
    _common(p)
    p.add_argument("--from", dest="day_from", type=_day,
                   help="first day, YYYY-MM-DD (default today)")
    p.add_argument("--to", dest="day_to", type=_day, help="last day, YYYY-MM-DD (default today)")
    p.add_argument("--json", action="store_true", help="report as JSON")


def _db_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="the database's schema: its revision, and upgrading it")
    _common(p)
    db = p.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    for action, text in (("upgrade", "bring the schema to the newest revision (from → to)"),
                         ("current", "the schema's revision")):
        dp = db.add_parser(action, help=text)
        _common(dp)
        dp.add_argument("--url", help="the database: sqlite:///PATH or "
                                      "postgresql+psycopg://USER@HOST:PORT/DB "
                                      "(default: the configured SQLite file)")
        dp.add_argument("--json", action="store_true", help="report as JSON")


def _enrol_command(sub: argparse._SubParsersAction) -> None:
    """`kiosk enrol`: the kiosk in a centre (docs/architecture.md, Kiosks in a centre)."""
    p = sub.add_parser("enrol", help="join a centre with the one-time code staff printed there")
    _common(p)
    p.add_argument("--centre", required=True, help="the centre's URL, https://HOST:PORT")
    p.add_argument("--fingerprint", required=True,
                   help="the SHA-256 of the centre's CA, as `kiosk centre init` printed it")
    p.add_argument("--code", required=True, help="the one-time code from `kiosk centre enrol`")
    p.add_argument("--name", help="this kiosk's name at the centre (default: the code's)")


def _voice_command(sub: argparse._SubParsersAction) -> None:
    """`kiosk voice list|record|export`: the recording studio on a terminal, and its work for
    the centre's other kiosks (kiosk/commands/voice.py)."""
    p = sub.add_parser("voice", help="voice prompts and number-call segments: list, record, export")
    _common(p)
    voice = p.add_subparsers(dest="voice_action", required=True, parser_class=OneLineParser)
    vp = voice.add_parser("list", help="what a language's voice needs, and what is recorded")
    _common(vp)
    vp.add_argument("--lang", required=True, help="language tag, e.g. kpm")
    vp.add_argument("--json", action="store_true", help="as JSON")
    vp = voice.add_parser("record", help="record what a language lacks, on this terminal "
                                         "(Enter starts and stops a take)")
    _common(vp)
    vp.add_argument("--lang", required=True, help="language tag, e.g. kpm")
    vp.add_argument("--source", metavar="URL",
                    help="microphone URL (default: [devices] microphone), e.g. "
                         "sounddevice://, file:///path/take.wav")
    vp.add_argument("--speaker", metavar="URL",
                    help="where Listen plays (default: [devices] speaker), e.g. null://")
    vp.add_argument("--only", metavar="ID",
                    help="record this item only, even if recorded (e.g. attract, segments/a)")
    vp = voice.add_parser("export", help="copy this kiosk's recordings and typed translations "
                                         "into a folder to sign as a content bundle")
    _common(vp)
    vp.add_argument("--out", type=Path, required=True, metavar="DIR",
                    help="a new or empty folder (then: kiosk bundle build --kind content "
                         "--from DIR …)")
    vp.add_argument("--lang", action="append", default=[],
                    help="only this language (repeatable; default: every language)")


def _centre_command(sub: argparse._SubParsersAction) -> None:
    """`kiosk centre …`: the centre service (docs/architecture.md, Centre)."""
    p = sub.add_parser("centre", help="the centre service: certificates, terminals, serving")
    _common(p)
    centre = p.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    cp = centre.add_parser("init", help="make the centre's CA and server certificate (kept "
                                        "when present); print the CA fingerprint")
    _common(cp)
    cp.add_argument("--force", action="store_true",
                    help="a NEW CA: every terminal must then enrol again")
    cp = centre.add_parser("enrol", help="a one-time code enrolling a terminal (24 h)")
    _common(cp)
    cp.add_argument("--kind", required=True, choices=("kiosk", "counter", "display"))
    cp.add_argument("--name", required=True, help="the terminal's name, e.g. kiosk-1")
    cp = centre.add_parser("revoke", help="end a terminal's token")
    _common(cp)
    cp.add_argument("name")
    cp = centre.add_parser("terminals", help="enrolled, revoked and pending terminals")
    _common(cp)
    cp.add_argument("--json", action="store_true", help="as JSON")
    cp = centre.add_parser("serve", help="run the centre service (HTTPS)")
    _common(cp)
    cp.add_argument("--listen", type=_listen, metavar="HOST:PORT",
                    help="instead of [centre_service] listen")
    cp.add_argument("--plain", action="store_true",
                    help="plain HTTP, for development on this machine only")

    add_staff_parser(centre, kiosk=False)
    add_receiver_parser(centre)


def _counter_command(sub: argparse._SubParsersAction) -> None:
    """`kiosk counter …`: a counter's actions at the centre (docs/architecture.md, Centre)."""
    p = sub.add_parser("counter", help="act at a counter: call the next number, recall, ...")
    _common(p)
    p.add_argument("action", choices=COUNTER_ACTIONS)
    p.add_argument("--counter", type=_counter_number, required=True, metavar="N")
    p.add_argument("--to", metavar="SERVICE", help="with transfer: the service to send it to")
    p.add_argument("--json", action="store_true", help="report as JSON")


def _listen(text: str) -> tuple[str, int]:
    from kiosk.config import parse_listen

    try:
        return parse_listen(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


# `kiosk centre staff …` (the staff who sign in at the counter pages) and `kiosk staff …`
# (the staff who open staff mode on this kiosk's screen). The centre's, nested, names its
# command's function in `run` (see main).
def add_staff_parser(parent: argparse._SubParsersAction, kiosk: bool) -> None:
    p = parent.add_parser("staff", help=(
        "staff who may open staff mode on this kiosk's screen (name + PIN), and their audit log"
        if kiosk else "staff who sign in at the counter pages (name + PIN)"))
    _common(p)
    if not kiosk:
        p.set_defaults(run="centre_staff:cmd_centre_staff")
    staff = p.add_subparsers(dest="staff_action", required=True, parser_class=OneLineParser)
    sp = staff.add_parser("add", help="add a staff member; the PIN is asked (or read from "
                                      "standard input)")
    sp.add_argument("name", help="the name they sign in with, e.g. \"Nguyễn Thị Lan\"")
    if not kiosk:
        sp.add_argument("--counters", help="only these counters, e.g. 1,2 (default: any)")
    sp = staff.add_parser("remove", help="remove a staff member" if kiosk
                          else "remove a staff member and end their sessions")
    sp.add_argument("name")
    sp = staff.add_parser("list", help="staff" if kiosk else "staff and their counters")
    sp.add_argument("--json", action="store_true", help="as JSON")
    if kiosk:
        sp = staff.add_parser("audit", help="what staff did in staff mode, newest last")
        sp.add_argument("--json", action="store_true", help="as JSON")
        sp.add_argument("--limit", type=_audit_limit, default=50, metavar="N",
                        help="the newest N entries (default 50)")
    for sp in staff.choices.values():
        _common(sp)
        if not kiosk:
            sp.add_argument("--url", help="database URL (default: the centre's, from the config)")


def _staff_command(sub: argparse._SubParsersAction) -> None:
    add_staff_parser(sub, kiosk=True)


def _audit_limit(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 100_000:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number of entries from 1 to "
                                         "100000")
    return int(text)


def _counter_number(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 10_000:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a counter number like 3")
    return int(text)


def _stats_command(sub: argparse._SubParsersAction) -> None:
    """`kiosk stats` (docs/architecture.md, Statistics)."""
    p = sub.add_parser("stats", help="tickets per hour and service, waiting and service "
                                     "times, no-shows, ratings")
    _common(p)
    p.add_argument("--day", type=_stats_day, help="the (first) day, YYYY-MM-DD (default today)")
    p.add_argument("--to", dest="day_to", type=_stats_day, help="the last day, YYYY-MM-DD")
    p.add_argument("--centre", action="store_true",
                   help="the centre's database ([centre_service] database), not this kiosk's")
    p.add_argument("--json", action="store_true", help="report as JSON")
    p.add_argument("--csv", type=Path, metavar="FILE",
                   help="also write one row per hour and service to FILE (UTF-8, for Excel)")


def _service_command(sub: argparse._SubParsersAction) -> None:
    """`kiosk install-service` (docs/architecture.md, Running unattended)."""
    p = sub.add_parser("install-service", help="install and enable the systemd unit that runs "
                                               "the kiosk unattended on tty1")
    _common(p)
    p.add_argument("--user", default="kiosk", help="the dedicated user it runs as "
                                                   "(default kiosk)")
    p.add_argument("--session", choices=("cage", "x11"), default="cage",
                   help="its screen: the cage Wayland compositor (default) or a bare X server")
    p.add_argument("--unit-dir", type=Path, metavar="DIR",
                   help="write the unit there and stop (default /etc/systemd/system, then "
                        "systemctl daemon-reload and enable)")
    p.add_argument("--dry-run", action="store_true", help="print the unit, change nothing")


def _bundle_command(sub: argparse._SubParsersAction) -> None:
    """`kiosk bundle …`: signed updates (docs/architecture.md, Updates)."""
    from kiosk.commands.bundle import add_bundle_parser  # ~3 ms: only when it is built

    add_bundle_parser(sub, _common, OneLineParser)


def _launch_command(sub: argparse._SubParsersAction) -> None:
    """`kiosk launch`: the launcher (docs/architecture.md, Updates)."""
    from kiosk.commands.bundle import add_launch_parser

    add_launch_parser(sub, _common)


# Command -> the function adding its parser, in the order `kiosk --help` lists them.
PARSERS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "simulate": _simulate_command,
    "run": _run_command,
    "ticket": _ticket_command,
    "tickets": _tickets_command,
    "sim": _sim_command,
    "doctor": _doctor_command,
    "test-print": _test_print_command,
    "print-preview": _print_preview_command,
    "dossier-provider": _dossier_provider_command,
    "decode": _decode_command,
    "scan": _scan_command,
    "screenshots": _screenshots_command,
    "i18n": _i18n_command,
    "voice": _voice_command,
    "ratings": _ratings_command,
    "db": _db_command,
    "enrol": _enrol_command,
    "centre": _centre_command,
    "counter": _counter_command,
    "stats": _stats_command,
    "install-service": _service_command,
    "staff": _staff_command,
    "bundle": _bundle_command,
    "launch": _launch_command,
}


def _stats_day(text: str) -> date:
    from kiosk.stats import parse_day  # strict YYYY-MM-DD; loaded only for `kiosk stats`

    try:
        return parse_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a date like 2026-11-28") from None


def command_word(argv: list[str]) -> str | None:
    """The command `argv` plainly names: its first word after any `--config X` / `--data-dir X`
    (or `--config=X`), when that is one of PARSERS; else None (no command, --help, --version,
    a misspelt command, an abbreviated or unusual option...), and the full parser answers."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if word in ("--config", "--data-dir"):
            if i + 1 < len(argv) and argv[i + 1].startswith("-"):
                return None  # argparse would not take it as the value: leave it to the full one
            i += 2
        elif word.startswith(("--config=", "--data-dir=")):
            i += 1
        else:
            return word if word in PARSERS else None
    return None
