"""Every scan anywhere in the flow, routed by what it is (kiosk/scans.py classifies it).

An ID card identifies the citizen for this visit; an MRZ also starts reading the card's
chip on a thread (names with diacritics, the address), whose result only counts for the
visit that asked for it. A queue ticket shows where it stands, and so does a dossier receipt
where a dossier provider is configured; anything else is explained.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from kivy.clock import Clock

from kiosk.session import Screen

if TYPE_CHECKING:
    from kiosk.devices import ChipReaderService
    from kiosk.identity import Citizen, MachineReadableZone
    from kiosk.scans import Classified
    from kiosk.ui.app import KioskApp

log = logging.getLogger(__name__)


class ScanRouting:
    def __init__(self, app: KioskApp) -> None:
        self.app = app
        self.session = app.session

    def on_scan(self, found: Classified) -> None:
        # Loaded at the first scan, not before the first frame (docs/architecture.md).
        from kiosk.scans import ScanKind, problem_message

        app, session = self.app, self.session
        if found.citizen is not None:
            self._identified(found.citizen)
        elif found.mrz is not None:
            mrz = found.mrz
            identity = mrz.to_identity()  # before the chip thread wipes the MRZ
            # An MRZ has names without diacritics and no address; the chip has them.
            if app.chip is not None:
                threading.Thread(target=self._read_chip, daemon=True,
                                 args=(app.chip, mrz, session.visit)).start()
            self._identified(identity)
        elif found.kind is ScanKind.TICKET:
            # Live from the centre when there is one (kiosk/ui/centre_status.py).
            app.centre_status.show_scanned(found.ticket_id or "")
        elif found.kind is ScanKind.DOSSIER and app.dossier is not None:
            app.dossier_lookup.look_up(found.dossier_code or "")
        elif found.kind is ScanKind.DOSSIER:
            app.say(app.tr("Dossier status is not available at this kiosk yet. "
                           "Please ask at the reception desk."))
        else:
            app.say(app.tr(problem_message(found)))

    def _identified(self, identity: Citizen) -> None:
        if self.session.screen is Screen.ATTRACT:
            self.session.start()
        self.session.identify(identity)
        self.app.say(self.app.tr("Hello, {name}!").format(name=identity.given_name.title()))

    def _read_chip(self, chip: ChipReaderService, mrz: MachineReadableZone,
                   visit: int) -> None:
        try:
            identity = chip.read_identity(mrz)
        except Exception as exc:  # noqa: BLE001
            # The MRZ identity stays; the reason is typed and names no personal data.
            log.warning("chip not read: %s: %s", type(exc).__name__, exc)
            return
        finally:
            mrz.wipe()
        Clock.schedule_once(lambda _dt: self._chip_read(identity, visit))

    def _chip_read(self, identity: Citizen, visit: int) -> None:
        if visit != self.session.visit:  # the citizen has gone: forget it at once
            identity.wipe()
            return
        self.session.identify(identity)
        self.app.say(self.app.tr("Hello, {name}!").format(name=identity.given_name))

