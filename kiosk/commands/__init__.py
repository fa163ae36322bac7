"""The `kiosk` subcommands, one module per group they serve, and what those modules share.

kiosk/cli_parsers.py parses the command line; kiosk/cli.py imports a command's module only
when it runs.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk.config import Config, load_config, parse_kiosk_printer_url

EXIT_FAILED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the command line: one line, exit code 2."""


def config_from(args: argparse.Namespace) -> Config:
    """The settings named by --config and --data-dir, the shipped defaults filling in the rest."""
    return load_config(getattr(args, "config", None), getattr(args, "data_dir", None))


def setup_logging(level: int = logging.INFO) -> None:
    from kiosk.lifecycle import JournalFormatter, logging_to_journal

    if logging_to_journal():  # under systemd: priorities, and journald's own timestamps
        handler = logging.StreamHandler()
        handler.setFormatter(JournalFormatter())
        logging.basicConfig(level=level, handlers=[handler])
        return
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def check_printer_url(url: str) -> None:
    """A --printer URL that cannot name a printer is a usage error, found before anything
    is done with it (a ticket's number, a test page)."""
    from drivers.printer import PrinterError

    try:
        parse_kiosk_printer_url(url)
    except (ValueError, PrinterError) as exc:
        raise UsageError(f"--printer {url!r}: {exc}") from None


@contextmanager
def database_errors(path: Path) -> Iterator[None]:
    """A database that cannot be opened, read or written (a wrong folder, a read-only or
    corrupt file, another program's database, a full disk) is for staff to put right:
    one line naming it, exit code 2. (The store's modules are loaded only if something
    failed: `kiosk run` opens its database after its first frame.)"""
    try:
        yield
    except Exception as exc:
        from sqlalchemy.exc import SQLAlchemyError

        from kiosk.store import StoreUnavailable

        if isinstance(exc, StoreUnavailable):
            raise UsageError(str(exc)) from None
        if isinstance(exc, SQLAlchemyError):
            reason = getattr(exc, "orig", None) or exc
            raise UsageError(f"database {path}: {reason}") from None
        raise
