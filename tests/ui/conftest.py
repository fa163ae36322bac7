"""UI tests: one real Kivy window for this whole process (Kivy allows one per process).

Run by tests/test_ui_suite.py in a subprocess, or directly: python -m pytest tests/ui
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from kiosk.ui.env import parse_size, prepare

# The window's size: the portrait kiosk, or another screen tests/test_ui_suite.py asks for.
UI_SIZE = parse_size(os.environ.get("KIOSK_UI_SIZE", "1080x1920"))
# Before any Kivy import: the environment, the config and Noto Sans as the default font.
prepare(fullscreen=False, size=UI_SIZE, headless=True)


# The test speaker plays at 4x real time (a prompt's seconds pass in a quarter: the speaking
# indicator still shows for several frames); the test microphone delivers a take at 8x.
SPEAKER_SPEED = 4
MICROPHONE_SPEED = 8


@dataclass
class Kiosk:
    app: object
    harness: object
    session: object
    store: object
    printer: object
    clock: object  # kiosk.ui.journey.ManualClock
    scanner: object
    mrz_reader: object
    chip_card: dict  # {"card": an ApduTransport on the reader, or absent}
    dossier_provider: object  # kiosk.dossier_ref.ReferenceProvider, the one the app asks


@pytest.fixture(scope="session")
def kiosk(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from drivers.sim import SimMrzReader, SimPrinter, SimScanner
    from kiosk.config import load_config
    from kiosk.devices import ChipReaderService, MrzReaderService, ScannerService
    from kiosk.dossier import dossier_service
    from kiosk.dossier_ref import ReferenceProvider
    from kiosk.session import Session
    from kiosk.store import TicketStore, open_database, sqlite_url
    from kiosk.tickets import TicketService
    from kiosk.ui.app import KioskApp
    from kiosk.ui.harness import Harness
    from kiosk.ui.journey import ManualClock

    data: Path = tmp_path_factory.mktemp("data")
    # A file:// speaker and microphone (drivers/audio): what the kiosk says is written to
    # a WAV and its log; the microphone hears a test take (drivers/sim/voice.py).
    from drivers.sim.voice import write_test_takes

    takes = write_test_takes(data / "takes")
    with SimPrinter() as printer, SimScanner(data / "ttySCANNER") as scanner, \
            SimMrzReader(data / "ttyMRZ", kind="3m") as mrz_reader, \
            ReferenceProvider(slow_seconds=5) as provider:
        cfg = replace(load_config(), data_dir=data, printer_url=printer.url,
                      scanner_url=scanner.url, dossier_provider=provider.url,
                      dossier_timeout=1.0,
                      speaker_url=f"file://{data / 'speaker.wav'}?speed={SPEAKER_SPEED}",
                      microphone_url=f"file://{takes['good']}?speed={MICROPHONE_SPEED}")
        store = TicketStore(open_database(sqlite_url(cfg.database_path)))
        clock = ManualClock()
        session = Session(cfg.languages, cfg.idle_timeout, cfg.idle_countdown, clock=clock,
                          offer_identify=True)
        scans = ScannerService(cfg.scanner_url).start()
        mrz = MrzReaderService(mrz_reader.url).start()
        chip_card: dict = {}

        def card_on_reader():  # type: ignore[no-untyped-def]
            if "card" not in chip_card:
                raise OSError("no card on the reader")
            return chip_card["card"]

        chip = ChipReaderService("*", transport_factory=card_on_reader)
        app = KioskApp(cfg, TicketService(cfg, store), session=session, kiosk_mode=True,
                       scans=[scans, mrz], chip=chip, dossier=dossier_service(cfg))
        harness = Harness(app)
        try:
            yield Kiosk(app, harness, session, store, printer, clock, scanner, mrz_reader,
                        chip_card, provider)
        finally:
            scans.stop()
            mrz.stop()


@pytest.fixture
def k(kiosk: Kiosk):  # type: ignore[no-untyped-def]
    """The kiosk back on its attract screen, healthy printer, for each test."""
    kiosk.printer.set_fault(None)
    kiosk.dossier_provider.set_fault(None)
    kiosk.chip_card.clear()
    kiosk.session.end()
    kiosk.harness.settle(2)
    yield kiosk
    kiosk.printer.set_fault(None)
