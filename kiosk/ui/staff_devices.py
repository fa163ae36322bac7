"""The Devices tab of staff mode: the printer, scanners, ID card reader and centre link as
they are now (looked at again every second while the tab is shown), a test print, and
"paper replaced", which asks the printer at once instead of at its next poll so the
header's warning mark clears as soon as the roll is in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kivy.clock import Clock
from kivy.properties import BooleanProperty

from drivers.printer import PrinterError
from kiosk.device_report import DeviceRow, device_rows
from kiosk.devices import describe
from kiosk.i18n import N_
from kiosk.staff import test_page
from kiosk.ui.staff_screens import StaffTabBase
from kiosk.ui.staff_work import in_background, make

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp

REFRESH_SECONDS = 1.0
PRINTED = N_("Test page printed.")
NOT_PRINTED = N_("Test page not printed: {reason}")
PRINTER_SAYS = N_("The printer now says: {state}")


class PrinterNotReady(PrinterError):
    pass


def print_test_page(app: KioskApp) -> int:
    """Prints the test page (kiosk/staff.py) through the kiosk's own printer service, as
    `kiosk test-print` does; the bytes sent. Raises when it cannot print, saying why."""
    cfg, printers = app.kiosk_config, app.tickets.printers
    with printers.printer() as printer:
        status = printer.status()
        printers.report(status)
        if not status.can_print:
            raise PrinterNotReady(describe(status))
        job = test_page(cfg, printers.url, printer.new_job(), cfg.now())
        printer.print_job(job)
    return len(job)


class DevicesTab(StaffTabBase):
    working = BooleanProperty(False)  # the devices are being looked at

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self._refresh = None
        self._shown_rows: list[DeviceRow] | None = None

    def shown(self) -> None:
        self.refresh()
        self._refresh = Clock.schedule_interval(lambda _dt: self.refresh(), REFRESH_SECONDS)

    def hidden(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
            self._refresh = None

    def refresh(self) -> None:
        """Looks at every device on a thread (a card reader may take a while to answer);
        the rows come in the staff's language."""
        if self.working:
            return
        self.working = True
        app = self.app
        link = app.tickets.link

        lang = self.control.lang

        def look() -> list[DeviceRow]:
            return device_rows(app.kiosk_config, app.tickets.printers.status, app.scans,
                               app.chip, link.state if link is not None else None, lang)

        in_background("devices", look, self._show, self._not_looked)

    def _not_looked(self, _exc: Exception) -> None:
        self.working = False

    def _show(self, rows: list[DeviceRow]) -> None:
        self.working = False
        if rows == self._shown_rows:
            return  # unchanged: no new textures every second
        self._shown_rows = rows
        box = self.ids.rows
        box.clear_widgets()
        for row in rows:
            box.add_widget(make("DeviceRowView", name=row.name, state=row.state,
                                                 detail=row.detail, ok=row.ok))

    def test_print(self) -> None:
        control, screen = self.app.staff, self.app.screen("staff")
        control.act("test_print")
        self.ids.test_print.disabled = True

        def printed(sent: int) -> None:
            self.ids.test_print.disabled = False
            screen.tell(control.tr(PRINTED))

        def failed(exc: Exception) -> None:
            self.ids.test_print.disabled = False
            screen.tell(control.tr(NOT_PRINTED).format(reason=exc), ok=False)

        in_background("test print", lambda: print_test_page(self.app), printed, failed,
                      keep_open=True)

    def paper_replaced(self) -> None:
        app, control = self.app, self.app.staff
        control.act("paper_replaced")

        def checked(status) -> None:  # type: ignore[no-untyped-def]
            app.screen("staff").tell(control.tr(PRINTER_SAYS).format(state=describe(status)),
                                     ok=status.can_print)
            self.refresh()

        in_background("printer check", app.tickets.printers.check_now, checked,
                      lambda exc: None)
