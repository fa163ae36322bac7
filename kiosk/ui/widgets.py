"""Reusable widgets; their look is in kv/common.kv."""

from __future__ import annotations

from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    NumericProperty,
    OptionProperty,
    StringProperty,
)
from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.modalview import ModalView

from kiosk.paths import ICONS
from kiosk.ui import theme


def icon_path(name: str) -> str:
    return str(ICONS / f"{name}.png")


class IconButton(ButtonBehavior, AnchorLayout):
    """A large button: an icon above or beside its words, never words alone."""

    orientation = OptionProperty("vertical", options=["vertical", "horizontal"])
    icon = StringProperty("")
    text = StringProperty("")
    subtitle = StringProperty("")
    font_size = NumericProperty(theme.FONT_BUTTON)
    bg_color = ColorProperty(theme.NAVY)
    fg_color = ColorProperty(theme.WHITE)
    icon_size = NumericProperty(96)
    available = BooleanProperty(True)


class IdleView(ModalView):
    """"Are you still there?" with a countdown; any touch keeps the visit going."""

    seconds = NumericProperty(0)


class LanguageButton(IconButton):
    """One offered language, named as its own speakers write it."""

    lang = StringProperty("")
