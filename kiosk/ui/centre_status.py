"""The centre link on screen: its staff mark in the header, and a scanned ticket's state
looked up (live from the centre, or what the kiosk knew) without holding the window.

The link calls its listeners on its own thread; the lookup runs on a thread of its own (it
may wait for the centre's timeout). Both hand over to the Kivy clock before touching a
widget, and a lookup that finishes after its visit ended is dropped.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING

from kivy.clock import Clock

if TYPE_CHECKING:
    # Loaded with the kiosk's services, after its first frame.
    from kiosk.centre_link import CentreLink, LinkState
    from kiosk.link_answers import TicketState
    from kiosk.ui.app import KioskApp

log = logging.getLogger(__name__)


class CentreStatus:
    def __init__(self, app: KioskApp) -> None:
        self.app = app
        self.session = app.session

    @property
    def link(self) -> CentreLink | None:
        return self.app.tickets.link

    def watch(self) -> None:
        """Called once the window is built (and again if the ticket service is given
        another link): the mark follows the link from now on."""
        link = self.link
        if link is None:
            self.app.link_mark = "none"  # a kiosk on its own: no mark
            return

        def on_change(state: LinkState) -> None:
            if self.link is link:  # a link replaced since no longer speaks for the kiosk
                Clock.schedule_once(lambda _dt: self.changed(state))

        link.subscribe(on_change)
        self.changed(link.state)

    def changed(self, state: LinkState) -> None:
        from kiosk.centre_link import OFFLINE, ONLINE, SYNCING

        # The link's state → the colour of its mark (kiosk/ui/theme.py PRINTER_MARK's names).
        marks = {ONLINE: "ok", SYNCING: "low", OFFLINE: "fault"}
        self.app.link_mark = marks.get(state.kind, "unknown")
        # For staff looking closer (and the tests): since when, and how much waits to go.
        if state.kind == OFFLINE and state.since is not None:
            self.app.link_detail = f"offline since {state.since:%H:%M}"
        elif state.kind == SYNCING:
            self.app.link_detail = f"syncing {state.pending}"
        else:
            self.app.link_detail = state.kind

    # -- a scanned ticket -----------------------------------------------------------------
    def show_scanned(self, ticket_id: str) -> None:
        if self.link is None:
            # Its own database answers at once: no thread needed.
            self.found(ticket_id, self.app.tickets.ticket_state(ticket_id), self.session.visit)
            return
        visit = self.session.visit
        threading.Thread(target=self._look_up, args=(ticket_id, visit), daemon=True).start()

    def _look_up(self, ticket_id: str, visit: int) -> None:
        try:
            state = self.app.tickets.ticket_state(ticket_id)
        except Exception:  # noqa: BLE001
            # The kiosk's own database failed: the citizen is told to ask, staff see why.
            log.exception("ticket %s: its state could not be looked up", ticket_id)
            state = None
        Clock.schedule_once(lambda _dt: self.found(ticket_id, state, visit))

    def found(self, ticket_id: str, state: TicketState | None, visit: int) -> None:
        app = self.app
        if visit != self.session.visit:
            return  # the citizen who scanned it has gone
        if state is None:
            app.say(app.tr("This ticket was not issued here. Please ask the staff."))
            return
        from kiosk.store import TicketRecord

        tickets = app.tickets
        today = tickets.today().isoformat()
        local = tickets.store.get(ticket_id)
        record = local or TicketRecord(ticket_id, state.day or today, state.service, 0,
                                       state.number, app.lang, datetime.now(tickets.tz),
                                       "printed")
        app.screen("ticket_status").show(state, today=record.day == today,
                                         rated=record.rated)
        self.session.show_ticket_status(record)
