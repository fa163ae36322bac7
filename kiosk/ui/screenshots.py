"""`kiosk screenshots`: every screen in every language to PNG, offscreen.

Walks the real journey (taps included) against a simulated printer and a throw-away
database, so the pictures show what a citizen sees.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
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

        for high_contrast in (False, True):
            for lang in languages:
                suffix = f"-hc-{lang}" if high_contrast else f"-{lang}"

                def shot(name: str, suffix: str = suffix) -> None:
                    written.append(h.screenshot(out_dir / f"{name}{suffix}.png"))

                _walk(h, app, session, printer, clock, cfg, lang, shot, high_contrast)
        h.next_frame()
    return written


def _walk(h: Harness, app: KioskApp, session: Session, printer: SimPrinter,
          clock: ManualClock, cfg: Config, lang: str, shot: Callable[[str], None],
          high_contrast: bool) -> None:
    """One language's journey through every screen, a picture of each."""

    def begin() -> None:
        session.end()
        session.start()
        if high_contrast:
            session.toggle_contrast()  # the citizen's choice: it lasts for the visit
        session.choose_language(lang)

    session.end()
    attract = app.screen("attract")
    attract.prompt = app.tr("Touch the screen to start", lang)
    if not high_contrast:  # every visit starts here in normal colours
        shot("attract")
    h.settle()  # a person taps only what has been drawn
    h.tap(attract)
    h.wait_until(lambda: session.screen is Screen.LANGUAGE, "the language picker")
    if high_contrast:
        session.toggle_contrast()
    shot("language")
    session.choose_language(lang)
    shot("identify")
    app.on_scan(classify(SAMPLE_CCCD.encode()))  # a made-up citizen's card
    shot("home-greeting")
    begin()
    session.skip_identify()
    shot("home")
    h.tap(app.screen("home").ids.procedures)
    shot("categories")
    session.choose_category("civil_status")
    shot("procedures")
    session.choose_procedure("HT-01")
    shot("procedure")
    session.open_search()
    for letter in "khai":
        app.screen("search").type(letter)
    shot("search")
    session.home()
    h.tap(app.screen("home").ids.dossier)
    shot("unavailable")
    session.home()
    session.open_feature(Feature.RATING)
    shot("rating")
    app.rate("unsatisfied")
    reasons = app.screen("rating_reasons").ids.reasons.children
    if reasons:
        h.settle()
        h.tap(reasons[-1])  # one reason chosen, to show both looks
    shot("rating-reasons")
    session.open_feature(Feature.TAKE_NUMBER)
    shot("services")
    session.next_text_size()
    session.next_text_size()  # extra large
    shot("services-xl")
    session.home()
    shot("home-xl")
    session.next_text_size()  # back to normal
    session.open_feature(Feature.TAKE_NUMBER)
    _take_number(h, app, session)
    shot("ticket")
    app.on_scan(classify(app.last_ticket.id.encode()))
    shot("ticket-status")
    app.on_scan(classify(b"https://example.org/an-advert"))
    shot("unknown-code")
    printer.set_fault("paper-out")
    session.home()
    session.open_feature(Feature.TAKE_NUMBER)
    _take_number(h, app, session)
    printer.set_fault(None)
    shot("ticket-not-printed")
    clock.now += cfg.idle_timeout + 1
    session.tick()
    shot("idle")
    session.touch()


def _take_number(h: Harness, app: KioskApp, session: Session) -> None:
    h.settle()  # a person taps only what has been drawn
    first = app.screen("services").ids.choices.children[-1]  # children are in reverse
    h.tap(first)
    h.wait_until(lambda: session.screen is Screen.TICKET, "the ticket screen")
    h.wait_until(lambda: not app.last_ticket.pending, "the printing to end")
