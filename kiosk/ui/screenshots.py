"""`kiosk screenshots`: every screen in every language to PNG, offscreen.

Walks the real journey (kiosk/ui/journey.py, taps included) against a simulated printer
and a throw-away database, so the pictures show what a citizen sees; then staff mode's
screens (kiosk/ui/staff_journey.py) in the languages staff mode speaks, normal colours
only (a citizen's contrast choice ends with the visit staff mode ends).
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import replace
from pathlib import Path

from drivers.sim import SimPrinter
from kiosk.config import Config
from kiosk.dossier import dossier_service
from kiosk.dossier_ref import ReferenceProvider
from kiosk.session import Session
from kiosk.store import TicketStore, open_database, sqlite_url
from kiosk.tickets import TicketService
from kiosk.ui.app import KioskApp
from kiosk.ui.harness import Harness
from kiosk.ui.journey import ManualClock, every_screen
from kiosk.ui.staff_control import STAFF_LANGUAGES
from kiosk.ui.staff_journey import staff_screens

log = logging.getLogger(__name__)


def take_screenshots(config: Config, out_dir: Path, languages: list[str]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    # The dossier screens show the reference provider's demonstration dossiers.
    with SimPrinter() as printer, tempfile.TemporaryDirectory() as data_dir, \
            ReferenceProvider() as provider:
        # A test speaker at a twentieth of real time: the ticket's chime is still playing
        # when its picture is taken, so the speaking indicator shows there.
        cfg = replace(config, printer_url=printer.url, data_dir=Path(data_dir),
                      dossier_provider=provider.url,
                      speaker_url=f"file://{Path(data_dir) / 'speaker.wav'}?speed=0.05")
        store = TicketStore(open_database(sqlite_url(cfg.database_path)))
        clock = ManualClock()
        session = Session(cfg.languages, cfg.idle_timeout, cfg.idle_countdown, clock=clock,
                          offer_identify=True)
        app = KioskApp(cfg, TicketService(cfg, store), session=session, kiosk_mode=False,
                       dossier=dossier_service(cfg))
        h = Harness(app)

        for high_contrast in (False, True):
            for lang in languages:
                suffix = f"-hc-{lang}" if high_contrast else f"-{lang}"
                for name in every_screen(h, app, printer, clock, lang, high_contrast,
                                         provider=provider):
                    written.append(h.screenshot(out_dir / f"{name}{suffix}.png"))
        for lang in languages:
            if lang in STAFF_LANGUAGES:
                for name in staff_screens(h, app, lang):
                    written.append(h.screenshot(out_dir / f"{name}-{lang}.png"))
        h.next_frame()
    return written
