"""What the kiosk does after its first frame (docs/architecture.md, "Start-up"): start its
services when `kiosk run` left them to it, read the catalogue, build the other screens one
per frame; and, for benchmarks/startup.py and tests/test_first_frame.py, say when the
attract screen was first drawn and which modules it took."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kivy.clock import Clock
from kivy.core.window import Window

from drivers.printer import DeviceState, PaperState, PrinterStatus
from kiosk.ui.registry import SCREENS

if TYPE_CHECKING:
    # Loaded with the services, after the first frame.
    from kiosk.services import KioskServices
    from kiosk.ui.app import KioskApp

BENCH_ENV = "KIOSK_BENCH_FIRST_FRAME"  # print when the first frame and every screen are done
MODULES_ENV = "KIOSK_FIRST_FRAME_MODULES"  # a file for the modules loaded at the first frame


class Startup:
    def __init__(self, app: KioskApp,
                 start_services: Callable[[], KioskServices] | None) -> None:
        self.app = app
        self._start_services = start_services
        self.services: KioskServices | None = None  # started here; the launcher stops them
        self._failure: BaseException | None = None

    def watch_first_frame(self) -> None:
        """From App.on_start: the window exists, its first frame is next."""
        Window.bind(on_flip=self._first_frame)

    def _first_frame(self, *_args) -> None:
        Window.unbind(on_flip=self._first_frame)
        if os.environ.get(MODULES_ENV):
            Path(os.environ[MODULES_ENV]).write_text("\n".join(sorted(sys.modules)))
        if os.environ.get(BENCH_ENV) or os.environ.get(MODULES_ENV):  # the file is written
            print(f"first-frame {time.time():.6f} screens={len(self.app.manager.screens)}",
                  flush=True)
        if self.app.tickets is None:
            # On the next turn of the loop, before it hands out any touch.
            Clock.schedule_once(self._start_and_use_services)
        Clock.schedule_once(lambda _dt: self.app.housekeeping.load_catalogue())
        Clock.schedule_interval(self._build_next_screen, 0)

    def _start_and_use_services(self, *_args) -> None:
        app = self.app
        try:
            self.services = self._start_services()  # type: ignore[misc]
        except BaseException as exc:  # noqa: BLE001  (raised again by raise_failure)
            self._failure = exc
            app.stop()
            return
        app.tickets, app.scans = self.services.tickets, self.services.scans
        app.chip, app.dossier = self.services.chip, self.services.dossier
        app.session.offer_identify = bool(app.scans)
        self.use_services()

    def use_services(self) -> None:
        """The app follows its services: the printer's and the link's marks, scans, the
        ratings' store, the dossier provider."""
        from kiosk.ratings import RatingService
        from kiosk.scan_trigger import IdentifyStepTrigger
        from kiosk.store.ratings import RatingStore

        app = self.app
        if app.ratings is None:
            app.ratings = RatingService(RatingStore(app.tickets.store.engine),
                                        app.kiosk_config.timezone)
        # A host-triggered scanner (config devices.scanner_trigger) reads on the identify step.
        app.scan_trigger = IdentifyStepTrigger(app.session, app.scans)
        app.dossier_available = app.dossier is not None
        app.dossier_lookup.start()
        # Called on the supervisor's thread: hand over to the Kivy clock.
        app.tickets.printers.subscribe(
            lambda status: Clock.schedule_once(lambda _dt: self._printer_changed(status)))
        self._printer_changed(app.tickets.printers.status)
        app.centre_status.watch()
        for source in app.scans:
            # Called on the reader's thread: hand over to the Kivy clock.
            source.subscribe(lambda found: Clock.schedule_once(lambda _dt: app.on_scan(found)))

    def _printer_changed(self, status: PrinterStatus) -> None:
        if status.state is DeviceState.UNKNOWN:
            self.app.printer_mark = "unknown"
        elif not status.can_print:
            self.app.printer_mark = "fault"
        elif status.paper is PaperState.LOW:
            self.app.printer_mark = "low"
        else:
            self.app.printer_mark = "ok"

    def raise_failure(self) -> None:
        """Once the app has ended: what start_services raised, if it did (a database the
        kiosk cannot use is one line for staff, as before the window)."""
        if self._failure is not None:
            raise self._failure

    def _build_next_screen(self, *_args) -> bool:
        """Builds one screen not built yet; False (stop) when all are."""
        app = self.app
        for name in SCREENS:
            if not app.manager.has_screen(name):
                app.screen(name)
                return True
        if app.catalogue is not None:
            # Then the rows the procedure screens will show, one per frame too (their
            # module is loaded: their screens are built).
            from kiosk.ui.catalogue_screens import CatalogueScreen

            for screen in app.manager.screens:
                if isinstance(screen, CatalogueScreen) and screen.make_one_row(app.catalogue):
                    return True
        app.settle_garbage_soon()  # every screen is in memory: collect, then freeze
        if os.environ.get(BENCH_ENV):
            print(f"screens-built {time.time():.6f}", flush=True)  # benchmarks/startup.py
        return False
