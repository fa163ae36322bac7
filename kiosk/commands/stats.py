"""`kiosk stats`: a day's (or a range of days') figures for staff: tickets per hour and
service, what became of them, waiting and service times, ratings (docs/architecture.md,
Statistics)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine

from kiosk.commands import UsageError, config_from, database_errors
from kiosk.commands.centre import centre_database
from kiosk.config import Config
from kiosk.i18n import translate
from kiosk.ratings import format_summary_table
from kiosk.stats import check_range, format_report, read_report, report_csv, report_json
from kiosk.store import open_database_file


def cmd_stats(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    day_from = args.day or cfg.now().date()
    day_to = args.day_to or day_from
    try:  # before the database is opened: a typo costs nothing
        check_range(day_from, day_to)
    except ValueError as exc:
        raise UsageError(f"--day {day_from} --to {day_to}: {exc}") from None
    csv_file = _csv_target(args.csv) if args.csv else None
    letters = [s.letter for s in cfg.services]
    with _database_errors(cfg, args.centre):
        # --centre: the centre's database ([centre_service] database: PostgreSQL, or its
        # SQLite file), whose password stays in the config, off the command line.
        engine = _centre_engine(cfg) if args.centre else open_database_file(cfg.database_path)
        try:
            report = read_report(engine, day_from, day_to, cfg.timezone, letters)
        finally:
            engine.dispose()
    if csv_file is not None:
        # UTF-8 with a byte order mark: Excel opens a CSV without one in the PC's ANSI code
        # page and turns Vietnamese into mojibake; with it, Excel, LibreOffice and Python's
        # "utf-8-sig" all read it right.
        try:
            csv_file.write_text(report_csv(report), encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise UsageError(f"--csv {csv_file}: cannot be written ({exc.strerror})") from None
    if args.json:
        print(json.dumps(report_json(report), ensure_ascii=False, indent=2))
    elif csv_file is None:
        print(format_report(report, lambda rows: format_summary_table(
            rows, lambda m: translate("vi", m))).rstrip("\n"))
    else:
        print(f"{len(report.hours)} rows written to {csv_file}")
    return 0


def _csv_target(path: Path) -> Path:
    """The CSV's path, checked before any work: its folder must exist and it must not be a
    folder itself."""
    if path.is_dir():
        raise UsageError(f"--csv {path}: is a folder, not a file")
    if not path.parent.is_dir():
        raise UsageError(f"--csv {path}: no folder {path.parent}")
    return path




def _centre_engine(cfg: Config) -> Engine:
    from kiosk.centre.serve import open_centre_database  # uvicorn: only for --centre

    return open_centre_database(cfg)


@contextmanager
def _database_errors(cfg: Config, centre: bool) -> Iterator[None]:
    """The shared one-line refusal, kept to one line: a PostgreSQL error is often two."""
    try:
        with centre_database(cfg) if centre else database_errors(cfg.database_path):
            yield
    except UsageError as exc:
        raise UsageError(" ".join(str(exc).split())) from None
