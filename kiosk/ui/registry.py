"""The screens and widgets by name, derived from the one list of screens (kiosk.session
Screen): a screen's class is named after it (ticket_status: TicketStatusScreen in
kiosk/ui/screens.py, catalogue_screens.py or dossier_screens.py) and so is its layout
(kiosk/ui/kv/ticket_status.kv). Staff mode's screens (kiosk/ui/staff_screens.py) are
outside the citizen's session: loaded the first time staff come, not before the first
frame."""

from __future__ import annotations

from pathlib import Path

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.uix.screenmanager import Screen as KivyScreen

from kiosk.session import Screen
from kiosk.ui import catalogue_screens, dossier_screens, screens, widgets

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


def screen_class(screen: Screen) -> type[KivyScreen]:
    name = "".join(word.title() for word in screen.value.split("_")) + "Screen"
    return (getattr(screens, name, None) or getattr(catalogue_screens, name, None)
            or getattr(dossier_screens, name))


# Every screen by name, in the order they are built after the first frame.
SCREENS: dict[str, type[KivyScreen]] = {screen.value: screen_class(screen) for screen in Screen}


def load_layouts(names: list[str] = KV_FILES) -> None:
    """The citizen screens' layouts in `names` not loaded yet."""
    for name in names:
        if name not in _LOADED_KV:
            Builder.load_file(str(KV_DIR / f"{name}.kv"))
            _LOADED_KV.add(name)


def make_screen(name: str) -> KivyScreen:
    if name in SCREENS:
        load_layouts(FIRST_FRAME_KV_FILES if name == Screen.ATTRACT.value else KV_FILES)
        return SCREENS[name](name=name)
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
