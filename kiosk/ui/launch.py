"""Starting the Kivy app: the kiosk on its devices (`kiosk run`, `kiosk simulate`) and the
screenshots of every screen (`kiosk screenshots`).

Kivy reads its environment when first imported, so every Kivy import here (KioskApp, the
screenshots) comes inside a function, after kiosk.ui.env.prepare(); this module itself
imports no Kivy, and the CLI imports it only when a UI command runs.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.config import Config
from kiosk.services import KioskServices, start_services
from kiosk.ui.env import KIOSK_SIZE, density_for, prepare, window_size

log = logging.getLogger("kiosk")


def run_kiosk(cfg: Config, fullscreen: bool) -> int:
    """Runs the kiosk on the devices cfg names until its window closes; the exit code.

    The window comes first: the store, the printer and the other devices are started
    after the attract screen's first frame (kiosk/services.py); a database it cannot use
    raises from here all the same."""
    size = window_size(fullscreen)
    prepare(fullscreen=fullscreen, size=size)
    log.info("window %dx%d%s, %.2f pixels per dp", *size, " (fullscreen)" if fullscreen else "",
             density_for(size))
    from kiosk.ui.app import KioskApp

    app = KioskApp(cfg, kiosk_mode=fullscreen, start_services=lambda: start_services(cfg))
    app.lifecycle.install_signal_handlers()
    try:
        app.run()
    finally:
        services: KioskServices | None = app.startup.services
        if services is not None:
            services.stop()
    app.startup.raise_failure()
    # 0, or kiosk.lifecycle.RESTART_EXIT_CODE: the launcher or systemd starts it again.
    return app.lifecycle.exit_code


def render_screenshots(cfg: Config, out_dir: Path, languages: list[str],
                       size: tuple[int, int] = KIOSK_SIZE) -> list[Path]:
    """Every screen in each language as <screen>-<lang>.png in out_dir, `size` pixels
    (width, height) laid out as the kiosk would on a screen of that size."""
    prepare(fullscreen=False, size=size, headless=True)
    from kiosk.ui.screenshots import take_screenshots

    return take_screenshots(cfg, out_dir, languages)
