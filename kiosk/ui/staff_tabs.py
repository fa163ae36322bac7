"""The staff screen's tabs by key (kiosk/ui/staff_screens.py TAB_NAMES), each a widget with
its layout in kv/staff_<key>.kv and `shown()` / `hidden()` called as it comes and goes."""

from __future__ import annotations

from kivy.uix.widget import Widget

from kiosk.ui.staff_devices import DevicesTab
from kiosk.ui.staff_reset import ResetTab
from kiosk.ui.staff_settings import SettingsTab
from kiosk.ui.staff_studio import StudioTab
from kiosk.ui.staff_updates import LanguagesTab, UpdatesTab

TAB_CLASSES: dict[str, type[Widget]] = {
    "devices": DevicesTab,
    "settings": SettingsTab,
    "reset": ResetTab,
    "updates": UpdatesTab,
    "languages": LanguagesTab,
    "studio": StudioTab,
}
