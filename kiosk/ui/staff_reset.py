"""The Reset tab of staff mode: restart the kiosk, put the settings back to the centre's
config, and wipe this kiosk's local data (tickets, ratings, the salt) — only after they
were exported to a USB stick in this staff visit and the staff member typed their PIN
again (kiosk/local_data.py refuses otherwise too)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from kivy.properties import BooleanProperty

from kiosk.bundles.usb import usb_mounts
from kiosk.i18n import N_
from kiosk.kiosk_settings import SettingsRefused, reset_settings
from kiosk.local_data import export_local_data, wipe_local_data
from kiosk.ui.live_settings import apply_settings
from kiosk.ui.staff_screens import ConfirmDialog, StaffTabBase
from kiosk.ui.staff_work import in_background

RESET_SURE = N_("Put this kiosk's settings back to the centre's config?")
RESET_DONE = N_("Settings are the centre's config again.")
NOT_RESET = N_("Settings not reset: {reason}")
NO_USB = N_("No USB stick found. Plug one in and try again.")
EXPORTED = N_("Exported {count} files to {folder}. You may now wipe the local data.")
NOT_EXPORTED = N_("Not exported: {reason}")
WIPE_SURE = N_("Wipe the tickets, ratings and salt of this kiosk? Type your PIN again.")
WRONG_PIN = N_("Wrong PIN: nothing was wiped.")
WIPED = N_("Local data wiped.")
NOT_WIPED = N_("Not wiped: {reason}")


class ResetTab(StaffTabBase):
    exported = BooleanProperty(False)  # an export succeeded in this staff visit

    def shown(self) -> None:
        self.exported = self.control.session.export is not None

    # -- restart ---------------------------------------------------------------------------
    def restart(self) -> None:
        self.offer_restart()

    # -- settings --------------------------------------------------------------------------
    def reset_settings(self) -> None:
        ConfirmDialog(self.control.tr(RESET_SURE), self.control.tr("Reset settings"),
                      lambda _pin: self._reset_settings()).show()

    def _reset_settings(self) -> None:
        try:
            cfg = reset_settings(self.app.kiosk_config)
        except SettingsRefused as exc:
            self.say(NOT_RESET, ok=False, reason=exc)
            return
        apply_settings(self.app, cfg)
        self.control.act("reset_settings")
        self.say(RESET_DONE)

    # -- local data ------------------------------------------------------------------------
    def export(self) -> None:
        cfg = self.app.kiosk_config
        mounts = usb_mounts(cfg.updates.usb_dirs)
        if not mounts:
            self.say(NO_USB, ok=False)
            return
        folder, now = Path(mounts[0]), datetime.now().astimezone()
        engine, session = self.app.tickets.store.engine, self.control.session
        self.ids.export.disabled = True

        def done(paths: list[Path]) -> None:
            self.ids.export.disabled = False
            self.exported = True  # the session noted it: a wipe may follow
            self.say(EXPORTED, count=len(paths), folder=folder)

        def failed(exc: Exception) -> None:
            self.ids.export.disabled = False
            self.say(NOT_EXPORTED, ok=False, reason=exc)

        in_background("export", lambda: export_local_data(engine, folder, now,
                                                          session=session), done, failed,
                      keep_open=True)

    def wipe(self) -> None:
        ConfirmDialog(self.control.tr(WIPE_SURE), self.control.tr("Wipe"), self._wipe,
                      with_pin=True).show()

    def _wipe(self, pin: str) -> None:
        session = self.control.session
        if not session.confirm_pin(pin):
            self.say(WRONG_PIN, ok=False)
            return
        cfg, engine = self.app.kiosk_config, self.app.tickets.store.engine

        def done(_removed: dict) -> None:
            self.exported = False  # a second wipe needs a new export
            self.say(WIPED)

        tickets = self.app.tickets  # its salt in memory goes with the file
        in_background("wipe", lambda: wipe_local_data(cfg, engine, session, tickets), done,
                      lambda exc: self.say(NOT_WIPED, ok=False, reason=exc), keep_open=True)
