"""Starting the Kivy app: the kiosk on its devices (`kiosk run`, `kiosk simulate`) and the
screenshots of every screen (`kiosk screenshots`).

Kivy reads its environment when first imported, so every Kivy import here (KioskApp, the
screenshots) comes inside a function, after kiosk.ui.env.prepare(); this module itself
imports no Kivy, and the CLI imports it only when a UI command runs.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.centre_link import link_from_config
from kiosk.config import Config
from kiosk.devices import (
    ChipReaderService,
    MrzReaderService,
    PrinterSupervisor,
    ScannerService,
    printer_url,
)
from kiosk.dossier import dossier_service
from kiosk.tickets import TicketService, open_ticket_store
from kiosk.ui.env import KIOSK_SIZE, density_for, prepare, window_size

log = logging.getLogger("kiosk")


def run_kiosk(cfg: Config, fullscreen: bool) -> int:
    """Runs the kiosk on the devices cfg names until its window closes; the exit code."""
    size = window_size(fullscreen)
    prepare(fullscreen=fullscreen, size=size)
    log.info("window %dx%d%s, %.2f pixels per dp", *size, " (fullscreen)" if fullscreen else "",
             density_for(size))
    from kiosk.ui.app import KioskApp

    store = open_ticket_store(cfg)
    # With [centre_link] url: numbers through the centre, leases kept topped up meanwhile.
    link = link_from_config(cfg, store.engine)
    if link is not None:
        link.start()
    printers = PrinterSupervisor(
        printer_url(cfg.printer_url, cfg.printer_profile, cfg.paper_width)).start()
    scans = _start_readers(cfg)
    dossier = dossier_service(cfg)
    try:
        app = KioskApp(cfg, TicketService(cfg, store, printers=printers, link=link),
                       kiosk_mode=fullscreen, scans=scans, chip=_chip_reader(cfg),
                       dossier=dossier)
        app.lifecycle.install_signal_handlers()
        app.run()
    finally:
        if link is not None:
            link.stop()
        printers.stop()
        if dossier is not None:
            dossier.close()
        for source in scans:
            source.stop()
    # 0, or kiosk.lifecycle.RESTART_EXIT_CODE: the launcher or systemd starts it again.
    return app.lifecycle.exit_code


def _start_readers(cfg: Config) -> list[ScannerService]:
    scans: list[ScannerService] = []
    for service, url in ((ScannerService(cfg.scanner_url, trigger=cfg.scanner_trigger),
                          cfg.scanner_url),
                         (MrzReaderService(cfg.mrz_reader_url), cfg.mrz_reader_url)):
        if not url:
            continue
        try:
            scans.append(service.start())
        except Exception as exc:  # noqa: BLE001
            # A reader that is missing at start must not keep the kiosk from taking numbers.
            log.error("%s %s not started: %s", type(service).__name__, url, exc)
    return scans


def _chip_reader(cfg: Config) -> ChipReaderService | None:
    if not (cfg.chip_reader and cfg.mrz_reader_url):
        return None
    chip = ChipReaderService(cfg.chip_reader)
    try:
        chip.check()
    except Exception as exc:  # noqa: BLE001
        log.error("chip reader %s not offered: %s", cfg.chip_reader, exc)
        return None
    return chip


def render_screenshots(cfg: Config, out_dir: Path, languages: list[str],
                       size: tuple[int, int] = KIOSK_SIZE) -> list[Path]:
    """Every screen in each language as <screen>-<lang>.png in out_dir, `size` pixels
    (width, height) laid out as the kiosk would on a screen of that size."""
    prepare(fullscreen=False, size=size, headless=True)
    from kiosk.ui.screenshots import take_screenshots

    return take_screenshots(cfg, out_dir, languages)
