"""Where the kiosk's memory goes: proportional set size after each stage of start-up.

    .venv/bin/python benchmarks/memory_stages.py

Real window offscreen (software GL), the lobby's window size. Each line is the PSS of this
process after a stage; the differences say what each part costs. The printer is not
reachable (nothing is printed), which does not change what is loaded.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import psutil

from kiosk.ui.env import prepare

PROCESS = psutil.Process()


def pss(stage: str) -> None:
    print(f"{PROCESS.memory_full_info().pss / 1e6:7.1f} MB  {stage}", flush=True)


def main() -> None:
    pss("Python")
    prepare(fullscreen=False, size=(720, 1280), headless=True)
    import kivy.core.window  # noqa: F401  (creates the window and the GL context)

    pss("+ Kivy's window and software GL")
    from kiosk.config import load_config
    from kiosk.store import TicketStore, open_database, sqlite_url

    pss("+ SQLAlchemy (the store)")
    from kiosk.tickets import TicketService

    pss("+ python-escpos (ticket layout and printer)")
    from kiosk.ui.app import KioskApp
    from kiosk.ui.harness import Harness
    from kiosk.ui.registry import SCREENS

    pss("+ the UI modules")
    with tempfile.TemporaryDirectory() as data:
        cfg = replace(load_config(), data_dir=Path(data), printer_url="tcp://127.0.0.1:9",
                      speaker_url="null://")
        store = TicketStore(open_database(sqlite_url(cfg.database_path)))
        app = KioskApp(cfg, TicketService(cfg, store), kiosk_mode=False)
        harness = Harness(app)
        harness.settle(2)
        pss("+ kv rules, fonts, icons and the first frame (attract screen)")
        harness.wait_until(lambda: len(app.manager.screens) == len(SCREENS),
                           "every screen to be built", max_frames=100_000)
        harness.settle(3)
        pss("+ the other screens")
        app.prompts.warm_up().join()  # as 2 s after the first frame (KioskApp.on_start)
        pss("+ the speaker and the decoders of its first prompt (numpy, libsndfile)")


if __name__ == "__main__":
    main()
