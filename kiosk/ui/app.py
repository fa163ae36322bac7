"""The Kivy application: wires the session state machine to screens and services.

It holds no rules of its own: the session decides where to go, the ticket service issues
numbers; this class moves their results onto the screen on the Kivy clock.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from drivers.printer import DeviceState, PaperState, PrinterStatus
from kiosk.catalogue import DEFAULT_CATALOGUE, Catalogue
from kiosk.config import Config
from kiosk.content import audio_dirs, content_stamp, load_content_catalogue
from kiosk.devices import ChipReaderService, ScannerService
from kiosk.i18n import translate, translate_marked
from kiosk.prompts import find_recording
from kiosk.ratings import RatingService
from kiosk.scans import Classified, ScanKind
from kiosk.session import Feature, Screen, Session
from kiosk.store.ratings import RatingStore
from kiosk.tickets import IssuedTicket, TicketService
from kiosk.ui import screens, theme, widgets

log = logging.getLogger(__name__)

KV_DIR = Path(__file__).resolve().parent / "kv"
KV_FILES = ["common", "attract", "language", "home", "services", "ticket", "unavailable",
            "identify", "ticket_status", "rating", "procedures"]
BANNER_SECONDS = 8
NUMBER_FIRST_SECONDS = 0.25  # printing waits at most this long for the number to be drawn
SETTLE_GARBAGE_SECONDS = 0.5  # on the attract screen, before collecting garbage
CONTENT_CHECK_SECONDS = 60  # how often an idle attract screen looks for a content update
TICK_SECONDS = 0.5

Factory.register("IconButton", cls=widgets.IconButton)
Factory.register("IdleView", cls=widgets.IdleView)
Factory.register("LanguageButton", cls=widgets.LanguageButton)
Factory.register("FreshLabel", cls=widgets.FreshLabel)
Factory.register("ReasonButton", cls=widgets.ReasonButton)
Factory.register("DocumentLine", cls=widgets.DocumentLine)
Factory.register("ServiceButton", cls=screens.ServiceButton)


# Every screen by name (Screen values), in the order they are built after the first frame:
# a visit's usual path first.
SCREENS = {
    "attract": screens.AttractScreen,
    "language": screens.LanguageScreen,
    "identify": screens.IdentifyScreen,
    "home": screens.HomeScreen,
    "services": screens.ServicesScreen,
    "ticket": screens.TicketScreen,
    "categories": screens.CategoriesScreen,
    "procedures": screens.ProceduresScreen,
    "procedure": screens.ProcedureScreen,
    "rating": screens.RatingScreen,
    "rating_reasons": screens.RatingReasonsScreen,
    "ticket_status": screens.TicketStatusScreen,
    "unavailable": screens.UnavailableScreen,
    "search": screens.SearchScreen,
}


class KioskApp(App):
    lang = StringProperty("vi")
    issuing = BooleanProperty(False)
    issue_problem = BooleanProperty(False)  # the last try to issue a number failed
    # For staff, shown discreetly in the header: ok, low (paper), fault, unknown.
    printer_mark = StringProperty("unknown")
    # A short message over the screen (a greeting, or why a scan was not understood).
    banner = StringProperty("")
    # The citizen's text size (normal 1, large 1.25, extra large 1.5); every screen's
    # font sizes in the .kv files are multiplied by it.
    text_scale = NumericProperty(1.0)
    # The colours every screen draws with (theme.NORMAL or theme.HIGH_CONTRAST); the .kv
    # files read roles from it (app.palette.button), so a switch recolours everything.
    # rebind=True is what makes kv watch `palette` itself in a chain like app.palette.paper
    # (without it kv only watches the chain's last link, which a dataclass cannot offer;
    # the canvas colours then never changed).
    palette = ObjectProperty(theme.NORMAL, rebind=True)
    # Height, in the screens' own coordinates, of the line two thirds up the window: a
    # citizen in a wheelchair reaches what is below it (kv/common.kv TopThird).
    reach_y = NumericProperty(0.0)
    # A recording exists for the screen shown, in the citizen's language: offer "Listen".
    prompt_available = BooleanProperty(False)
    # How often garbage was collected and the survivors frozen (see _settle_garbage).
    garbage_settled = NumericProperty(0)
    content_loads = NumericProperty(0)  # how often a changed content update was read
    procedures_available = BooleanProperty(False)  # a valid catalogue is loaded
    title = "Lobby kiosk"

    def __init__(
        self,
        kiosk_config: Config,
        tickets: TicketService,
        session: Session | None = None,
        kiosk_mode: bool = True,
        scans: Sequence[ScannerService] = (),
        chip: ChipReaderService | None = None,
        ratings: RatingService | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.kiosk_config = kiosk_config
        self.tickets = tickets
        self.scans = scans
        self.chip = chip
        self.ratings = ratings or RatingService(RatingStore(tickets.store.engine),
                                                kiosk_config.timezone)
        self.session = session or Session(
            kiosk_config.languages,
            idle_timeout=kiosk_config.idle_timeout,
            idle_countdown=kiosk_config.idle_countdown,
            offer_identify=bool(scans),
        )
        self.kiosk_mode = kiosk_mode
        # A content update's catalogue, else the shipped one; if neither validates, the
        # procedures tile says "not available", nothing worse.
        self.catalogue: Catalogue | None = None
        self.catalogue_path = DEFAULT_CATALOGUE
        self._content_stamp = content_stamp(kiosk_config)
        self._use_catalogue(*load_content_catalogue(kiosk_config)[:2])
        self.last_ticket: IssuedTicket | None = None
        self.audio_dir: Path | tuple[Path, ...] = audio_dirs(kiosk_config)
        self.prompt_playing: Path | None = None  # the recording last started
        self._prompt_id_shown = "attract"
        self._sound = None
        self.idle_view: widgets.IdleView | None = None

    # -- building ---------------------------------------------------------------------
    def build(self) -> BoxLayout:
        for name in KV_FILES:
            Builder.load_file(str(KV_DIR / f"{name}.kv"))
        root = BoxLayout(orientation="vertical")
        root.add_widget(Factory.Header())
        self.manager = ScreenManager(transition=NoTransition())
        # Only the attract screen is built before the first frame; the others follow one
        # per frame after it (_build_next_screen), or at once when a visit needs one.
        self.screen(Screen.ATTRACT.value)
        root.add_widget(Factory.Banner())
        root.add_widget(self.manager)
        self.manager.bind(pos=self._update_reach, size=self._update_reach)
        Window.bind(size=self._update_reach)
        root.add_widget(Factory.ListenBar())
        self.navbar = Factory.NavBar()
        root.add_widget(self.navbar)
        self.idle_view = widgets.IdleView()
        self.session.subscribe(self._on_session_changed)
        # Called on the supervisor's thread: hand over to the Kivy clock.
        self.tickets.printers.subscribe(
            lambda status: Clock.schedule_once(lambda _dt: self._printer_changed(status))
        )
        self._printer_changed(self.tickets.printers.status)
        for source in self.scans:
            # Called on the reader's thread: hand over to the Kivy clock.
            source.subscribe(lambda found: Clock.schedule_once(lambda _dt: self.on_scan(found)))
        self._banner_clear = Clock.create_trigger(self._clear_banner, BANNER_SECONDS)
        self._settle_trigger = Clock.create_trigger(self._between_citizens,
                                                    SETTLE_GARBAGE_SECONDS)
        Clock.schedule_interval(lambda _dt: self.session.tick(), TICK_SECONDS)
        Clock.schedule_interval(self._look_for_content, CONTENT_CHECK_SECONDS)
        Window.bind(on_touch_down=self._on_any_touch)
        Window.bind(on_request_close=self._on_request_close)
        Window.bind(on_keyboard=self._on_keyboard)
        self._on_session_changed(self.session)
        return root

    def on_start(self) -> None:
        def after_first_frame(*_args) -> None:
            Window.unbind(on_flip=after_first_frame)
            Clock.schedule_interval(self._build_next_screen, 0)

        Window.bind(on_flip=after_first_frame)
        if os.environ.get("KIOSK_BENCH_FIRST_FRAME"):
            # benchmarks/startup.py: report when the attract screen is first on glass.
            def first_frame(*_args) -> None:
                Window.unbind(on_flip=first_frame)
                print(f"first-frame {time.time():.6f} screens={len(self.manager.screens)}",
                      flush=True)

            Window.bind(on_flip=first_frame)

    def screen(self, name: str):  # type: ignore[no-untyped-def]
        if not self.manager.has_screen(name):
            self.manager.add_widget(SCREENS[name]())
        return self.manager.get_screen(name)

    def _build_next_screen(self, *_args) -> bool:
        """Builds one screen not built yet; False (stop) when all are."""
        for name in SCREENS:
            if not self.manager.has_screen(name):
                self.screen(name)
                return True
        self._settle_trigger()  # every screen is in memory: collect, then freeze
        if os.environ.get("KIOSK_BENCH_FIRST_FRAME"):
            print(f"screens-built {time.time():.6f}", flush=True)  # benchmarks/startup.py
        return False

    # -- text helpers used by the .kv files -------------------------------------------
    def tr(self, message: str, lang: str | None = None) -> str:
        """`message` in the current language; kv passes app.lang so labels re-translate.
        Vietnamese standing in for a missing translation carries a small mark."""
        return translate_marked(lang or self.lang, message)

    def tr_plain(self, message: str, lang: str | None = None) -> str:
        """`tr` without the fallback mark: for the navigation bar, which must stay on one
        line and is the same on every screen."""
        return translate(lang or self.lang, message)

    def centre_name(self, lang: str) -> str:
        return self.kiosk_config.centre_name(lang)

    def service_name(self, letter: str, lang: str) -> str:
        return self.kiosk_config.service(letter).name(lang) if letter else ""

    def counters_text(self, letter: str, lang: str) -> str:
        counters = self.kiosk_config.service(letter).counters if letter else ()
        if not counters:
            return ""
        numbers = ", ".join(str(n) for n in counters)
        return self.tr("Counter: {numbers}", lang).format(numbers=numbers)

    # -- actions from the screens -----------------------------------------------------
    def start_visit(self) -> None:
        self.session.start()

    def choose_language(self, lang: str) -> None:
        self.session.choose_language(lang)

    def open_feature(self, feature: str) -> None:
        self.session.open_feature(Feature(feature))

    def go_home(self) -> None:
        if self.session.screen is Screen.ATTRACT:
            self.session.start()
        self.session.home()

    def go_back(self) -> None:
        self.session.back()

    def choose_another_language(self) -> None:
        self.session.change_language()

    def next_text_size(self) -> None:
        self.session.next_text_size()

    def toggle_contrast(self) -> None:
        self.session.toggle_contrast()

    def rate(self, level: str) -> None:
        if not self.session.rating_chosen(unsatisfied=level == "unsatisfied"):
            self.screen("rating_reasons").clear()
            return
        self._record_rating(level, [])

    def send_rating_reasons(self) -> None:
        self._record_rating("unsatisfied", self.screen("rating_reasons").chosen())

    def take_number_for_procedure(self) -> None:
        """"Take a number for this": straight to the procedure's service area."""
        proc = self.catalogue.get(self.session.data.procedure or "") if self.catalogue else None
        if proc is not None:
            self.take_number(proc.service)

    def rate_scanned_ticket(self) -> None:
        record = self.session.data.scanned_ticket
        self.session.start_rating(record.service if record is not None else None)

    def _record_rating(self, level: str, reasons: list[str]) -> None:
        try:
            self.ratings.record(level, reasons, service=self.session.data.rating_service,
                                lang=self.session.lang)
        except Exception:  # noqa: BLE001
            log.exception("rating not recorded")
            self.session.rating_done()
            self.say(self.tr("Sorry, your rating could not be saved. Please tell the staff."))
            return
        self.session.rating_done()
        self.say(self.tr("Thank you for your rating!"))

    def skip_identify(self) -> None:
        self.session.skip_identify()

    def finish_visit(self) -> None:
        self.session.finish()

    def still_here(self) -> None:
        self.session.touch()

    def take_number(self, letter: str) -> None:
        if not self.session.choose_service(letter):
            return
        self.issuing = True
        self.issue_problem = False
        visit, lang = self.session.visit, self.session.lang
        identity = self.session.data.identity
        # Printing can take seconds on a slow link; keep the UI thread free.
        threading.Thread(
            target=self._issue_in_background, args=(letter, lang, visit, identity), daemon=True
        ).start()

    def _issue_in_background(self, letter: str, lang: str, visit: int, identity) -> None:  # type: ignore[no-untyped-def]
        handed: list[IssuedTicket] = []

        def number_committed(ticket: IssuedTicket) -> None:
            handed.append(ticket)
            # Let the number reach the screen before the printing work (composing the
            # ticket is busy Python) competes with the window for the interpreter.
            drawn = threading.Event()
            Clock.schedule_once(lambda _dt: self._number_ready(ticket, visit, drawn))
            drawn.wait(NUMBER_FIRST_SECONDS)

        try:
            ticket = self.tickets.issue_ticket(letter, lang, identity, on_number=number_committed)
        except Exception:  # noqa: BLE001
            log.exception("issuing a ticket for service %s failed", letter)
            if handed:
                # The number was committed and shown: it stands, not printed.
                failed = replace(handed[0], pending=False, printed=False,
                                 problem="issuing failed after the number was committed")
                Clock.schedule_once(lambda _dt: self._ticket_ready(failed, visit))
            else:
                # No number was committed (the database failed): say so instead of leaving
                # the citizen in front of "Printing your ticket…" for ever.
                Clock.schedule_once(lambda _dt: self._ticket_failed(visit))
            return
        Clock.schedule_once(lambda _dt: self._ticket_ready(ticket, visit))

    def _ticket_failed(self, visit: int) -> None:
        if visit != self.session.visit:
            return
        self.issuing = False
        self.session.issue_failed(visit)
        self.issue_problem = True

    def _number_ready(self, ticket: IssuedTicket, visit: int,
                      drawn: threading.Event | None = None) -> None:
        """The number is committed: show it while it prints; `drawn` is set once the
        frame showing it is on the screen."""
        if visit != self.session.visit:
            # The citizen left meanwhile: nothing of theirs may reach the next one.
            log.info("ticket %s committed after its visit ended", ticket.number)
            if drawn is not None:
                drawn.set()
            return
        self.issuing = False
        self.last_ticket = ticket
        self.screen("ticket").show(ticket)
        self.session.ticket_issued(ticket, visit)
        if drawn is not None:
            def on_drawn(*_args) -> None:
                Window.unbind(on_flip=on_drawn)
                drawn.set()

            Window.bind(on_flip=on_drawn)

    def _ticket_ready(self, ticket: IssuedTicket, visit: int) -> None:
        """Printing finished (or failed): the ticket screen says which."""
        if visit != self.session.visit:
            log.info("ticket %s finished after its visit ended", ticket.number)
            return
        if self.session.data.ticket is None:
            # Its number never reached the screen: show it now, with the outcome.
            self._number_ready(ticket, visit)
            return
        if not self.session.ticket_printed(ticket, visit):
            # A later ticket of the same visit is on the screen now: it keeps it.
            log.info("ticket %s finished after a later one was issued", ticket.number)
            return
        self.last_ticket = ticket
        self.screen("ticket").show(ticket)
        if not ticket.printed and self.session.screen is Screen.TICKET:
            self._play_prompt("ticket_not_printed")

    def _printer_changed(self, status: PrinterStatus) -> None:
        if status.state is DeviceState.UNKNOWN:
            self.printer_mark = "unknown"
        elif not status.can_print:
            self.printer_mark = "fault"
        elif status.paper is PaperState.LOW:
            self.printer_mark = "low"
        else:
            self.printer_mark = "ok"

    # -- scans ------------------------------------------------------------------------------
    def on_scan(self, found: Classified) -> None:
        """Every scan anywhere in the flow, routed by what it is."""
        if found.kind in (ScanKind.ID_CARD, ScanKind.ID_MRZ):
            identity = found.identity
            if found.kind is ScanKind.ID_MRZ:
                mrz, identity = identity, identity.to_identity()
                # An MRZ has names without diacritics and no address; the chip has them.
                if self.chip is not None:
                    threading.Thread(target=self._read_chip, daemon=True,
                                     args=(mrz, self.session.visit)).start()
            if self.session.screen is Screen.ATTRACT:
                self.session.start()
            self.session.identify(identity)
            self.say(self.tr("Hello, {name}!").format(name=identity.given_name.title()))
        elif found.kind is ScanKind.TICKET:
            record = self.tickets.store.get(found.ticket_id)
            if record is None:
                self.say(self.tr("This ticket was not issued here. Please ask the staff."))
                return
            today = record.day == self.tickets.today().isoformat()
            ahead = self.tickets.store.people_ahead(record) if today else 0
            self.screen("ticket_status").show(record, ahead, today)
            self.session.show_ticket_status(record)
        elif found.kind is ScanKind.DOSSIER:
            self.say(self.tr("Dossier status is not available at this kiosk yet. "
                             "Please ask at the reception desk."))
        elif found.problem and found.problem.startswith("ID card"):
            self.say(self.tr("This ID card could not be read. Please try again or ask the "
                             "staff."))
        elif found.problem and found.problem.startswith("garbled"):
            self.say(self.tr("The code could not be read. Please hold it still and try "
                             "again."))
        else:
            self.say(self.tr("This code is not one the kiosk knows. Please ask the staff."))

    def _read_chip(self, mrz, visit: int) -> None:  # type: ignore[no-untyped-def]
        try:
            identity = self.chip.read_identity(mrz)  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001
            # The MRZ identity stays; the reason is typed and names no personal data.
            log.warning("chip not read: %s: %s", type(exc).__name__, exc)
            return
        finally:
            mrz.wipe()
        Clock.schedule_once(lambda _dt: self._chip_read(identity, visit))

    def _chip_read(self, identity, visit: int) -> None:  # type: ignore[no-untyped-def]
        if visit != self.session.visit:  # the citizen has gone: forget it at once
            identity.wipe()
            return
        self.session.identify(identity)
        self.say(self.tr("Hello, {name}!").format(name=identity.given_name))

    def say(self, message: str) -> None:
        self.banner = message
        self._banner_clear()

    def _between_citizens(self, *_args) -> None:
        """Housekeeping while the attract screen waits for the next citizen."""
        if self.session.screen is not Screen.ATTRACT:
            return  # a citizen came in the meantime: next time
        self._reload_content_if_changed()
        self._settle_garbage()

    def _look_for_content(self, *_args) -> None:
        """Also while the kiosk stands idle: the first citizen after an update gets it."""
        if self.session.screen is Screen.ATTRACT:
            self._reload_content_if_changed()

    def _reload_content_if_changed(self) -> None:
        """A content update copied in (or removed) since the last look applies now; a bad
        one is refused and the catalogue shown so far stays (kiosk/content.py)."""
        stamp = content_stamp(self.kiosk_config)
        if stamp == self._content_stamp:
            return
        self._content_stamp = stamp
        previous = (self.catalogue, self.catalogue_path) if self.catalogue else None
        catalogue, path, problems = load_content_catalogue(self.kiosk_config, previous)
        self._use_catalogue(catalogue, path)
        self.content_loads += 1
        if not problems:
            log.info("procedure catalogue now from %s", self.catalogue_path)

    def _use_catalogue(self, catalogue: Catalogue | None, path: Path) -> None:
        self.catalogue, self.catalogue_path = catalogue, path
        # The session decides where Procedures leads; the Home tile's look follows the app.
        self.session.procedures_available = self.procedures_available = catalogue is not None

    def _settle_garbage(self, *_args) -> None:
        """Collect garbage while nobody waits, then exempt what survives from later
        collections.

        Python's full collection walks every live object; with Kivy and every screen in
        memory it paused the window for 210-250 ms in the middle of a visit
        (benchmarks/procedure_latency.py). Frozen objects are never collected, so the
        freeze is undone first: what the visit that just ended left behind is freed."""
        if self.session.screen is not Screen.ATTRACT:
            return  # a citizen came in the meantime: next time
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.garbage_settled += 1

    def _update_reach(self, *_args) -> None:
        self.reach_y = Window.height * 2 / 3 - self.manager.y

    def _clear_banner(self, *_args) -> None:
        self.banner = ""

    # -- session → screen ----------------------------------------------------------------
    def _on_session_changed(self, session: Session) -> None:
        self.lang = session.lang
        self.text_scale = session.text_scale
        palette = theme.HIGH_CONTRAST if session.high_contrast else theme.NORMAL
        if self.palette is not palette:
            self.palette = palette
        if session.screen is Screen.UNAVAILABLE:
            self.screen("unavailable").show(session.data.feature)
        if self.manager.current != session.screen.value:
            self.screen(session.screen.value)
            self.manager.current = session.screen.value
            self._play_prompt(self._prompt_id(session))
        if session.screen is not Screen.SERVICES:
            self.issue_problem = False
        if session.screen is Screen.ATTRACT:
            self.issuing = False
            self.banner = ""  # a greeting must not stay for the next citizen
            self.last_ticket = None  # nor the last citizen's ticket
            self._settle_trigger()
        self._show_idle_warning(session)

    def _prompt_id(self, session: Session) -> str:
        ticket = self.last_ticket
        if session.screen is Screen.TICKET and ticket and not (ticket.printed or ticket.pending):
            return "ticket_not_printed"
        return session.screen.value

    def _play_prompt(self, prompt_id: str) -> None:
        """The screen's recorded sentence in the citizen's language, if one was recorded."""
        if self._sound is not None:
            self._sound.stop()
            self._sound = None
        path = find_recording(self.lang, prompt_id, self.audio_dir)
        self.prompt_playing = path
        self._prompt_id_shown = prompt_id
        self.prompt_available = path is not None
        if path is None:
            return
        from kivy.core.audio import SoundLoader

        try:
            self._sound = SoundLoader.load(str(path))  # None where no audio output works
            if self._sound is not None:
                self._sound.play()
        except Exception:  # noqa: BLE001
            # A broken file or sound card must never get in the way of the screen.
            log.exception("voice prompt %s not played", path.name)
            self._sound = None

    def replay_prompt(self) -> None:
        """The Listen button: the screen's sentence again."""
        self._play_prompt(self._prompt_id_shown)

    def _show_idle_warning(self, session: Session) -> None:
        view = self.idle_view
        if view is None:
            return
        if session.idle_warning:
            view.seconds = session.countdown_left()
            if view.parent is None:
                view.open(animation=False)
                self._play_prompt("idle")
        elif view.parent is not None:
            view.dismiss(animation=False)

    # -- input ---------------------------------------------------------------------------
    def _on_any_touch(self, _window, _touch) -> bool:
        # During "are you still there?" the touch only answers the question; otherwise it
        # also goes on to the widget under it.
        was_warning = self.session.idle_warning
        self.session.touch()
        return was_warning

    def _on_request_close(self, *_args) -> bool:
        # Alt+F4 and the window's close button do nothing on a kiosk.
        return self.kiosk_mode

    def _on_keyboard(self, _window, key: int, *_args) -> bool:
        # Esc (27) would otherwise leave the app.
        return bool(self.kiosk_mode and key == 27)
