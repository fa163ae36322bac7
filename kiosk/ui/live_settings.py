"""Staff settings put in force in the running kiosk, without a restart: at start, after
Save in the Settings tab (kiosk/ui/staff_settings.py) and after a reset. Apart from the
Settings tab so the window's first frame does not load staff mode's modules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.config import Config
from kiosk.kiosk_settings import apply_to_session

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp


def apply_settings(app: KioskApp, cfg: Config) -> None:
    """Makes the running kiosk follow `cfg`'s staff settings, without a restart."""
    before = app.kiosk_config
    app.kiosk_config = cfg
    apply_to_session(cfg, app.session)
    app.text_scale = app.session.text_scale
    app.prompts.volume = cfg.volume / 100
    if cfg.languages != before.languages:
        rebuild_language_screens(app)


def rebuild_language_screens(app: KioskApp) -> None:
    """The attract screen greets in the languages offered now; the language screen, which
    lists them and puts its title in each when built, is built again when next shown."""
    manager = app.manager
    if manager.has_screen("language"):
        manager.remove_widget(manager.get_screen("language"))
    if manager.has_screen("attract"):
        manager.get_screen("attract").offer_languages()
