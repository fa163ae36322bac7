"""The screens and widgets by name, derived from the one list of screens (kiosk.session
Screen): a screen's class is named after it (ticket_status: TicketStatusScreen) and found
in one of SCREEN_MODULES (kiosk/ui/screens.py, status_screens.py, catalogue_screens.py,
dossier_screens.py), and so is its layout (kiosk/ui/kv/ticket_status.kv). Staff mode's
screens (kiosk/ui/staff_screens.py) are outside the citizen's session: loaded the first
time staff come, not before the first frame."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.uix.screenmanager import Screen as KivyScreen

from kiosk.session import Screen
from kiosk.ui import screens, widgets

KV_DIR = Path(__file__).resolve().parent / "kv"
# common.kv holds what every screen shares (header, navigation bar, buttons).
KV_FILES = ["common", *(screen.value for screen in Screen)]
# Loaded before the first frame; the others all together with the first other screen (a
# visit may need any screen first: a scanned receipt opens dossier_status).
FIRST_FRAME_KV_FILES = ["common", Screen.ATTRACT.value]
_LOADED_KV: set[str] = set()

# Python widget classes the .kv files name.
for _cls in (widgets.IconButton, widgets.IdleView, widgets.LanguageButton,
             widgets.FreshLabel, widgets.ReasonButton, widgets.DocumentLine,
             widgets.SpeakingIndicator, widgets.CitizenKey, screens.ServiceButton):
    Factory.register(_cls.__name__, cls=_cls)


# Every citizen screen by name, in the order they are built after the first frame.
SCREENS: tuple[str, ...] = tuple(screen.value for screen in Screen)
# The modules of their classes. All but the first load after the first frame, with the
# first of the other screens (and what they bring: the catalogue, the dossier code, the
# centre's answers, the ratings).
SCREEN_MODULES = ("kiosk.ui.screens", "kiosk.ui.status_screens", "kiosk.ui.catalogue_screens",
                  "kiosk.ui.dossier_screens")


@cache
def screen_class(name: str) -> type[KivyScreen]:
    """The class of the citizen screen `name` (attract: AttractScreen)."""
    class_name = "".join(word.title() for word in name.split("_")) + "Screen"
    if name == Screen.ATTRACT.value:
        return screens.AttractScreen
    for module in SCREEN_MODULES:
        found = getattr(importlib.import_module(module), class_name, None)
        if found is not None:
            return found
    raise LookupError(f"no screen class {class_name} in {', '.join(SCREEN_MODULES)}")


def load_layouts(names: list[str] = KV_FILES) -> None:
    """The citizen screens' layouts in `names` not loaded yet."""
    for name in names:
        if name not in _LOADED_KV:
            Builder.load_file(str(KV_DIR / f"{name}.kv"))
            _LOADED_KV.add(name)


def make_screen(name: str) -> KivyScreen:
    if name in SCREENS:
        cls = screen_class(name)  # before the layouts: their rules name its module's widgets
        load_layouts(FIRST_FRAME_KV_FILES if name == Screen.ATTRACT.value else KV_FILES)
        return cls(name=name)
    return staff_screen_classes()[name](name=name)


_STAFF_LOADED: dict[str, type[KivyScreen]] = {}


def staff_screen_classes() -> dict[str, type[KivyScreen]]:
    """Staff mode's screens by name, their layouts and widgets loaded on first call."""
    if not _STAFF_LOADED:
        from kiosk.ui import staff_screens, staff_settings, staff_tabs

        for cls in (staff_screens.PinPad, staff_screens.ConfirmDialog,
                    staff_settings.StaffStepper, *staff_tabs.TAB_CLASSES.values()):
            Factory.register(cls.__name__, cls=cls)
        # What the staff screens share, the two screens, and each tab of the staff screen.
        for name in ["staff_common", "staff_pin", "staff",
                     *(f"staff_{key}" for key in staff_tabs.TAB_CLASSES)]:
            Builder.load_file(str(KV_DIR / f"{name}.kv"))
        _STAFF_LOADED.update(staff_pin=staff_screens.StaffPinScreen,
                             staff=staff_screens.StaffScreen)
    return _STAFF_LOADED
