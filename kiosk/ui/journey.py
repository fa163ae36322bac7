"""One walk through every screen, as a citizen goes (taps where a person taps), shared by
`kiosk screenshots` (a picture of each step) and tests/ui/test_journey.py (each step's
touch targets and labels checked), so both see the same screens the same way.

It runs against a simulated printer and a clock moved by hand (the idle warning).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drivers.sim import SAMPLE_CCCD
from kiosk.scans import classify
from kiosk.session import Feature, Screen

if TYPE_CHECKING:
    from drivers.sim import SimPrinter
    from kiosk.dossier_ref import ReferenceProvider
    from kiosk.ui.app import KioskApp
    from kiosk.ui.harness import Harness


class ManualClock:
    """A clock moved by hand, to show the idle warning without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class Choices:
    """What the citizen picks on the way."""

    procedure: str = "HT-01"
    search: str = "khai"
    service: str | None = None  # a service letter; None: the first service area
    # A dossier the reference provider knows (kiosk/dossier_ref.py DEMO_DOSSIERS; the one
    # with the longest status words), and one it does not.
    dossier: str = "H42.123.45-251110-AB0007"
    unknown_dossier: str = "000.00.15.H42-251231-9999"


def every_screen(h: Harness, app: KioskApp, printer: SimPrinter, clock: ManualClock,
                 lang: str, high_contrast: bool = False, text_size_steps: int = 0,
                 choices: Choices = Choices(),
                 provider: ReferenceProvider | None = None) -> Iterator[str]:
    """Yields a name for each step once its screen is shown in `lang` (drawn or not: a
    screenshot settles before reading pixels). The attract screen comes only in normal
    colours: every visit starts there before a citizen chooses high contrast. The dossier
    screens come where the app has a dossier provider; its last answer shown while it is
    down, where `provider` (the reference one the app asks) is given."""
    session = app.session

    def dress() -> None:
        """The citizen's display choices: they last for the visit."""
        for _ in range(text_size_steps):
            session.next_text_size()
        if high_contrast:
            session.toggle_contrast()

    def begin() -> None:
        session.end()
        session.start()
        dress()
        session.choose_language(lang)

    session.end()
    attract = app.screen("attract")
    attract.show_greeting(lang)
    if not high_contrast:
        yield "attract"
    h.settle()  # a person taps only what has been drawn
    h.tap(attract)
    h.wait_until(lambda: session.screen is Screen.LANGUAGE, "the language picker")
    dress()
    yield "language"
    session.choose_language(lang)
    yield "identify"
    app.on_scan(classify(SAMPLE_CCCD.encode()))  # a made-up citizen's card
    yield "home-greeting"
    begin()
    session.skip_identify()
    yield "home"
    h.tap(app.screen("home").ids.procedures)
    yield "categories"
    session.choose_category("civil_status")
    yield "procedures"
    session.choose_procedure(choices.procedure)
    yield "procedure"
    session.open_search()
    for letter in choices.search:
        app.screen("search").type(letter)
    yield "search"
    session.home()
    offered, session.dossier_available = session.dossier_available, False
    h.tap(app.screen("home").ids.dossier)  # as on a kiosk without a dossier provider
    session.dossier_available = offered
    yield "unavailable"
    if app.dossier is not None:
        yield from dossier_screens(h, app, choices, provider)
    session.home()
    session.open_feature(Feature.RATING)
    yield "rating"
    app.rate("unsatisfied")
    reasons = app.screen("rating_reasons").ids.reasons.children
    if reasons:
        h.settle()
        h.tap(reasons[-1])  # one reason chosen, to show both looks
    yield "rating-reasons"
    session.open_feature(Feature.TAKE_NUMBER)
    yield "services"
    session.next_text_size()
    session.next_text_size()  # extra large, from normal
    yield "services-xl"
    session.home()
    yield "home-xl"
    session.next_text_size()  # back to normal, from extra large
    session.open_feature(Feature.TAKE_NUMBER)
    take_number(h, app, choices.service)
    yield "ticket"
    app.on_scan(classify(app.last_ticket.id.encode()))  # type: ignore[union-attr]
    yield "ticket-status"
    app.on_scan(classify(b"https://example.org/an-advert"))
    yield "unknown-code"
    app.clear_banner()  # the next pictures show their own screens, whatever the timing
    printer.set_fault("paper-out")
    session.home()
    session.open_feature(Feature.TAKE_NUMBER)
    take_number(h, app, choices.service)
    printer.set_fault(None)
    yield "ticket-not-printed"
    clock.now += app.kiosk_config.idle_timeout + 1
    session.tick()
    yield "idle"
    session.touch()


def dossier_screens(h: Harness, app: KioskApp, choices: Choices,
                    provider: ReferenceProvider | None) -> Iterator[str]:
    """The code typed on the keyboard, its status; the provider down; an unknown code."""
    session = app.session
    session.home()
    h.settle()  # a person taps only what has been drawn
    h.tap(app.screen("home").ids.dossier)
    h.wait_until(lambda: session.screen is Screen.DOSSIER_CODE, "the dossier code screen")
    for key in choices.dossier:
        app.screen("dossier_code").type(key)
    yield "dossier-code"
    check_dossier(h, app)
    yield "dossier-status"
    if provider is not None:
        provider.set_fault("down")
        try:
            session.check_another_dossier()
            app.type_dossier_code(choices.dossier)
            check_dossier(h, app)
        finally:
            provider.set_fault(None)
        yield "dossier-status-stale"
    session.check_another_dossier()
    app.type_dossier_code(choices.unknown_dossier)
    check_dossier(h, app)
    yield "dossier-code-unknown"


def check_dossier(h: Harness, app: KioskApp) -> None:
    """Touches Check, then waits for the answer: a status, or why there is none."""
    session = app.session
    h.settle()
    h.tap(app.screen("dossier_code").ids.check)
    h.wait_until(lambda: not session.data.dossier_checking and (
        session.screen is Screen.DOSSIER_STATUS or bool(session.data.dossier_message)),
        "the provider's answer")


def service_button(app: KioskApp, letter: str | None):  # type: ignore[no-untyped-def]
    """The services screen's button for `letter`, or its first (None)."""
    buttons = list(reversed(app.screen("services").ids.choices.children))  # in order
    for button in buttons:
        if letter is None or button.letter == letter:
            return button
    raise LookupError(f"no button for service {letter}")


def take_number(h: Harness, app: KioskApp, letter: str | None = None) -> None:
    """Touches a service, then waits, as the citizen does, until the printer is done."""
    h.settle()  # a person taps only what has been drawn
    h.tap(service_button(app, letter))
    h.wait_until(lambda: app.session.screen is Screen.TICKET, "the ticket screen")
    h.wait_until(lambda: not app.last_ticket.pending, "the printing to end")  # type: ignore[union-attr]
