"""The dossier status screens: the code typed on an on-screen keyboard (or scanned), then
where the dossier stands (docs/architecture.md, Dossier status). They draw from the
session's visit data; kiosk/ui/dossier_lookup.py asks the provider."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.dossier import STATUS_HINTS, STATUS_ICONS, STATUS_WORDS, DossierResult
from kiosk.scans import MAX_DOSSIER_CODE, normalise_dossier_code
from kiosk.session import SessionData
from kiosk.ui.widgets import delete_key

# What a dossier code is made of, digits first: most of a code is digits.
DOSSIER_KEYS = "1234567890ABCDEFGHIJKLMNOPQRSTUVWXYZ.-"


class DossierCodeScreen(Screen):
    code = StringProperty("")
    checking = BooleanProperty(False)  # the provider is being asked
    message = StringProperty("")  # msgid: why the last code showed no status

    def on_kv_post(self, base_widget) -> None:  # type: ignore[no-untyped-def]
        for key in DOSSIER_KEYS:
            button = Factory.CitizenKey(text=key)
            button.bind(on_release=lambda b: self.type(b.text))
            self.ids.keyboard.add_widget(button)
        self.ids.keyboard.add_widget(delete_key(self.delete))

    def show(self, data: SessionData) -> None:
        self.code = data.dossier_code
        self.checking = data.dossier_checking
        self.message = data.dossier_message

    def type(self, key: str) -> None:
        code = normalise_dossier_code(self.code + key)
        if len(code) <= MAX_DOSSIER_CODE:
            App.get_running_app().type_dossier_code(code)

    def delete(self) -> None:
        App.get_running_app().type_dossier_code(self.code[:-1])


class DossierStatusScreen(Screen):
    code = StringProperty("")
    status_words = StringProperty("")  # msgids
    hint = StringProperty("")
    icon = StringProperty("dossier")
    procedure = StringProperty("")  # as the provider names it (its own language)
    updated = StringProperty("")  # the day of the last change, dd/mm/yyyy
    stale = BooleanProperty(False)  # the provider could not be asked: its last answer
    as_of = StringProperty("")  # HH:MM of that answer

    def show(self, result: DossierResult | None, timezone: str) -> None:
        answer = result.answer if result is not None else None
        if answer is None:
            return
        self.code = answer.code
        self.status_words = STATUS_WORDS[answer.status]
        self.hint = STATUS_HINTS[answer.status]
        self.icon = STATUS_ICONS[answer.status]
        self.procedure = answer.procedure or ""
        self.updated = _local(answer.updated_at, timezone).strftime("%d/%m/%Y")
        self.stale = result.stale
        self.as_of = _local(answer.fetched_at, timezone).strftime("%H:%M")


def _local(moment: datetime, timezone: str) -> datetime:
    """`moment` at the centre (a time without a zone is taken as the centre's already)."""
    return moment.astimezone(ZoneInfo(timezone)) if moment.tzinfo else moment
