"""What `kiosk run` needs besides its window: the ticket store, the printer, the centre
link, the scanners, the chip reader and the dossier provider, started together and stopped
together. No Kivy.

The window starts them after its first frame (kiosk/ui/app.py): their modules (SQLAlchemy,
python-escpos, Pillow, pyserial, httpx …) take longer to load than Kivy itself, and a
citizen, or a kiosk restarting after a crash, should not look at a dark screen meanwhile
(docs/architecture.md, "Start-up").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kiosk.config import Config

if TYPE_CHECKING:
    from kiosk.devices import ChipReaderService, ScannerService
    from kiosk.dossier import DossierStatusService
    from kiosk.tickets import TicketService

log = logging.getLogger("kiosk")


@dataclass
class KioskServices:
    tickets: TicketService
    scans: list[ScannerService] = field(default_factory=list)
    chip: ChipReaderService | None = None
    dossier: DossierStatusService | None = None

    def stop(self) -> None:
        if self.tickets.link is not None:
            self.tickets.link.stop()
        self.tickets.printers.stop()
        if self.dossier is not None:
            self.dossier.close()
        for source in self.scans:
            source.stop()


def start_services(cfg: Config) -> KioskServices:
    """Opens the store (a database it cannot use raises, as before the window) and starts
    the devices and the link; what is started is stopped again if a later step fails."""
    from kiosk.centre_link import link_from_config
    from kiosk.devices import PrinterSupervisor, printer_url
    from kiosk.dossier import dossier_service
    from kiosk.tickets import TicketService, open_ticket_store

    store = open_ticket_store(cfg)
    # With [centre_link] url: numbers through the centre, leases kept topped up meanwhile.
    link = link_from_config(cfg, store.engine)
    printers = PrinterSupervisor(
        printer_url(cfg.printer_url, cfg.printer_profile, cfg.paper_width))
    services = KioskServices(TicketService(cfg, store, printers=printers, link=link))
    try:
        if link is not None:
            link.start()
        printers.start()
        services.scans = _start_readers(cfg)
        services.dossier = dossier_service(cfg)
        services.chip = _chip_reader(cfg)
    except BaseException:
        services.stop()
        raise
    return services


def _start_readers(cfg: Config) -> list[ScannerService]:
    from kiosk.devices import MrzReaderService, ScannerService

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
    from kiosk.devices import ChipReaderService

    if not (cfg.chip_reader and cfg.mrz_reader_url):
        return None
    chip = ChipReaderService(cfg.chip_reader)
    try:
        chip.check()
    except Exception as exc:  # noqa: BLE001
        log.error("chip reader %s not offered: %s", cfg.chip_reader, exc)
        return None
    return chip
