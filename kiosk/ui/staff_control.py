"""Staff mode on the touch screen: the hidden way in, the staff screens over the citizen
ones, and the way out (the Leave button, or two minutes untouched).

Every touch on the window passes here first (bound after the app's own handler, so called
before it) and is fed to kiosk.staff_mode.EntryGesture; none is swallowed, so a citizen's
touches in the corners work as before. Once the gesture is complete the visit is ended
(its taps were the staff member's) and kiosk.staff_mode.StaffSession takes over: names,
PIN, then the tabs (kiosk/ui/staff_screens.py). While a staff screen is shown the
citizen's session is held on its attract screen: KioskApp skips its screen changes and
ignores scans (a citizen's card read now must not greet anyone on a staff screen).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from kiosk.session import Screen
from kiosk.staff_entry import EntryGesture, State
from kiosk.ui import staff_work
from kiosk.ui.live_settings import apply_settings

if TYPE_CHECKING:
    from kiosk.staff_mode import StaffSession
    from kiosk.ui.app import KioskApp

log = logging.getLogger(__name__)

STAFF_LANGUAGES = ("vi", "en")  # staff screens are in Vietnamese or English
TICK_SECONDS = 0.5  # how often the idle logout and the lock-out countdown are looked at
PIN_SCREEN, STAFF_SCREEN = "staff_pin", "staff"
# The update watcher starts this long after the window is built: the first frame and the
# screens built after it do not wait for its imports (httpx, cryptography).
WATCH_AFTER_SECONDS = 10


class StaffControl(EventDispatcher):
    """Created by KioskApp; `attach()` once its window is built."""

    # The staff screens' language (the citizen's choice does not carry over).
    lang = StringProperty("vi")
    # A staff screen is on the glass: the citizen's session waits on attract.
    holds_screen = BooleanProperty(False)
    who = StringProperty("")  # the signed-in staff member, for the staff screen
    # What the update watcher last found newer than installed (kiosk.bundles.watcher
    # Available), looked for only while the kiosk is idle; the Updates tab counts them.
    available = ListProperty([])

    def __init__(self, app: KioskApp,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__()
        self.app = app
        self._clock = clock
        self._session: StaffSession | None = None  # made the first time it is needed
        self.gesture = EntryGesture(*Window.size)
        self._navbar_at: int | None = None  # the navigation bar's place while it is hidden
        self.watcher = None  # kiosk.bundles.watcher.UpdateWatcher, once started

    def attach(self) -> None:
        """Bound after KioskApp's own touch handler, so called before it (Kivy calls the
        last bound first): the gesture sees every touch, even one the app refuses."""
        Window.bind(on_touch_down=self._touch_down, on_touch_up=self._touch_up,
                    size=lambda _w, size: self.gesture.resize(*size))
        Clock.schedule_interval(lambda _dt: self.tick(), TICK_SECONDS)
        Clock.schedule_once(lambda _dt: self.watch_for_updates(), WATCH_AFTER_SECONDS)
        apply_settings(self.app, self.app.kiosk_config)

    @property
    def session(self) -> StaffSession:
        """Staff mode's session, on the kiosk's database: made on first use, which comes
        after the services have started (the first frame does not wait for its modules)."""
        if self._session is None:
            from kiosk.staff_mode import StaffSession
            from kiosk.store.audit import StaffAudit
            from kiosk.store.staff import StaffStore

            engine = self.app.tickets.store.engine
            self._session = StaffSession(StaffStore(engine), StaffAudit(engine), self._clock)
            self._session.add_listener(self._session_changed)
        return self._session

    def watch_for_updates(self) -> None:
        """Starts the update watcher: sticks and the server are looked at only while the
        attract screen waits (never during a visit, nor while staff are here)."""
        from kiosk.bundles import Installer
        from kiosk.bundles.watcher import UpdateWatcher

        if self.watcher is not None:
            return
        cfg = self.app.kiosk_config

        def found(offers: list) -> None:  # on the watcher's thread
            Clock.schedule_once(lambda _dt: setattr(self, "available", list(offers)))

        self.watcher = UpdateWatcher.from_config(
            cfg, installed_version=Installer.from_config(cfg).installed_version,
            is_idle=self.kiosk_idle, on_change=found).start()

    def kiosk_idle(self) -> bool:
        """Nobody at the screen (asked from the watcher's thread: two plain reads)."""
        return self.app.session.screen is Screen.ATTRACT and not self.holds_screen

    def use_clock(self, clock: Callable[[], datetime]) -> None:
        """The wall clock staff mode reads (lock-outs, idle logout, the audit log): the UI
        tests move it by hand."""
        self.session.clock = clock
        self.session.touched()

    # -- touches -------------------------------------------------------------------------
    def _now(self) -> float:
        return self.app.session.clock()

    def _touch_down(self, _window, touch) -> bool:  # type: ignore[no-untyped-def]
        if self.holds_screen:
            self.session.touched()  # the idle logout starts over
        else:
            self.gesture.touch_down(touch.x, touch.y, self._now())
        return False  # never swallowed: the app's handler and the widgets see it too

    def _touch_up(self, _window, touch) -> bool:  # type: ignore[no-untyped-def]
        if not self.holds_screen and self.gesture.touch_up(touch.x, touch.y, self._now()):
            # After this touch has reached the widget it began on (a grabbed button
            # releases whatever this returns): what it did is undone with the visit.
            Clock.schedule_once(lambda _dt: self.open())
        return False

    # -- in and out ----------------------------------------------------------------------
    def open(self) -> None:
        """The gesture was made: the visit ends, the names are shown."""
        if self.holds_screen or self.app.tickets is None:
            return  # (no database yet: the services start just after the first frame)
        self.app.session.end()
        self.session.start()

    def leave(self) -> None:
        """The Leave (or Cancel) button."""
        if self.session.state is State.CLOSED:
            self._show_citizen_screens()
        else:
            self.session.leave()

    def tick(self) -> None:
        """Called by the Kivy clock twice a second: the idle logout, and the lock-out's
        countdown on the PIN screen."""
        if self._session is None or self.session.state is State.CLOSED:
            return
        if staff_work.running():
            self.session.touched()  # an install or export under way: staff mode stays
        if not self.session.tick() and self.app.manager.current == PIN_SCREEN:
            self.app.screen(PIN_SCREEN).tick()

    def act(self, action: str, detail: str = "") -> None:
        """Audits a staff action under the signed-in name; one finishing after the staff
        member left (a printer check) is logged instead."""
        if self.session.state is State.OPEN:
            self.session.act(action, detail)
        else:
            log.info("staff mode: %s %s after sign-out", action, detail)

    def _session_changed(self, session: StaffSession) -> None:
        self.who = session.who or ""
        if session.state is State.CLOSED:
            self._show_citizen_screens()
        elif session.state is State.OPEN:
            self._show(STAFF_SCREEN)
            self.app.screen(STAFF_SCREEN).opened()
        else:
            self._show(PIN_SCREEN)
            self.app.screen(PIN_SCREEN).show_state(session)

    def _show(self, name: str) -> None:
        app = self.app
        if not self.holds_screen:
            self.holds_screen = True
            app.prompts.stop()
            self._hide_navbar()
        if app.manager.current != name:
            app.screen(name)
            app.manager.current = name
            # A double tap must not act on the screen the first tap opened.
            app.touch_guard.screen_shown()

    def _show_citizen_screens(self) -> None:
        if not self.holds_screen:
            return
        self.holds_screen = False
        self._show_navbar()
        self.app.session.end()  # the app follows the session again: attract
        self.app.touch_guard.screen_shown()

    def _hide_navbar(self) -> None:
        # The citizen's navigation (Home, Back, Language…) has no meaning here.
        navbar = self.app.navbar
        if navbar.parent is not None:
            self._navbar_at = navbar.parent.children.index(navbar)
            navbar.parent.remove_widget(navbar)

    def _show_navbar(self) -> None:
        if self._navbar_at is not None and self.app.navbar.parent is None:
            self.app.root.add_widget(self.app.navbar, index=self._navbar_at)
        self._navbar_at = None

    # -- for the screens -----------------------------------------------------------------
    def tr(self, message: str, *_watched: object) -> str:
        """`message` in the staff screens' language."""
        return self.app.tr(message, self.lang)

    def next_language(self) -> None:
        i = STAFF_LANGUAGES.index(self.lang) if self.lang in STAFF_LANGUAGES else -1
        self.lang = STAFF_LANGUAGES[(i + 1) % len(STAFF_LANGUAGES)]
