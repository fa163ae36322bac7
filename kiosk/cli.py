"""The `kiosk` command for staff and developers: which command runs, and its outcome.

Bad input gets one line on stderr and exit code 2; a device that fails gets a plain
sentence and exit code 1; never a traceback. The command line's grammar is in
kiosk/cli_parsers.py; the commands themselves are in kiosk/commands/.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable

from kiosk.cli_parsers import (  # noqa: F401  (their names here too, as before)
    COUNTER_ACTIONS,
    FAULTS,
    PARSERS,
    OneLineParser,
    build_parser,
    command_word,
)
from kiosk.commands import EXIT_FAILED, EXIT_USAGE, UsageError
from kiosk.config import ConfigError

# Command -> "module in kiosk.commands:function". A command's module is imported only when it
# runs: the modules load drivers, the database or Kivy, and `kiosk --help` or `kiosk decode`
# must not wait for what they do not use.
COMMANDS = {
    "ticket": "tickets:cmd_ticket",
    "tickets": "tickets:cmd_tickets",
    "doctor": "printer:cmd_doctor",
    "test-print": "printer:cmd_test_print",
    "print-preview": "printer:cmd_print_preview",
    "sim": "printer:cmd_sim_printer",  # `sim printer`, the one simulator run on its own
    "dossier-provider": "dossier:cmd_dossier_provider",  # docs/architecture.md, Dossier status
    "decode": "scanner:cmd_decode",
    "scan": "scanner:cmd_scan",
    "run": "ui:cmd_run",
    "simulate": "ui:cmd_simulate",
    "screenshots": "ui:cmd_screenshots",
    "i18n": "translators:cmd_i18n",
    "voice": "voice:cmd_voice",  # the recording studio (docs/architecture.md, Voice)
    "ratings": "ratings:cmd_ratings",
    "db": "db:cmd_db",
    # The kiosk in a centre (docs/architecture.md, Kiosks in a centre).
    "enrol": "link:cmd_enrol",
    # The centre service (docs/architecture.md, Centre).
    "centre": "centre:cmd_centre",
    "counter": "counter:cmd_counter",
    "stats": "stats:cmd_stats",  # docs/architecture.md, Statistics
    "install-service": "service:cmd_install_service",  # docs/architecture.md, Running unattended
    "staff": "kiosk_staff:cmd_kiosk_staff",  # staff mode's staff (docs/architecture.md)
    # Signed updates and the launcher (docs/architecture.md, Updates).
    "bundle": "bundle:cmd_bundle",
    "launch": "bundle:cmd_launch",
}


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    return _function(COMMANDS[name])


def _function(target: str) -> Callable[[argparse.Namespace], int]:
    """"module in kiosk.commands:function" imported now."""
    module, function = target.split(":")
    return getattr(importlib.import_module(f"kiosk.commands.{module}"), function)


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    try:
        # Only the named command's parser: same Namespace, errors and help as the full one.
        args = build_parser(command_word(argv)).parse_args(argv)
        # A nested command names its function itself (`run`); the others are in COMMANDS.
        run = getattr(args, "run", None)
        return (_function(run) if run else _command(args.command))(args)
    except (UsageError, ConfigError) as exc:
        print(f"kiosk: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # Whoever read our output stopped early (`| head -1`): nothing is wrong here. The
        # standard output goes to /dev/null so that Python's flush at exit stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
