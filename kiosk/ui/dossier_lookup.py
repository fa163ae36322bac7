"""Looking a dossier up without making the window wait: the provider is asked on a thread
(kiosk/dossier.py), and its result comes back on the Kivy clock for the visit that asked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kivy.clock import Clock

from kiosk.session import Screen, Session

if TYPE_CHECKING:
    from kiosk.dossier import DossierResult
    from kiosk.ui.app import KioskApp

EXPIRE_SECONDS = 60  # how often answers past the cache's life are dropped


class DossierLookup:
    def __init__(self, app: KioskApp) -> None:
        self.app = app
        self.session = app.session
        self.session.dossier_available = False

    def start(self) -> None:
        """Once the app has its services: the provider, if one is configured, is offered."""
        app = self.app
        self.session.dossier_available = app.dossier is not None
        if app.dossier is not None:
            Clock.schedule_interval(lambda _dt: app.dossier.expire(), EXPIRE_SECONDS)

    def look_up(self, code: str) -> None:
        """From the Check button or a scanned receipt (from any screen)."""
        service = self.app.dossier
        if service is None or not code:
            return
        visit = self.session.dossier_lookup_started(code)
        if visit is None:
            return  # one is being checked already (a second tap, a second scan)

        def done(result: DossierResult) -> None:  # on the lookup's thread
            Clock.schedule_once(lambda _dt: self.session.dossier_looked_up(result, visit))

        service.lookup_in_background(code, done)

    def redraw(self, session: Session) -> None:
        """The dossier screen shown draws the visit's code, lookup and result."""
        if session.screen is Screen.DOSSIER_CODE:
            self.app.screen("dossier_code").show(session.data)
        elif session.screen is Screen.DOSSIER_STATUS:
            self.app.screen("dossier_status").show(session.data.dossier_result,
                                                   self.app.kiosk_config.timezone)
