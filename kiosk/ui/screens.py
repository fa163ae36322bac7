"""Screen classes: properties the .kv layouts show, and the few widgets built from config.

The procedure screens, built from the catalogue, are in kiosk/ui/catalogue_screens.py."""

from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    ListProperty,
    NumericProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from kiosk.i18n import N_, falls_back, language_name, translate
from kiosk.session import Feature

ATTRACT_CYCLE_SECONDS = 3.0
TOUCH_TO_START = N_("Touch the screen to start")
CHOOSE_LANGUAGE = N_("Choose your language")
# Where a scanned ticket stands (TicketStatusScreen).


def _distinct_translations(message: str, languages: list[str]) -> list[str]:
    """The message in each language, once each (a fallback repeats Vietnamese)."""
    seen: list[str] = []
    for lang in languages:
        text = translate(lang, message)
        if text not in seen:
            seen.append(text)
    return seen


def greeting(lang: str) -> str:
    """"Touch to start" in `lang`; where it has no translation yet, the language's own name
    above the Vietnamese, so every offered language is seen to be offered."""
    text = translate(lang, TOUCH_TO_START)
    return f"{language_name(lang)}\n{text}" if falls_back(lang, TOUCH_TO_START) else text


class AttractScreen(ButtonBehavior, Screen):
    """The idle screen; a touch anywhere starts a visit. It greets in each offered
    language in turn."""

    prompt = StringProperty("")
    prompts = ListProperty([])
    _index = NumericProperty(0)

    def on_kv_post(self, base_widget) -> None:  # type: ignore[no-untyped-def]
        self.offer_languages()
        self._cycle = Clock.schedule_interval(self._next_prompt, ATTRACT_CYCLE_SECONDS)

    def offer_languages(self) -> None:
        """Greets in the languages the kiosk offers (again after staff changed them)."""
        app = App.get_running_app()
        self.prompts = [greeting(lang) for lang in app.kiosk_config.languages]
        self._index = 0
        self.prompt = self.prompts[0]

    def show_greeting(self, lang: str) -> None:
        """Shows `lang`'s greeting for a whole cycle before the next one (the screenshots)."""
        self._index = list(App.get_running_app().kiosk_config.languages).index(lang)
        self.prompt = self.prompts[self._index]
        self._cycle.cancel()
        self._cycle = Clock.schedule_interval(self._next_prompt, ATTRACT_CYCLE_SECONDS)

    def _next_prompt(self, _dt: float) -> None:
        if self.manager and self.manager.current == self.name:
            self._index = (self._index + 1) % len(self.prompts)
            self.prompt = self.prompts[self._index]

    def on_release(self) -> None:
        App.get_running_app().start_visit()


class LanguageScreen(Screen):
    title = StringProperty("")

    def on_kv_post(self, base_widget) -> None:  # type: ignore[no-untyped-def]
        app = App.get_running_app()
        languages = list(app.kiosk_config.languages)
        self.title = "\n".join(_distinct_translations(CHOOSE_LANGUAGE, languages))
        for lang in languages:
            button = Factory.LanguageButton(lang=lang, text=language_name(lang))
            button.bind(on_release=lambda b: app.choose_language(b.lang))
            self.ids.choices.add_widget(button)


class HomeScreen(Screen):
    pass


class ServiceButton(ButtonBehavior, BoxLayout):
    letter = StringProperty("")
    icon = StringProperty("ticket")  # the service's pictogram (config services[].icon)
    ink = ColorProperty((1, 1, 1, 1))  # words on the button; set by the palette in kv

    def on_letter(self, _button, letter: str) -> None:
        self.icon = App.get_running_app().kiosk_config.service(letter).icon


class ServicesScreen(Screen):
    def on_kv_post(self, base_widget) -> None:  # type: ignore[no-untyped-def]
        app = App.get_running_app()
        for area in app.kiosk_config.services:
            button = ServiceButton(letter=area.letter)
            button.bind(on_release=lambda b: app.take_number(b.letter))
            self.ids.choices.add_widget(button)


class TicketScreen(Screen):
    number = StringProperty("")
    service = StringProperty("")
    service_name = StringProperty("")
    people_ahead = NumericProperty(0)
    printed = BooleanProperty(True)
    pending = BooleanProperty(False)  # the number is shown while the ticket prints
    wait_minutes = NumericProperty(-1)  # the centre's estimate; -1: none to show

    def show(self, ticket) -> None:  # type: ignore[no-untyped-def]
        self.number = ticket.number
        self.wait_minutes = -1 if ticket.wait_minutes is None else ticket.wait_minutes
        self.service = ticket.service
        self.service_name = ticket.service_name
        self.people_ahead = ticket.people_ahead
        self.pending = ticket.pending
        self.printed = ticket.printed


FEATURE_TITLES = {
    Feature.PROCEDURES: (N_("Procedures"), "procedures"),
    Feature.DOSSIER: (N_("Dossier status"), "dossier"),
    Feature.RATING: (N_("Rate our service"), "rating"),
}


class UnavailableScreen(Screen):
    feature_title = StringProperty("")
    icon = StringProperty("")

    def show(self, feature: Feature | None) -> None:
        self.feature_title, self.icon = FEATURE_TITLES.get(feature, ("", ""))


class IdentifyScreen(Screen):
    pass


class RatingScreen(Screen):
    """The rating levels as large faces with words (kiosk/ratings.py RATING_LEVELS)."""

    def on_kv_post(self, base_widget) -> None:  # type: ignore[no-untyped-def]
        from kiosk.ratings import RATING_LEVELS

        app = App.get_running_app()
        for level in RATING_LEVELS:
            button = Factory.IconButton(icon=level.face, orientation="horizontal",
                                        icon_size=150)
            button.level = level.code
            app.bind(lang=lambda _a, _l, b=button, m=level.msgid: setattr(b, "text", app.tr(m)))
            button.text = app.tr(level.msgid)
            button.bind(on_release=lambda b: app.rate(b.level))
            self.ids.levels.add_widget(button)


class RatingReasonsScreen(Screen):
    def on_kv_post(self, base_widget) -> None:  # type: ignore[no-untyped-def]
        from kiosk.ratings import DISSATISFACTION_REASONS
        from kiosk.ui.widgets import ReasonButton

        app = App.get_running_app()
        for reason in DISSATISFACTION_REASONS:
            button = ReasonButton(code=reason.code, text=app.tr(reason.msgid))
            app.bind(lang=lambda _a, _l, b=button, m=reason.msgid: setattr(b, "text", app.tr(m)))
            self.ids.reasons.add_widget(button)

    def clear(self) -> None:
        for button in self.ids.reasons.children:
            button.chosen = False

    def chosen(self) -> list[str]:
        return [b.code for b in reversed(self.ids.reasons.children) if b.chosen]
