"""`kiosk screenshots`: every screen in every language to PNG, offscreen.

Walks the real journey (taps included) against a simulated printer and a throw-away
database, so the pictures show what a citizen sees.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import replace
from pathlib import Path

from drivers.sim import SimPrinter
from kiosk.config import Config
from kiosk.scans import SAMPLE_CCCD, classify
from kiosk.session import Feature, Screen, Session
from kiosk.store import TicketStore, open_database, sqlite_url
from kiosk.tickets import TicketService
from kiosk.ui.app import KioskApp
from kiosk.ui.harness import Harness

log = logging.getLogger(__name__)


class ManualClock:
    """A clock the screenshot run moves by hand, to show the idle warning."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def take_screenshots(config: Config, out_dir: Path, languages: list[str]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with SimPrinter() as printer, tempfile.TemporaryDirectory() as data_dir:
        cfg = replace(config, printer_url=printer.url, data_dir=Path(data_dir))
        store = TicketStore(open_database(sqlite_url(cfg.database_path)))
        clock = ManualClock()
        session = Session(cfg.languages, cfg.idle_timeout, cfg.idle_countdown, clock=clock,
                          offer_identify=True)
        app = KioskApp(cfg, TicketService(cfg, store), session=session, kiosk_mode=False)
        h = Harness(app)

        def shot(name: str, lang: str) -> None:
            written.append(h.screenshot(out_dir / f"{name}-{lang}.png"))

        for lang in languages:
            session.end()
            attract = app.screen("attract")
            attract.prompt = app.tr("Touch the screen to start", lang)
            shot("attract", lang)
            h.tap(attract)
            h.wait_until(lambda: session.screen is Screen.LANGUAGE, "the language picker")
            shot("language", lang)
            session.choose_language(lang)
            shot("identify", lang)
            app.on_scan(classify(SAMPLE_CCCD.encode()))  # a made-up citizen's card
            shot("home-greeting", lang)
            session.end()
            session.start()
            session.choose_language(lang)
            session.skip_identify()
            shot("home", lang)
            h.tap(app.screen("home").ids.procedures)
            shot("categories", lang)
            session.choose_category("civil_status")
            shot("procedures", lang)
            session.choose_procedure("HT-01")
            shot("procedure", lang)
            session.open_search()
            for letter in "khai":
                app.screen("search").type(letter)
            shot("search", lang)
            session.home()
            h.tap(app.screen("home").ids.dossier)
            shot("unavailable", lang)
            session.home()
            session.open_feature(Feature.RATING)
            shot("rating", lang)
            session.rating_chosen(unsatisfied=True)
            shot("rating-reasons", lang)
            session.open_feature(Feature.TAKE_NUMBER)
            shot("services", lang)
            session.next_text_size()
            session.next_text_size()  # extra large
            shot("services-xl", lang)
            session.home()
            shot("home-xl", lang)
            session.next_text_size()  # back to normal
            session.open_feature(Feature.TAKE_NUMBER)
            _take_number(h, app, session)
            shot("ticket", lang)
            app.on_scan(classify(app.last_ticket.id.encode()))
            shot("ticket-status", lang)
            app.on_scan(classify(b"https://example.org/an-advert"))
            shot("unknown-code", lang)
            printer.set_fault("paper-out")
            session.home()
            session.open_feature(Feature.TAKE_NUMBER)
            _take_number(h, app, session)
            printer.set_fault(None)
            shot("ticket-not-printed", lang)
            clock.now += cfg.idle_timeout + 1
            session.tick()
            shot("idle", lang)
            session.touch()
        h.next_frame()
    return written


def _take_number(h: Harness, app: KioskApp, session: Session) -> None:
    h.settle()  # a person taps only what has been drawn
    first = app.screen("services").ids.choices.children[-1]  # children are in reverse
    h.tap(first)
    h.wait_until(lambda: session.screen is Screen.TICKET, "the ticket screen")
