"""Typing one translation in staff mode's Voice tab (kiosk/ui/staff_studio.py): a panel over
the whole window with the Vietnamese, the text typed and an on-screen keyboard with the
language's letters (kiosk/keyboards.py), sized to fit so that nothing scrolls.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView

from kiosk.keyboards import Key, layout, press
from kiosk.ui import theme

if TYPE_CHECKING:
    from kiosk.ui.staff_studio import StudioTab

# The typing panel's keys (docs/architecture.md, Staff mode on the screen): never under the
# touch minimum either way; at most 13 columns (a-z in two rows on a wide screen: a
# wider key is no easier to hit) and no taller than this, in dp.
KEY_GAP_DP, GROUP_GAP_DP = 8, 16
MAX_COLUMNS = 13
MAX_KEY_HEIGHT_DP = 150
TYPED_LINES = 3  # of the text typed in sight, where the window has room for them


class TypeKey(ButtonBehavior, Label):
    """One key of the studio's keyboard: large, its letter in the bundled font (Noto Sans
    draws ƀ and the stacked breves)."""

    key = ObjectProperty(None)
    shifted = BooleanProperty(False)  # the keyboard's Shift is on: a letter shows capital
    down = BooleanProperty(False)  # drawn as pressed (Shift while on)


class StudioKeyboard(BoxLayout):
    """The language's letters, marks, the sentence's {fields}, digits and punctuation
    (kiosk/keyboards.py), then Shift, Space, Delete, Cancel and Save; `on_typed(text)` after
    each key. The keys are sized to the room the keyboard has (`fit`): it never scrolls."""

    text = StringProperty("")
    shifted = BooleanProperty(False)
    can_save = BooleanProperty(False)
    columns = NumericProperty(1)
    key_width = NumericProperty(dp(theme.TOUCH_MIN_DP))
    key_height = NumericProperty(dp(theme.TOUCH_MIN_DP))
    key_gap = NumericProperty(dp(KEY_GAP_DP))
    group_gap = NumericProperty(dp(GROUP_GAP_DP))
    least_height = NumericProperty(0)  # with keys of the touch minimum: what it must have
    __events__ = ("on_typed", "on_cancel", "on_save")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fit = Clock.create_trigger(self.fit, -1)  # before the next frame is drawn
        self.bind(size=self._fit)

    def show(self, lang: str, msgid: str, text: str) -> None:
        blocks = self.ids.blocks
        blocks.clear_widgets()
        for _name, keys in layout(lang, msgid).groups():
            if not keys:
                continue
            block = Factory.KeyBlock(spacing=self.key_gap)
            for key in keys:
                block.add_widget(self._key(key))
            blocks.add_widget(block)
        self.reset(text)
        self._fit()

    def reset(self, text: str) -> None:
        self.text, self.shifted = text, False
        self.dispatch("on_typed", self.text)

    def _key(self, key: Key) -> TypeKey:
        button = Factory.LetterKey(key=key, shifted=self.shifted)
        self.bind(shifted=button.setter("shifted"))
        button.bind(on_release=lambda b: self.press(b.key))
        return button

    def fit(self, *_args: object) -> None:
        """One key width for all, so that whole columns fill the width (a {placeholder}
        too long for one key takes several columns), and one height, so that every row
        and the bottom row fill the height; each group of keys starts a row."""
        gap, least = self.key_gap, dp(theme.TOUCH_MIN_DP)
        columns = max(1, min(MAX_COLUMNS, int((self.width + gap) // (least + gap))))
        key_width = (self.width - (columns - 1) * gap) / columns
        blocks = [block.children[::-1] for block in self.ids.blocks.children[::-1]]
        spans: list[tuple[TypeKey, int]] = []
        rows = 0
        for keys in blocks:
            used = columns  # a group starts a row
            for key in keys:
                key.texture_update()  # its words' width, for a {placeholder}
                span = math.ceil((key.texture_size[0] + dp(24) + gap) / (key_width + gap))
                span = max(1, min(columns, span))
                if used + span > columns:
                    rows, used = rows + 1, 0
                used += span
                spans.append((key, span))
        # The height left for the rows of keys and the bottom row, once the gaps are
        # counted: the groups', and one under each row (a StackLayout counts the last).
        gaps = (len(blocks) + 1) * self.group_gap + rows * gap
        self.least_height = (rows + 1) * least + gaps
        key_height = (self.height - gaps) / (rows + 1)
        key_height = max(least, min(dp(MAX_KEY_HEIGHT_DP), key_height))
        self.columns, self.key_width, self.key_height = columns, key_width, key_height
        for key, span in spans:
            # A hair narrower: the row's sum never rounds over the width and wraps early.
            key.size = (span * key_width + (span - 1) * gap - 0.01, key_height)

    def press(self, key: Key) -> None:
        if key.kind == "shift":
            self.shifted = not self.shifted
            return
        self.text = press(self.text, key, self.shifted)
        if key.kind == "letter":
            self.shifted = False
        self.dispatch("on_typed", self.text)

    def on_typed(self, text: str) -> None:
        pass

    def on_cancel(self) -> None:
        pass

    def on_save(self) -> None:
        pass


class TypingPanel(ModalView):
    """Typing one translation, over the whole window: the Vietnamese, the text typed and
    the keyboard, all in sight without scrolling on a portrait kiosk, a landscape screen
    or a tablet. Cancel drops what was typed; Save stores it for review (StudioTab
    save_text) and closes, or says here why it was not saved."""

    vi_text = StringProperty("")
    text = StringProperty("")  # being typed
    original = StringProperty("")  # what was saved before
    message = StringProperty("")  # why the last Save failed, in words
    working = BooleanProperty(False)
    can_save = BooleanProperty(False)  # something new typed, nothing being written
    typed_height = NumericProperty(dp(theme.TOUCH_MIN_DP))  # the box of the text typed

    def __init__(self, tab: StudioTab, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tab = tab
        self.bind(text=self._can_save, original=self._can_save, working=self._can_save)
        self._layout = Clock.create_trigger(self.layout_text, -1)
        self.bind(size=self._layout)
        self.ids.top.bind(height=self._layout)
        self.ids.message.bind(height=self._layout)
        self.ids.keyboard.bind(least_height=self._layout, width=self._layout)

    def layout_text(self, *_args: object) -> None:
        """The text typed gets TYPED_LINES lines, or what is left above keys of the touch
        minimum: fixed while typing, so no key moves under a finger as the text wraps."""
        from kivy.core.text import Label as CoreLabel

        box, ids = self.ids.box, self.ids
        line = CoreLabel(text="Ƀ|", font_size=ids.typed.font_size)
        line.refresh()
        wanted = TYPED_LINES * line.content_height + dp(24)
        free = (self.height - box.padding[1] - box.padding[3] - 3 * box.spacing
                - ids.top.height - ids.message.height - ids.keyboard.least_height)
        self.typed_height = max(dp(theme.TOUCH_MIN_DP), min(wanted, free))

    def _can_save(self, *_args: object) -> None:
        self.can_save = (bool(self.text.strip()) and self.text != self.original
                         and not self.working)

    @property
    def is_open(self) -> bool:
        return bool(self._is_open)

    def start(self, lang: str, msgid: str, vi_text: str, text: str) -> None:
        self.vi_text, self.original, self.message, self.working = vi_text, text, "", False
        self.ids.keyboard.show(lang, msgid, text)
        App.get_running_app().touch_guard.screen_shown()  # a double tap types nothing
        self.open(animation=False)

    def clear(self) -> None:
        self.ids.keyboard.reset("")

    def cancel(self) -> None:
        self.close()

    def save(self) -> None:
        if self.can_save:
            self.message = ""
            self.tab.save_text(self.text)

    def close(self) -> None:
        if self._is_open:
            self.dismiss(animation=False)
            self.tab.app.touch_guard.screen_shown()


# The .kv names these (staff mode's layouts load when staff first come: kiosk/ui/registry.py).
for _cls in (TypeKey, StudioKeyboard, TypingPanel):
    Factory.register(_cls.__name__, cls=_cls)
