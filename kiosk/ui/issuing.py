"""Issuing a number on a thread, and bringing its two results onto the screen.

The ticket service first hands over the committed number (shown at once, "Printing…"),
then the printed (or not printed) ticket. Both arrive for a visit: a result for a visit
that has ended is dropped, so nothing of one citizen reaches the next. The session holds
what the visit knows (issuing, the ticket shown); this class holds nothing of its own.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from kivy.clock import Clock
from kivy.core.window import Window

from kiosk.identity import Citizen
from kiosk.session import Screen

if TYPE_CHECKING:
    from kiosk.tickets import IssuedTicket
    from kiosk.ui.app import KioskApp

log = logging.getLogger(__name__)

NUMBER_FIRST_SECONDS = 0.25  # printing waits at most this long for the number to be drawn


class TicketIssuing:
    def __init__(self, app: KioskApp) -> None:
        self.app = app
        self.session = app.session
        self.closing = False  # the kiosk is stopping: no new number (kiosk/ui/lifecycle.py)
        self._in_progress: set[threading.Thread] = set()

    @property
    def in_progress(self) -> bool:
        """A number is being issued or printed (the stop waits for it)."""
        return any(thread.is_alive() for thread in self._in_progress)

    def take_number(self, letter: str) -> None:
        if self.closing or not self.session.choose_service(letter):
            return
        visit, lang = self.session.visit, self.session.lang
        identity = self.session.data.identity
        # Printing can take seconds on a slow link; keep the UI thread free.
        thread = threading.Thread(
            target=self._issue_in_background, args=(letter, lang, visit, identity), daemon=True
        )
        self._in_progress = {t for t in self._in_progress if t.is_alive()} | {thread}
        thread.start()

    def _issue_in_background(self, letter: str, lang: str, visit: int,
                             identity: Citizen | None) -> None:
        handed: list[IssuedTicket] = []

        def number_committed(ticket: IssuedTicket) -> None:
            handed.append(ticket)
            # Let the number reach the screen before the printing work (composing the
            # ticket is busy Python) competes with the window for the interpreter.
            drawn = threading.Event()
            Clock.schedule_once(lambda _dt: self.number_ready(ticket, visit, drawn))
            drawn.wait(NUMBER_FIRST_SECONDS)

        try:
            ticket = self.app.tickets.issue_ticket(letter, lang, identity,
                                                   on_number=number_committed)
        except Exception:  # noqa: BLE001
            log.exception("issuing a ticket for service %s failed", letter)
            if handed:
                # The number was committed and shown: it stands, not printed.
                failed = replace(handed[0], pending=False, printed=False,
                                 problem="issuing failed after the number was committed")
                Clock.schedule_once(lambda _dt: self.ticket_ready(failed, visit))
            else:
                # No number was committed (the database failed): the citizen is sent to a
                # counter instead of being left in front of "Printing your ticket…", and
                # the staff mark shows the fault.
                Clock.schedule_once(lambda _dt: self.number_failed(visit))
            return
        Clock.schedule_once(lambda _dt: self.ticket_ready(ticket, visit))

    def number_failed(self, visit: int) -> None:
        self.app.store_fault = True
        self.session.issue_failed(visit)

    def number_ready(self, ticket: IssuedTicket, visit: int,
                     drawn: threading.Event | None = None) -> None:
        """The number is committed: show it while it prints; `drawn` is set once the
        frame showing it is on the screen."""
        self.app.store_fault = False  # the database takes numbers again
        if visit != self.session.visit:
            # The citizen left meanwhile: nothing of theirs may reach the next one.
            log.info("ticket %s committed after its visit ended", ticket.number)
            if drawn is not None:
                drawn.set()
            return
        self.app.screen("ticket").show(ticket)
        self.session.ticket_issued(ticket, visit)
        if drawn is not None:
            def on_drawn(*_args) -> None:
                Window.unbind(on_flip=on_drawn)
                drawn.set()

            Window.bind(on_flip=on_drawn)

    def ticket_ready(self, ticket: IssuedTicket, visit: int) -> None:
        """Printing finished (or failed): the ticket screen says which."""
        if visit != self.session.visit:
            log.info("ticket %s finished after its visit ended", ticket.number)
            return
        if self.session.data.ticket is None:
            # Its number never reached the screen: show it now, with the outcome.
            self.number_ready(ticket, visit)
            return
        if not self.session.ticket_printed(ticket, visit):
            # A later ticket of the same visit is on the screen now: it keeps it.
            log.info("ticket %s finished after a later one was issued", ticket.number)
            return
        self.app.screen("ticket").show(ticket)
        if not ticket.printed and self.session.screen is Screen.TICKET:
            self.app.prompts.play("ticket_not_printed")
