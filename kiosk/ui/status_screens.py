"""The screen of a queue ticket scanned at the kiosk (ticket_status): where its number
stands now. Apart from kiosk/ui/screens.py because it needs the centre's answers and the
ratings (kiosk/link_answers.py, kiosk/ratings.py), which load after the first frame with
the other screens (kiosk/ui/registry.py)."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.i18n import N_
from kiosk.link_answers import CALLED, NO_SHOW, SERVED, SERVING, VOID, WAITING, TicketState
from kiosk.ratings import ALREADY_RATED

PEOPLE_AHEAD = N_("People ahead: {count}")
WAIT_ESTIMATE = N_("Estimated wait: about {minutes} min")
NOT_TODAY = N_("This ticket is not from today.")
CALLED_TO = N_("Your number has been called: please go to counter {counter}.")
CALLED_NO_COUNTER = N_("Your number has been called: please go to the counter.")
WAS_SERVED = N_("This ticket has been served.")
WAS_MISSED = N_("This number was called and nobody came. Please ask the staff.")
NOT_VALID = N_("This number is not valid. Please ask the staff.")
AS_OF = N_("The centre cannot be reached now. As of {time}.")


class TicketStatusScreen(Screen):
    """A queue ticket scanned at the kiosk: its number, service and where it stands now
    (live from the centre when there is one; else what the kiosk knew, and when)."""

    number = StringProperty("")
    service = StringProperty("")
    people_ahead = NumericProperty(0)
    today = BooleanProperty(True)
    rated = BooleanProperty(False)  # it has had its one rating: thanks, no rating button
    rated_text = StringProperty(ALREADY_RATED)
    queue_state = StringProperty(WAITING)  # kiosk/centre_link.py: waiting, called, ...
    counter = NumericProperty(0)  # the counter that called it (0: not known)
    wait_minutes = NumericProperty(-1)  # the centre's estimate; -1: none to show
    as_of = StringProperty("")  # HH:MM when the centre could not be asked; "" when live

    def show(self, state: TicketState, today: bool, rated: bool) -> None:
        self.number = state.number
        self.service = state.service
        self.queue_state = state.queue_state
        self.counter = state.counter or 0
        self.people_ahead = state.people_ahead
        self.wait_minutes = -1 if state.wait_minutes is None else state.wait_minutes
        self.as_of = "" if state.live or state.as_of is None else f"{state.as_of:%H:%M}"
        self.today = today
        self.rated = rated

    def where_it_stands(self, lang: str, *_watched: object) -> str:
        """The line under the service: people ahead, called to a counter, served, missed.
        kv passes the properties it shows after `lang`, so the line follows each."""
        app = App.get_running_app()
        if not self.today:
            return app.tr(NOT_TODAY, lang)
        if self.queue_state in (CALLED, SERVING):
            if self.counter:
                return app.tr(CALLED_TO, lang).format(counter=self.counter)
            return app.tr(CALLED_NO_COUNTER, lang)
        if self.queue_state == SERVED:
            return app.tr(WAS_SERVED, lang)
        if self.queue_state == NO_SHOW:
            return app.tr(WAS_MISSED, lang)
        if self.queue_state == VOID:
            return app.tr(NOT_VALID, lang)
        text = app.tr(PEOPLE_AHEAD, lang).format(count=self.people_ahead)
        if self.wait_minutes >= 0:
            text += "\n" + app.tr(WAIT_ESTIMATE, lang).format(minutes=int(self.wait_minutes))
        return text

    def as_of_text(self, lang: str, as_of: str) -> str:
        if not as_of:
            return ""
        return App.get_running_app().tr(AS_OF, lang).format(time=as_of)
