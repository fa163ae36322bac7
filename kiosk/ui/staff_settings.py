"""The Settings tab of staff mode, and the kiosk's settings applied to the running app.

Staff change this kiosk's languages (which, and their order on the language screen), the
text size a visit starts at, the volume of the voice prompts and the idle timeout. Save
checks them and writes the overlay (kiosk/kiosk_settings.py); the running kiosk takes them
at once: the next visit starts with them, no restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kivy.properties import ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.i18n import N_, language_name
from kiosk.kiosk_settings import (
    SettingsRefused,
    StaffSettings,
    current_settings,
    save_settings,
)
from kiosk.ui.live_settings import apply_settings
from kiosk.ui.staff_screens import StaffTabBase
from kiosk.ui.staff_work import make

if TYPE_CHECKING:
    pass

VOLUME_STEP = 10
# The idle timeouts offered, in seconds (the config allows 5-3600: these are the sensible).
IDLE_TIMEOUTS = (30, 45, 60, 90, 120, 180, 300)
TEXT_SIZE_WORDS = {"normal": N_("Normal"), "large": N_("Large"), "extra_large": N_("Extra large")}
SAVED = N_("Saved. The next visit starts with these settings.")
NOT_SAVED = N_("Not saved: {reason}")




class SettingsTab(StaffTabBase):
    """A draft of the settings, changed by touches, saved by Save."""

    languages = ListProperty([])  # offered, in order
    text_size = StringProperty("normal")
    volume = NumericProperty(80)
    idle_timeout = NumericProperty(60)

    def shown(self) -> None:
        self.undo()

    def undo(self) -> None:
        """The draft as the kiosk runs now."""
        now = current_settings(self.app.kiosk_config)
        self.languages = list(now.languages)
        self.text_size, self.volume, self.idle_timeout = (now.text_size, now.volume,
                                                          now.idle_timeout)
        self._list_languages()

    # -- languages -------------------------------------------------------------------------
    def _list_languages(self) -> None:
        rows = self.ids.languages
        rows.clear_widgets()
        others = [lang for lang in self.app.kiosk_config.known_languages
                  if lang not in self.languages]
        for lang in [*self.languages, *others]:
            rows.add_widget(make("LanguageSettingRow", lang=lang, name=language_name(lang),
                                                       tab=self))

    def toggle_language(self, lang: str) -> None:
        if lang in self.languages:
            if lang != "vi":  # every other language falls back to Vietnamese
                self.languages.remove(lang)
        else:
            self.languages.append(lang)
        self._list_languages()

    def move_language(self, lang: str, step: int) -> None:
        if lang not in self.languages:
            return
        i = self.languages.index(lang)
        j = max(0, min(len(self.languages) - 1, i + step))
        self.languages[i], self.languages[j] = self.languages[j], self.languages[i]
        self._list_languages()

    # -- the others ------------------------------------------------------------------------
    def choose_text_size(self, name: str) -> None:
        self.text_size = name

    def change_volume(self, step: int) -> None:
        self.volume = max(0, min(100, self.volume + step * VOLUME_STEP))

    def change_idle_timeout(self, step: int) -> None:
        known = sorted({*IDLE_TIMEOUTS, int(self.idle_timeout)})
        i = known.index(int(self.idle_timeout)) + step
        self.idle_timeout = known[max(0, min(len(known) - 1, i))]

    def save(self) -> None:
        app, control = self.app, self.app.staff
        wanted = StaffSettings(tuple(self.languages), self.text_size, int(self.volume),
                               float(self.idle_timeout))
        screen = app.screen("staff")
        try:
            cfg = save_settings(app.kiosk_config, wanted)
        except SettingsRefused as exc:
            screen.tell(control.tr(NOT_SAVED).format(reason=exc), ok=False)
            return
        apply_settings(app, cfg)
        control.act("settings", f"languages={','.join(cfg.languages)} "
                            f"text_size={cfg.text_size} volume={cfg.volume} "
                            f"idle_timeout={cfg.idle_timeout:g}")
        screen.tell(control.tr(SAVED))
        self.undo()


class StaffStepper(BoxLayout):
    """A value with a button either side: on_less, on_more."""

    value_text = StringProperty("")
    __events__ = ("on_less", "on_more")

    def on_less(self) -> None:
        pass

    def on_more(self) -> None:
        pass
