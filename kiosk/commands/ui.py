"""`kiosk run`, `kiosk simulate` and `kiosk screenshots`: the kiosk's screens."""

from __future__ import annotations

import argparse
import logging
import tempfile
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from kiosk.commands import UsageError, config_from, database_errors, setup_logging
from kiosk.config import with_simulated_audio
from kiosk.ui.launch import render_screenshots, run_kiosk

log = logging.getLogger("kiosk")


def cmd_simulate(args: argparse.Namespace) -> int:
    """The kiosk on simulated devices; without a dossier provider in the config, on the
    reference one serving made-up dossiers."""
    # Here, not at the top: `kiosk run` restarts after a crash without loading simulators.
    from drivers.sim import SimPrinter, SimScanner
    from kiosk.sim_console import SIM_COMMANDS, control_from_stdin

    cfg = config_from(args)
    setup_logging()
    with tempfile.TemporaryDirectory(prefix="kiosk-sim-") as folder, SimPrinter() as printer, \
            SimScanner(Path(folder) / "scanner") as scanner, ExitStack() as stack:
        log.info("simulated printer on %s, scanner on %s; type %s, or scan TEXT or scan-id",
                 printer.url, scanner.url, SIM_COMMANDS)
        if not cfg.dossier_provider:  # the reference provider's made-up dossiers
            from kiosk.dossier_ref import DEMO_DOSSIERS, ReferenceProvider

            provider = stack.enter_context(ReferenceProvider())
            cfg = replace(cfg, dossier_provider=provider.url)
            log.info("dossier provider on %s; scan %s to see its status", provider.url,
                     DEMO_DOSSIERS[1]["code"])
        # A test signal for the studio's microphone, and a silent speaker, unless the config
        # names real ones (docs/architecture.md, Voice).
        cfg = with_simulated_audio(cfg)
        control_from_stdin(printer, scanner)
        with database_errors(cfg.database_path):
            return run_kiosk(replace(cfg, printer_url=printer.url, scanner_url=scanner.url),
                             args.fullscreen)


def cmd_run(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    setup_logging()
    fullscreen = cfg.fullscreen if args.fullscreen is None else args.fullscreen
    with database_errors(cfg.database_path):  # a data folder it cannot use: one line
        return run_kiosk(cfg, fullscreen)


def cmd_screenshots(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    langs = args.lang or list(cfg.languages)
    for lang in langs:
        if lang not in cfg.languages:
            raise UsageError(f"--lang {lang!r}: not an offered language; "
                             f"expected one of {', '.join(cfg.languages)}")
    for path in render_screenshots(cfg, args.out, langs, args.size):
        print(path)
    return 0
