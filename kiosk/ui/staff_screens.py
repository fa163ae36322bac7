"""Staff mode's two screens (kiosk/ui/staff_control.py shows them): the sign-in screen
(names, then a PIN pad) and the staff screen with its tabs (kiosk/ui/staff_tabs.py).
Layouts in kv/staff_pin.kv, kv/staff.kv and kv/staff_common.kv."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import Screen

from kiosk.i18n import N_
from kiosk.pins import PIN_MAX, LockedOut, SignInRefused
from kiosk.staff_mode import StaffSession, State
from kiosk.ui.staff_work import make

WRONG_PIN = N_("Wrong name or PIN.")
LOCKED_OUT = N_("Too many wrong PINs. Try again at {time} (in {seconds} s).")
RESTART_SURE = N_("Restart the kiosk now? It is back in a few seconds.")
TAB_NAMES = (("devices", N_("Devices")), ("settings", N_("Settings")), ("reset", N_("Reset")),
             ("updates", N_("Updates")), ("languages", N_("Languages")),
             ("studio", N_("Voice")))


def staff():  # type: ignore[no-untyped-def]
    """The app's StaffControl."""
    return App.get_running_app().staff


class PinPad(BoxLayout):
    """Digits, Delete and OK, large; the PIN typed shows as dots. `on_enter(pin)`."""

    pin = StringProperty("")
    dots = StringProperty("")
    __events__ = ("on_enter",)

    def on_kv_post(self, base_widget) -> None:  # type: ignore[no-untyped-def]
        for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "delete", "0", "ok"):
            button = make("StaffKey", key=key)
            button.bind(on_release=lambda b: self.press(b.key))
            self.ids.key_grid.add_widget(button)

    def press(self, key: str) -> None:
        if key == "delete":
            self.pin = self.pin[:-1]
        elif key == "ok":
            if self.pin:
                pin, self.pin = self.pin, ""
                self.dispatch("on_enter", pin)
        elif len(self.pin) < PIN_MAX:
            self.pin += key

    def on_pin(self, _pad, pin: str) -> None:
        self.dots = " ".join("•" * len(pin)) or " "

    def on_enter(self, pin: str) -> None:
        pass


class StaffPinScreen(Screen):
    """The names to choose from, then the PIN pad for the chosen name."""

    choosing = BooleanProperty(True)  # the names are shown (else the PIN pad)
    chosen = StringProperty("")
    message = StringProperty("")  # why the last PIN did not sign in (a message id)
    locked_until = ObjectProperty(None, allownone=True)  # aware datetime of a lock-out
    until = StringProperty("")  # the lock-out's end, HH:MM:SS local time
    seconds_left = NumericProperty(0)

    def on_kv_post(self, base_widget) -> None:  # type: ignore[no-untyped-def]
        self.ids.pad.bind(on_enter=lambda _pad, pin: self.sign_in(pin))
        # Declared in the .kv beside the layout; shown one at a time in its body.
        # (The objects themselves: ids hold weak references.)
        self._panels = (self.ids.names_panel.__self__, self.ids.pin_panel.__self__)
        for panel in self._panels:
            self.remove_widget(panel)

    def show_state(self, session: StaffSession) -> None:
        self.choosing = session.state is State.CHOOSING
        self.chosen = session.chosen or ""
        self.message, self.locked_until = "", None
        # A new name or state starts with a pad that takes digits: left disabled by an
        # earlier lock-out until the next tick, it swallowed the first digits typed.
        self.ids.pad.pin, self.ids.pad.disabled = "", False
        body = self.ids.body
        body.clear_widgets()
        body.add_widget(self._panels[0] if self.choosing else self._panels[1])
        # The PIN pad's keys lie where the names were: a double tap types no digit.
        App.get_running_app().touch_guard.screen_shown()
        if self.choosing:
            self._list_names(session.names())

    def _list_names(self, names: list[str]) -> None:
        grid = self.ids.names
        grid.clear_widgets()
        for name in names:
            button = Factory.StaffButton(text=name, icon="still_here")
            button.bind(on_release=lambda b: staff().session.choose(b.text))
            grid.add_widget(button)
        self.ids.no_staff.opacity = 0 if names else 1

    def sign_in(self, pin: str) -> None:
        try:
            staff().session.sign_in(self.chosen, pin)
        except LockedOut as exc:
            self.locked_until = exc.until
            self.tick()
        except SignInRefused:
            self.message, self.locked_until = WRONG_PIN, None

    def tick(self) -> None:
        """The lock-out's time left, counted down on the staff session's clock; the PIN
        pad takes nothing until it is over."""
        if self.locked_until is None:
            self.ids.pad.disabled = False
            return
        left = (self.locked_until - staff().session.clock()).total_seconds()
        if left <= 0:
            self.message, self.locked_until = "", None
            self.ids.pad.disabled = False
            return
        self.ids.pad.disabled = True
        local = self.locked_until.astimezone(ZoneInfo(App.get_running_app().kiosk_config.timezone))
        self.until = f"{local:%H:%M:%S}"
        self.seconds_left = int(left + 0.999)
        self.message = LOCKED_OUT


class StaffScreen(Screen):
    """Signed in: the tabs, the last outcome in words, Leave."""

    tab = StringProperty("")
    notice = StringProperty("")  # the last action's outcome, or why it was refused
    notice_ok = BooleanProperty(True)
    seconds = NumericProperty(0)  # bumped by the staff clock's tick, for live rows

    def on_kv_post(self, base_widget) -> None:  # type: ignore[no-untyped-def]
        from kiosk.ui.staff_tabs import TAB_CLASSES

        self._tab_classes = TAB_CLASSES
        self._tabs: dict[str, object] = {}
        for key, msgid in TAB_NAMES:
            button = make("StaffTab", key=key, msgid=msgid)
            button.bind(on_release=lambda b: self.show_tab(b.key))
            self.ids.tabs.add_widget(button)
        staff().bind(lang=self._name_tabs, available=self._name_tabs)
        self._name_tabs()

    def _name_tabs(self, *_args) -> None:  # type: ignore[no-untyped-def]
        """Each tab's name in the staff's language; Updates with how many updates the
        watcher found while the kiosk was idle."""
        control = staff()
        for button in self.ids.tabs.children:
            text = control.tr(button.msgid)
            if button.key == "updates" and control.available:
                text += f" ({len(control.available)})"
            button.text = text

    def opened(self) -> None:
        """Just signed in: the Devices tab first, no old notice."""
        self.tell("")
        self.show_tab("devices")

    def show_tab(self, key: str) -> None:
        if key != self.tab:
            self.tell("")
        previous = self._tabs.get(self.tab)
        if previous is not None:
            previous.hidden()  # type: ignore[attr-defined]
        self.tab = key
        for button in self.ids.tabs.children:
            button.kind = "action" if button.key == key else "option"
        widget = self.tab_widget(key)
        body = self.ids.body
        body.clear_widgets()
        body.add_widget(widget.parent)
        widget.parent.scroll_y = 1
        widget.shown()  # type: ignore[attr-defined]

    def tab_widget(self, key: str):  # type: ignore[no-untyped-def]
        """The tab's widget (built when first asked for), in a scrolling view of its own:
        one tab's scrolling (and its bounce) never carries over to another's touches."""
        if key not in self._tabs:
            widget = self._tabs[key] = self._tab_classes[key]()
            Factory.StaffScroll().add_widget(widget)
        return self._tabs[key]

    def tell(self, text: str, ok: bool = True) -> None:
        """Says an outcome under the tabs (already in the staff's language)."""
        self.notice, self.notice_ok = text, ok


class StaffTabBase(BoxLayout):
    """What every tab of the staff screen has: the app, staff mode, a way to say an
    outcome under the tabs, and `shown()` / `hidden()` as the tab comes and goes."""

    @property
    def app(self):  # type: ignore[no-untyped-def]
        return App.get_running_app()

    @property
    def control(self):  # type: ignore[no-untyped-def]
        return self.app.staff

    def tell(self, text: str, ok: bool = True) -> None:
        """Says `text` (already in the staff's language) under the tabs."""
        self.app.screen("staff").tell(text, ok=ok)

    def say(self, msgid: str, ok: bool = True, **values: object) -> None:
        """Says message `msgid` in the staff's language, its {fields} filled."""
        self.tell(self.control.tr(msgid).format(**values), ok=ok)

    def shown(self) -> None:
        pass

    def hidden(self) -> None:
        pass

    def offer_restart(self) -> None:
        """"Restart now?": on yes the kiosk stops cleanly (a ticket being issued is finished
        first) and its service starts it again (kiosk/ui/lifecycle.py)."""

        def restart(_pin: str) -> None:
            self.control.act("restart")
            self.app.lifecycle.request_restart()

        ConfirmDialog(self.control.tr(RESTART_SURE), self.control.tr("Restart"),
                      restart).show()


class ConfirmDialog(ModalView):
    """"Are you sure?" before an action that cannot be undone; with a PIN pad when the
    action needs the staff member's PIN again (a wipe)."""

    question = StringProperty("")
    yes_text = StringProperty("")
    with_pin = BooleanProperty(False)

    def __init__(self, question: str, yes_text: str, on_yes: Callable[[str], None],
                 with_pin: bool = False) -> None:
        super().__init__(question=question, yes_text=yes_text, with_pin=with_pin)
        self._on_yes = on_yes
        if not with_pin:
            self.ids.box.remove_widget(self.ids.pad)
        else:
            self.ids.pad.bind(on_enter=lambda _pad, pin: self.answer(pin))
            self.ids.buttons.remove_widget(self.ids.yes)

    def show(self) -> None:
        App.get_running_app().touch_guard.screen_shown()  # no double tap says yes
        self.open(animation=False)

    def answer(self, pin: str = "") -> None:
        self.dismiss(animation=False)
        self._on_yes(pin)
