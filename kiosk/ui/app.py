"""The Kivy application: wires the session state machine to screens and services.

It holds no rules of its own: the session decides where to go and holds what the visit
knows, the ticket service issues numbers. This class is the one facade the screens and
.kv files call (app.x(), never app.session.x()); small controllers do the work: issuing
(kiosk/ui/issuing.py), scans (scan_routing.py), voice prompts (prompts_player.py), what
comes after the first frame (startup.py) and what happens between citizens
(housekeeping.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager
from kivy.uix.screenmanager import Screen as KivyScreen

from kiosk.config import Config
from kiosk.content import audio_dirs
from kiosk.i18n import translate, translate_marked
from kiosk.paths import DEFAULT_CATALOGUE
from kiosk.prompts import prompt_for
from kiosk.session import Feature, Screen, Session
from kiosk.ui import theme, widgets
from kiosk.ui.centre_status import CentreStatus
from kiosk.ui.dossier_lookup import DossierLookup
from kiosk.ui.housekeeping import CONTENT_CHECK_SECONDS, SETTLE_GARBAGE_SECONDS, Housekeeping
from kiosk.ui.issuing import TicketIssuing
from kiosk.ui.lifecycle import Lifecycle
from kiosk.ui.prompts_player import PromptPlayer
from kiosk.ui.registry import FIRST_FRAME_KV_FILES, load_layouts, make_screen
from kiosk.ui.scan_routing import ScanRouting
from kiosk.ui.speaker import Speaker
from kiosk.ui.staff_control import StaffControl
from kiosk.ui.startup import Startup
from kiosk.ui.touch_guard import TouchGuard

if TYPE_CHECKING:
    # Loaded with the services or the catalogue, after the first frame
    # (docs/architecture.md, "Start-up").
    from kiosk.catalogue import Catalogue
    from kiosk.devices import ChipReaderService, ScannerService
    from kiosk.dossier import DossierStatusService
    from kiosk.ratings import RatingService
    from kiosk.scans import Classified
    from kiosk.services import KioskServices
    from kiosk.tickets import IssuedTicket, TicketService

log = logging.getLogger(__name__)

BANNER_SECONDS = 8
SPEAKER_WARM_UP_SECONDS = 2
TICK_SECONDS = 0.5


class KioskApp(App):
    lang = StringProperty("vi")
    # Shown from the session's visit data (session.data.issuing, issue_failed) for the
    # .kv files to bind to; refreshed on every session change.
    issuing = BooleanProperty(False)
    issue_problem = BooleanProperty(False)  # the last try to issue a number failed
    # For staff, shown discreetly in the header: ok, low (paper), fault, unknown.
    printer_mark = StringProperty("unknown")
    # The database could not take the last number: the mark shows a fault whatever the
    # printer says, until a number is issued again.
    store_fault = BooleanProperty(False)
    # The centre link for staff, beside the printer's mark: ok (online), low (syncing the
    # offline tickets), fault (offline), unknown, or none (a kiosk on its own: no mark).
    link_mark = StringProperty("none")
    link_detail = StringProperty("")  # "offline since 09:12", "syncing 4": for staff
    # A short message over the screen (a greeting, or why a scan was not understood).
    banner = StringProperty("")
    # The citizen's text size (normal 1, large 1.25, extra large 1.5); every screen's
    # font sizes in the .kv files are multiplied by it.
    text_scale = NumericProperty(1.0)
    # The colours every screen draws with (theme.NORMAL or theme.HIGH_CONTRAST), read by role
    # (app.palette.button). rebind=True makes kv watch `palette` itself in app.palette.paper;
    # without it kv watches only the chain's last link, and the canvas never recoloured.
    palette = ObjectProperty(theme.NORMAL, rebind=True)
    # Height, in the screens' own coordinates, of the line two thirds up the window: a
    # citizen in a wheelchair reaches what is below it (kv/common.kv TopThird).
    reach_y = NumericProperty(0.0)
    # A recording exists for the screen shown, in the citizen's language: offer "Listen".
    prompt_available = BooleanProperty(False)
    # The speaker is playing (a prompt, the ticket's number, a take in the studio): the
    # speaking indicator shows, so a citizen who cannot hear knows why nothing happens.
    speaking = BooleanProperty(False)
    # How often garbage was collected and the survivors frozen (Housekeeping).
    garbage_settled = NumericProperty(0)
    content_loads = NumericProperty(0)  # how often a changed content update was read
    procedures_available = BooleanProperty(False)  # a valid catalogue is loaded
    dossier_available = BooleanProperty(False)  # a dossier provider is configured
    title = "Lobby kiosk"

    def __init__(
        self,
        kiosk_config: Config,
        tickets: TicketService | None = None,
        session: Session | None = None,
        kiosk_mode: bool = True,
        scans: Sequence[ScannerService] = (),
        chip: ChipReaderService | None = None,
        ratings: RatingService | None = None,
        dossier: DossierStatusService | None = None,
        start_services: Callable[[], KioskServices] | None = None,
        **kwargs,
    ) -> None:
        """With `tickets` (and the devices) the app uses them from its first frame; without
        them it calls `start_services` once its first frame is drawn (`kiosk run`: the
        launcher stops them, app.services, when the app ends)."""
        super().__init__(**kwargs)
        self.kiosk_config = kiosk_config
        # Set before the first touch is taken: given here, or from start_services.
        self.tickets: TicketService = tickets  # type: ignore[assignment]
        self.scans = scans
        self.chip = chip
        self.ratings: RatingService = ratings  # type: ignore[assignment]
        self.startup = Startup(self, start_services)  # after the first frame (ui/startup.py)
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
        self.housekeeping = Housekeeping(self)
        self.ticket_issuing = TicketIssuing(self)
        self.scan_routing = ScanRouting(self)
        self.dossier = dossier  # kiosk/dossier.py; None: the tile says "not available"
        self.dossier_available = dossier is not None
        self.dossier_lookup = DossierLookup(self)
        self.centre_status = CentreStatus(self)
        # One loudspeaker for prompts, the ticket's number and the studio's takes.
        self.speaker = Speaker(kiosk_config.speaker_url,
                               lambda on: setattr(self, "speaking", on))
        self.prompts = PromptPlayer(audio_dirs(kiosk_config), lambda: self.lang,
                                    lambda found: setattr(self, "prompt_available", found),
                                    self.speaker, self._ticket_number)
        self.idle_view: widgets.IdleView | None = None
        self.touch_guard = TouchGuard(self.session)  # no double tap falls through
        self.lifecycle = Lifecycle(self)  # ready, watchdog, stop and restart (systemd)
        self.staff = StaffControl(self)  # staff mode (kiosk/ui/staff_control.py)

    @property
    def last_ticket(self) -> IssuedTicket | None:
        """The ticket shown to this visit (the session's; gone with the visit)."""
        return self.session.data.ticket

    def _ticket_number(self) -> str | None:
        ticket = self.session.data.ticket
        return ticket.number if ticket is not None else None

    @property
    def prompt_playing(self) -> Path | None:
        """The recording last started (None when the screen has none)."""
        return self.prompts.playing

    # -- building ---------------------------------------------------------------------
    def build(self) -> BoxLayout:
        load_layouts(FIRST_FRAME_KV_FILES)
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
        if self.tickets is not None:
            self.startup.use_services()
        self._banner_clear = Clock.create_trigger(self.clear_banner, BANNER_SECONDS)
        self._settle_trigger = Clock.create_trigger(self.housekeeping.between_citizens,
                                                    SETTLE_GARBAGE_SECONDS)
        Clock.schedule_interval(lambda _dt: self.session.tick(), TICK_SECONDS)
        Clock.schedule_interval(self.housekeeping.look_for_content, CONTENT_CHECK_SECONDS)
        Window.bind(on_touch_down=self._on_any_touch)
        Window.bind(on_request_close=self._on_request_close)
        Window.bind(on_keyboard=self._on_keyboard)
        self._on_session_changed(self.session)
        self.staff.attach()  # after the touch handler above: sees every touch first
        return root

    def on_start(self) -> None:
        self.startup.watch_first_frame()
        self.lifecycle.start()
        # The audio libraries load after the first frame, before the first prompt.
        Clock.schedule_once(lambda _dt: self.prompts.warm_up(), SPEAKER_WARM_UP_SECONDS)

    def screen(self, name: str) -> KivyScreen:
        if not self.manager.has_screen(name):
            self.manager.add_widget(make_screen(name))
        return self.manager.get_screen(name)

    def settle_garbage_soon(self) -> None:
        self._settle_trigger()

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

    # -- what the screens read from the visit -------------------------------------------
    @property
    def category(self) -> str | None:
        """The procedure category being browsed."""
        return self.session.data.category

    @property
    def procedure(self) -> str | None:
        """The code of the procedure being read."""
        return self.session.data.procedure

    # -- actions from the screens -----------------------------------------------------
    def start_visit(self) -> None:
        self.session.start()

    def choose_language(self, lang: str) -> None:
        self.session.choose_language(lang)

    def open_feature(self, feature: str) -> None:
        self.session.open_feature(Feature(feature))

    def open_search(self) -> None:
        self.session.open_search()

    def choose_category(self, key: str) -> None:
        self.session.choose_category(key)

    def choose_procedure(self, code: str) -> None:
        self.session.choose_procedure(code)

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
        proc = self.catalogue.get(self.procedure or "") if self.catalogue else None
        if proc is not None:
            self.take_number(proc.service)

    def rate_scanned_ticket(self) -> None:
        self.session.rate_scanned_ticket()

    def _record_rating(self, level: str, reasons: list[str]) -> None:
        from kiosk.ratings import ALREADY_RATED
        from kiosk.store.ratings import TicketAlreadyRated

        data = self.session.data
        try:
            self.ratings.record(level, reasons, service=data.rating_service,
                                ticket_id=data.rating_ticket, lang=self.session.lang)
            said = self.tr("Thank you for your rating!")
        except TicketAlreadyRated:
            said = self.tr(ALREADY_RATED)
        except Exception:  # noqa: BLE001
            log.exception("rating not recorded")
            said = self.tr("Sorry, your rating could not be saved. Please tell the staff.")
        self.session.rating_done()
        self.say(said)

    def type_dossier_code(self, code: str) -> None:
        self.session.type_dossier_code(code)

    def check_dossier(self) -> None:
        """The Check button: the code typed so far."""
        self.dossier_lookup.look_up(self.session.data.dossier_code)

    def check_another_dossier(self) -> None:
        self.session.check_another_dossier()

    def skip_identify(self) -> None:
        self.session.skip_identify()

    def finish_visit(self) -> None:
        self.session.finish()

    def still_here(self) -> None:
        self.session.touch()

    def take_number(self, letter: str) -> None:
        self.ticket_issuing.take_number(letter)

    def on_scan(self, found: Classified) -> None:
        """Every scan anywhere in the flow, routed by what it is; none in staff mode."""
        if not self.staff.holds_screen:
            self.scan_routing.on_scan(found)

    def replay_prompt(self) -> None:
        """The Listen button: the screen's sentence again."""
        self.prompts.replay()

    def say(self, message: str) -> None:
        self.banner = message
        # A trigger already pending is not moved by calling it again: without the cancel, a
        # message said soon after another vanished with the first one's time.
        self._banner_clear.cancel()
        self._banner_clear()

    def use_catalogue(self, catalogue: Catalogue | None, path: Path) -> None:
        self.catalogue, self.catalogue_path = catalogue, path
        # The session decides where Procedures leads; the Home tile's look follows the app.
        self.session.procedures_available = self.procedures_available = catalogue is not None

    def _update_reach(self, *_args) -> None:
        self.reach_y = Window.height * 2 / 3 - self.manager.y

    def clear_banner(self, *_args) -> None:
        self.banner = ""

    # -- session → screen ----------------------------------------------------------------
    def _on_session_changed(self, session: Session) -> None:
        if self.staff.holds_screen:
            return  # staff mode is on the glass; the visit waits on attract meanwhile
        self.lang = session.lang
        self.text_scale = session.text_scale
        palette = theme.HIGH_CONTRAST if session.high_contrast else theme.NORMAL
        if self.palette is not palette:
            self.palette = palette
        self.issuing = session.data.issuing
        self.issue_problem = session.data.issue_failed
        if session.screen is Screen.UNAVAILABLE:
            self.screen("unavailable").show(session.data.feature)
        self.dossier_lookup.redraw(session)
        if self.manager.current != session.screen.value:
            self.screen(session.screen.value)
            self.manager.current = session.screen.value
            widgets.scroll_to_top(self.manager.current_screen)
            self.prompts.play(prompt_for(session))
        if session.screen is Screen.ATTRACT:
            self.banner = ""  # a greeting must not stay for the next citizen
            self._settle_trigger()
        self._show_idle_warning(session)

    def _show_idle_warning(self, session: Session) -> None:
        view = self.idle_view
        if view is None:
            return
        if session.idle_warning:
            view.seconds = session.countdown_left()
            if view.parent is None:
                view.open(animation=False)
                self.prompts.play("idle")
        elif view.parent is not None:
            view.dismiss(animation=False)

    # -- input ---------------------------------------------------------------------------
    def _on_any_touch(self, _window, touch) -> bool:
        # During "are you still there?" the touch only answers the question; otherwise it
        # also goes on to the widget under it, unless too soon (kiosk/ui/touch_guard.py).
        was_warning = self.session.idle_warning
        self.session.touch()
        return was_warning or self.touch_guard.refuses(touch.time_start)

    def _on_request_close(self, *_args) -> bool:
        # Alt+F4 and the window's close button do nothing on a kiosk.
        return self.kiosk_mode

    def _on_keyboard(self, _window, key: int, *_args) -> bool:
        # Esc (27) would otherwise leave the app.
        return bool(self.kiosk_mode and key == 27)
