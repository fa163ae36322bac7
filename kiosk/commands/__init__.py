"""The `kiosk` subcommands, one module per group they serve, and what those modules share.

kiosk/cli.py parses the command line and imports a command's module only when it runs.
"""

from __future__ import annotations

import argparse
import logging

from kiosk.config import Config, load_config

EXIT_FAILED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the command line: one line, exit code 2."""


def config_from(args: argparse.Namespace) -> Config:
    """The settings named by --config and --data-dir, the shipped defaults filling in the rest."""
    return load_config(getattr(args, "config", None), getattr(args, "data_dir", None))


def setup_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
