"""The citizen's session: which screen is shown, in which language, and when to give up.

Pure Python, no Kivy: the screens call these methods and redraw from the state in a
listener. Time comes from an injected clock so idle behaviour is tested without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from kiosk.identity import Citizen

if TYPE_CHECKING:  # for the types only: they bring the database and the printer driver
    from kiosk.dossier import DossierResult
    from kiosk.store import TicketRecord
    from kiosk.tickets import IssuedTicket


class Screen(StrEnum):
    """Every screen, the one list of them: each has a class named after it
    (ticket_status: TicketStatusScreen, kiosk/ui/registry.py finds it), a layout
    kiosk/ui/kv/<name>.kv and a recorded sentence (kiosk/prompts.py). In the order the UI
    builds them after the first frame: a visit's usual path first."""

    ATTRACT = "attract"
    LANGUAGE = "language"
    IDENTIFY = "identify"  # optional: scan the ID card, or skip
    HOME = "home"
    SERVICES = "services"
    TICKET = "ticket"
    CATEGORIES = "categories"  # procedure categories
    PROCEDURES = "procedures"  # the procedures of one category
    PROCEDURE = "procedure"  # what one procedure needs, and "take a number for this"
    RATING = "rating"  # how satisfied were you? (large faces)
    RATING_REASONS = "rating_reasons"  # optional reasons, only after "not satisfied"
    TICKET_STATUS = "ticket_status"  # a scanned queue ticket: where it stands now
    UNAVAILABLE = "unavailable"
    SEARCH = "search"  # find a procedure by typing, with an on-screen keyboard
    DOSSIER_CODE = "dossier_code"  # type a dossier's code, or scan the receipt's QR
    DOSSIER_STATUS = "dossier_status"  # where that dossier stands


class Feature(StrEnum):
    TAKE_NUMBER = "take_number"
    PROCEDURES = "procedures"
    DOSSIER = "dossier"
    RATING = "rating"


TEXT_SIZES = (1.0, 1.25, 1.5)  # how much larger every screen's text is drawn


@dataclass
class SessionData:
    """What one citizen's visit holds; dropped as a whole when the visit ends."""

    feature: Feature | None = None
    service: str | None = None
    ticket: IssuedTicket | None = None  # the ticket shown on the ticket screen
    issuing: bool = False  # a number is being issued (a second tap must not issue another)
    issue_failed: bool = False  # the last try to issue a number failed (services screen)
    # Who the citizen is, if they identified with their ID card (drivers.idcard
    # CitizenIdentity). Personal data: lives only here, wiped when the visit ends.
    identity: Citizen | None = None
    scanned_ticket: TicketRecord | None = None  # looked up from a scanned ticket QR
    text_size: int = 0  # index into TEXT_SIZES: normal, large, extra large
    high_contrast: bool = False  # the Contrast button: black, white and yellow
    rating_service: str | None = None  # the service being rated, when known
    rating_ticket: str | None = None  # the ticket being rated (one rating per ticket)
    category: str | None = None  # the procedure category being browsed
    procedure: str | None = None  # the procedure being read
    # Dossier status (docs/architecture.md, Dossier status): the code typed or scanned, the
    # lookup under way, why the last one showed no status (an msgid), and its result.
    dossier_code: str = ""
    dossier_checking: bool = False
    dossier_message: str = ""
    dossier_result: DossierResult | None = None


class Session:
    def __init__(
        self,
        languages: tuple[str, ...],
        idle_timeout: float = 60.0,
        idle_countdown: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        default_lang: str = "vi",
        offer_identify: bool = False,
    ) -> None:
        if default_lang not in languages:
            raise ValueError(f"default language {default_lang!r} is not offered")
        self.languages = languages
        self.default_lang = default_lang
        self.offer_identify = offer_identify  # only where a scanner is configured
        self.procedures_available = False  # set when a valid catalogue is loaded
        self.dossier_available = False  # set when a dossier provider is configured
        self.idle_timeout = idle_timeout
        self.idle_countdown = idle_countdown
        self._clock = clock
        self._listeners: list[Callable[[Session], None]] = []
        self.screen = Screen.ATTRACT
        self.lang = default_lang
        self.history: list[Screen] = []
        # Where each visit's text size starts (kiosk/kiosk_settings.py text_size_index).
        self.default_text_size = 0
        self.data = SessionData()
        self.last_activity = clock()
        self.warning_since: float | None = None
        self.sessions_ended = 0
        # Bumped whenever a visit's data is wiped, so a slow result (a ticket printed after
        # the visit timed out) is not shown to the next citizen.
        self.visit = 0

    @property
    def clock(self) -> Callable[[], float]:
        """The clock the visit's time is read from (a hand-moved one in the UI tests)."""
        return self._clock

    # -- observation -------------------------------------------------------------
    def subscribe(self, listener: Callable[[Session], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener(self)

    @property
    def idle_warning(self) -> bool:
        return self.warning_since is not None

    def countdown_left(self) -> int:
        """Whole seconds left on the "are you still there?" countdown (0 when none)."""
        if self.warning_since is None:
            return 0
        left = self.idle_countdown - (self._clock() - self.warning_since)
        return max(0, int(left + 0.999))

    # -- navigation ----------------------------------------------------------------
    def _go(self, screen: Screen, remember: bool = True) -> None:
        if remember and screen != self.screen:
            self.history.append(self.screen)
        self.screen = screen
        if screen is not Screen.SERVICES:
            self.data.issue_failed = False  # said on the services screen, and only there
        self.touch(notify=False)
        self._changed()

    def start(self) -> None:
        """A touch on the attract screen."""
        if self.screen is Screen.ATTRACT:
            self.history.clear()
            self._go(Screen.LANGUAGE, remember=False)

    def choose_language(self, lang: str) -> None:
        if lang not in self.languages:
            raise ValueError(f"language {lang!r} is not offered")
        self.lang = lang
        self._go(Screen.IDENTIFY if self.offer_identify else Screen.HOME)

    def next_text_size(self) -> None:
        """The Text size button: normal → large → extra large → normal."""
        self.start()  # on the attract screen it starts a visit, for which it then counts
        self.data.text_size = (self.data.text_size + 1) % len(TEXT_SIZES)
        self.touch(notify=False)
        self._changed()

    @property
    def text_scale(self) -> float:
        return TEXT_SIZES[self.data.text_size]

    def toggle_contrast(self) -> None:
        """The Contrast button: normal colours ↔ high contrast, for this visit only."""
        self.start()  # on the attract screen it starts a visit, for which it then counts
        self.data.high_contrast = not self.data.high_contrast
        self.touch(notify=False)
        self._changed()

    @property
    def high_contrast(self) -> bool:
        return self.data.high_contrast

    def skip_identify(self) -> None:
        if self.screen is Screen.IDENTIFY:
            self._go(Screen.HOME)

    def open_feature(self, feature: Feature) -> None:
        self.data.feature = feature
        if feature is Feature.TAKE_NUMBER:
            self._go(Screen.SERVICES)
        elif feature is Feature.RATING:
            self.start_rating()
        elif feature is Feature.PROCEDURES and self.procedures_available:
            self._go(Screen.CATEGORIES)
        elif feature is Feature.DOSSIER and self.dossier_available:
            self.check_another_dossier()
        else:
            self._go(Screen.UNAVAILABLE)

    def open_search(self) -> None:
        self._go(Screen.SEARCH)

    def choose_category(self, key: str) -> None:
        self.data.category = key
        self._go(Screen.PROCEDURES)

    def choose_procedure(self, code: str) -> None:
        self.data.procedure = code
        self._go(Screen.PROCEDURE)

    def start_rating(self, service: str | None = None, ticket_id: str | None = None) -> None:
        """From home, from a scanned ticket (its service), or at the end of a visit. From
        home after a ticket in this visit, the rating is for that ticket and its service."""
        if ticket_id is None and self.data.ticket is not None:
            service, ticket_id = self.data.ticket.service, self.data.ticket.id
        self.data.rating_service = service
        self.data.rating_ticket = ticket_id
        self.data.feature = Feature.RATING
        self._go(Screen.RATING)

    def rate_scanned_ticket(self) -> None:
        """"Rate our service" on a scanned ticket: a rating of that ticket, for its service."""
        record = self.data.scanned_ticket
        if record is not None:
            self.start_rating(record.service, record.id)

    def rating_chosen(self, unsatisfied: bool) -> bool:
        """True when the rating is complete; False when reasons are asked for first."""
        if unsatisfied:
            self._go(Screen.RATING_REASONS)
            return False
        return True

    def rating_done(self) -> None:
        """Recorded and thanked: back home."""
        self.data.rating_service = self.data.rating_ticket = None
        self.home()

    def choose_service(self, letter: str) -> bool:
        """Starts issuing a ticket; False if one is already being issued (double tap)."""
        # From the service areas, or "take a number for this" on a procedure.
        if self.data.issuing or self.screen not in (Screen.SERVICES, Screen.PROCEDURE):
            return False
        self.data.service = letter
        self.data.issuing = True
        self.data.issue_failed = False
        self.touch(notify=False)
        self._changed()
        return True

    def ticket_issued(self, ticket: IssuedTicket, visit: int) -> bool:
        """Shows the ticket, unless the visit that asked for it has ended meanwhile."""
        if visit != self.visit:
            return False
        self.data.issuing = False
        self.data.ticket = ticket
        # Back from the ticket must not lead to issuing a second number by mistake.
        self._go(Screen.TICKET, remember=False)
        return True

    def ticket_printed(self, ticket: IssuedTicket, visit: int) -> bool:
        """Printing finished for the ticket shown: its outcome replaces it where it is,
        without moving the citizen (they may have gone Back already). False when the
        visit has ended, or a later ticket of the visit is the one shown now."""
        if visit != self.visit:
            return False
        shown = self.data.ticket
        if getattr(shown, "id", None) != getattr(ticket, "id", None):
            return False
        self.data.ticket = ticket
        self._changed()
        return True

    def issue_failed(self, visit: int) -> None:
        """No number could be issued; the citizen may try again."""
        if visit == self.visit:
            self.data.issuing = False
            self.data.issue_failed = True
            self.data.service = None
            self._changed()

    def back(self) -> None:
        if self.screen is Screen.TICKET:
            self.home()
            return
        if self.history:
            target = self.history.pop()
            if target is Screen.IDENTIFY:
                target = Screen.LANGUAGE
            if target is Screen.ATTRACT:
                target = Screen.LANGUAGE
            self._go(target, remember=False)
        elif self.screen is not Screen.LANGUAGE:
            self._go(Screen.LANGUAGE, remember=False)

    def home(self) -> None:
        self.history = [Screen.LANGUAGE]
        self.data.feature = None
        self._go(Screen.HOME, remember=False)

    def change_language(self) -> None:
        """The Language button: a new visit starts from the language picker.

        The person at the screen keeps the text size and contrast they chose: they
        are display settings, not personal data, and someone who needed them to read
        the screen needs them to pick a language too."""
        text_size, high_contrast = self.data.text_size, self.data.high_contrast
        self._wipe()
        self.data.text_size, self.data.high_contrast = text_size, high_contrast
        self.history.clear()
        self._go(Screen.LANGUAGE, remember=False)

    def finish(self) -> None:
        """The citizen is done (the Done button on the ticket)."""
        self.end()

    # -- idle handling -----------------------------------------------------------------
    def touch(self, notify: bool = True) -> None:
        """Any touch anywhere: the citizen is still here."""
        self.last_activity = self._clock()
        if self.warning_since is not None:
            self.warning_since = None
            if notify:
                self._changed()

    def tick(self) -> None:
        """Called about twice a second by the UI clock."""
        if self.screen is Screen.ATTRACT:
            return
        now = self._clock()
        if self.warning_since is None:
            if now - self.last_activity >= self.idle_timeout:
                self.warning_since = now
                self._changed()
        elif now - self.warning_since >= self.idle_countdown:
            self.end()
        else:
            self._changed()  # the countdown figure moved

    def end(self) -> None:
        """End the visit: wipe everything the citizen gave and return to attract."""
        self._wipe()
        self.lang = self.default_lang
        self.history.clear()
        self.screen = Screen.ATTRACT
        self.sessions_ended += 1
        self.last_activity = self._clock()
        self._changed()

    def identify(self, identity: Citizen) -> None:
        """The citizen scanned their ID card; a previous identity is wiped first."""
        if self.data.identity is not None and self.data.identity is not identity:
            self.data.identity.wipe()
        self.data.identity = identity
        if self.screen is Screen.IDENTIFY:
            self._go(Screen.HOME)
            return
        self.touch(notify=False)
        self._changed()

    def show_ticket_status(self, record: TicketRecord) -> None:
        """A queue ticket was scanned: show where it stands (from any screen)."""
        self.data.scanned_ticket = record
        if self.screen is Screen.ATTRACT:
            self.history = [Screen.LANGUAGE]
        self._go(Screen.TICKET_STATUS)

    # -- dossier status ------------------------------------------------------------------
    def check_another_dossier(self) -> None:
        """The code screen, empty (from the tile, or "check another code")."""
        data = self.data
        data.dossier_code, data.dossier_message, data.dossier_result = "", "", None
        data.feature = Feature.DOSSIER
        self._go(Screen.DOSSIER_CODE)

    def type_dossier_code(self, code: str) -> None:
        """The code as the keyboard has it now; a message about the last one goes."""
        if self.data.dossier_checking:
            return
        self.data.dossier_code = code
        self.data.dossier_message = ""
        self.touch(notify=False)
        self._changed()

    def dossier_lookup_started(self, code: str) -> int | None:
        """A code to look up, typed or scanned (from any screen: it shows on the code
        screen while it is checked). The visit it is for; None while one is checked."""
        data = self.data
        if data.dossier_checking:
            return None
        data.dossier_code, data.dossier_message, data.dossier_checking = code, "", True
        data.feature = Feature.DOSSIER
        if self.screen is Screen.ATTRACT:
            self.history = [Screen.LANGUAGE]
        if self.screen is not Screen.DOSSIER_CODE:
            self._go(Screen.DOSSIER_CODE)
        else:
            self.touch(notify=False)
            self._changed()
        return self.visit

    def dossier_looked_up(self, result: DossierResult, visit: int) -> bool:
        """The status shows, or the code screen says why there is none. Dropped for a
        visit that has ended; the citizen is moved only if still on the code screen."""
        if visit != self.visit:
            return False
        data = self.data
        data.dossier_checking = False
        if result.answer is None:
            data.dossier_message = result.message
            self._changed()
        elif self.screen is Screen.DOSSIER_CODE:
            data.dossier_result = result
            self._go(Screen.DOSSIER_STATUS)
        else:
            self._changed()
        return True

    def _wipe(self) -> None:
        self.visit += 1
        if self.data.identity is not None:
            # Overwrite what can be overwritten, not just drop the reference.
            self.data.identity.wipe()
        self.data = SessionData(text_size=self.default_text_size)
        self.warning_since = None
