"""Reusable widgets; their look is in kv/common.kv."""

from __future__ import annotations

import math
from collections.abc import Callable

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    ListProperty,
    NumericProperty,
    OptionProperty,
    StringProperty,
)
from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.paths import ICONS
from kiosk.ui import theme


def icon_path(name: str) -> str:
    return str(ICONS / f"{name}.png")


def delete_key(on_delete: Callable[[], None]) -> Widget:
    """The on-screen keyboards' Delete key: the arrow and a word (no action is a picture
    alone), in the citizen's language."""
    app = App.get_running_app()
    key = Factory.KeyButton(icon="back", text=app.tr_plain("Delete"), icon_size=30, gap=0,
                            font_size=theme.FONT_SMALL)
    app.bind(lang=lambda *_a: setattr(key, "text", app.tr_plain("Delete")))
    key.bind(on_release=lambda _b: on_delete())
    return key


def scroll_to_top(widget: Widget) -> None:
    """Every scrolling list in `widget` back at its top: a screen opens where reading
    starts (who a procedure is for), not where the last citizen left it."""
    for child in widget.walk(restrict=True):
        if isinstance(child, ScrollView):
            child.scroll_y = 1


class IconButton(ButtonBehavior, AnchorLayout):
    """A large button: an icon above or beside its words, never words alone."""

    orientation = OptionProperty("vertical", options=["vertical", "horizontal"])
    icon = StringProperty("")
    text = StringProperty("")
    subtitle = StringProperty("")
    font_size = NumericProperty(theme.FONT_BUTTON)
    # What the button is, which sets its colours from app.palette (kv/common.kv):
    # an action, a choice not (yet) chosen, or a feature this kiosk does not offer yet.
    kind = OptionProperty("action", options=["action", "option", "unavailable"])
    bg_color = ColorProperty(theme.NAVY)
    fg_color = ColorProperty(theme.WHITE)
    edge_width = NumericProperty(0)  # outline, in pixels
    icon_size = NumericProperty(96)
    gap = NumericProperty(16)  # between the icon and the words, in dp
    # Words drawn at the citizen's text size (app.text_scale), except in the navigation
    # bar, which must always fit.
    follow_text_size = BooleanProperty(True)
    scale = NumericProperty(1.0)


class IdleView(ModalView):
    """"Are you still there?" with a countdown; any touch keeps the visit going."""

    seconds = NumericProperty(0)


class LanguageButton(IconButton):
    """One offered language, named as its own speakers write it."""

    lang = StringProperty("")


class FreshLabel(Label):
    """A label that draws changed text into a new texture, once it can be seen.

    Kivy re-uses a label's texture when the new text has the same size (a ticket number
    A001 → A002, a countdown 9 → 8). Under software GL (llvmpipe, as on kiosks without a
    GPU driver and in CI) updating a texture that earlier frames used makes the driver
    wait for them: measured 0.4-1.1 s per change, against ~10 ms for a new texture.

    A label already drawn once that changes while off the window (on a screen not shown)
    is drawn again only when it is back on the window, in the frame that shows it: a text
    size or language switch re-rendered the ~120 labels of every screen in the frame after
    the touch, which took that frame to 110-170 ms (benchmarks/ui_latency.py).
    """

    _changed = False  # a property it is drawn from changed since it was last drawn

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        # Label's own trigger (still pending: the first drawing) draws whether seen or not.
        self._trigger_texture = Clock.create_trigger(self._draw_if_seen, -1)

    def _trigger_texture_update(self, name=None, source=None, value=None) -> None:  # type: ignore[no-untyped-def]
        self._changed = True
        super()._trigger_texture_update(name, source, value)

    def _draw_if_seen(self, *_args) -> None:  # type: ignore[no-untyped-def]
        if not self._changed:
            return  # drawn meanwhile (the first drawing, or texture_update called directly)
        if self.texture is not None and self.get_root_window() is None:
            _draw_when_on_window(self)
            return
        self.texture_update()

    def texture_update(self, *largs) -> None:  # type: ignore[no-untyped-def]
        self._changed = False
        self._label.texture = None  # CoreLabel.refresh() then creates a new texture
        super().texture_update(*largs)


def _draw_when_on_window(label: FreshLabel) -> None:
    """Has `label` drawn once the widget tree it is in is put somewhere (a screen shown, a
    dialog opened): its outermost widget, which has no parent now, says when."""
    top: Widget = label
    while top.parent is not None:
        top = top.parent
    waiting: set[FreshLabel] | None = top.__dict__.get("_labels_to_draw")
    if waiting is None:
        waiting = top.__dict__["_labels_to_draw"] = set()
        top.fbind("parent", _draw_waiting_labels)
    waiting.add(label)


def _draw_waiting_labels(top: Widget, _parent: Widget | None) -> None:
    top.funbind("parent", _draw_waiting_labels)
    # Drawn before the coming frame (a trigger; they wait again if still off the window).
    for label in top.__dict__.pop("_labels_to_draw", ()):
        label._trigger_texture()


class CitizenKey(ButtonBehavior, FreshLabel):
    """A key of the citizens' on-screen keyboards: a letter, a digit or Space, coloured
    like an action button (kv/common.kv). One widget, where an IconButton is six: the two
    keyboards have 65 keys, built before a citizen arrives (docs/architecture.md,
    "Start-up")."""

    edge_width = NumericProperty(0)  # outline, in pixels (high contrast)


class DocumentLine(BoxLayout):
    """One paper to bring on a procedure's checklist: a picture and its words."""

    text = StringProperty("")
    picture = StringProperty("")  # kiosk.catalogue.DOCUMENT_PICTURES: an icon name


class ReasonButton(IconButton):
    """One reason for dissatisfaction; touching it again takes it back."""

    code = StringProperty("")
    chosen = BooleanProperty(False)

    def on_release(self) -> None:
        self.chosen = not self.chosen


class SpeakingIndicator(Widget):
    """The speaker and five level bars that move while the kiosk speaks (kv/common.kv): a
    citizen who cannot hear sees that the kiosk is talking, without reading a word."""

    active = BooleanProperty(False)
    levels = ListProperty([0.3] * 5)  # each bar's height, 0..1
    STEP_SECONDS = 0.12
    _step = 0

    def on_active(self, _widget, active: bool) -> None:
        event = getattr(self, "_event", None)
        if event is not None:
            event.cancel()
            self._event = None
        if active:
            self._event = Clock.schedule_interval(self._move, self.STEP_SECONDS)
            self._move(0)
        else:
            self.levels = [0.3] * 5

    def _move(self, _dt: float) -> None:
        # A pattern, not the sound's level: the bars say "speaking", not how loud.
        self._step += 1
        self.levels = [0.25 + 0.75 * abs(math.sin(self._step * 0.7 + i * 1.9))
                       for i in range(5)]
