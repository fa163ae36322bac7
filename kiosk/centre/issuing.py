"""Issuing a number for an enrolled kiosk, once per request id (docs/architecture.md,
Centre).

A kiosk whose answer was lost resends the same request id; it gets the ticket it was
given, not a second number. Requests with one id are handled one at a time in this
process (a retry can arrive while the first attempt still waits for the database), and
the id is recorded right after the number is committed. Should the service be killed in
between, a retry gets a new number and the first stays as a ticket nobody holds, called
and marked a no-show like any other: never a number issued twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from kiosk.store import ALLOCATED, TicketRecord, TicketStore
from kiosk.store.db import reading
from kiosk.store.terminals import ticket_requests


class RequestTaken(Exception):
    """The request id was used by another terminal; str() is one sentence."""


class NotYours(Exception):
    """A ticket another kiosk issued, or none; str() is one sentence."""


class _OneAtATime:
    """Holds one key at a time; a second holder of the same key waits for the first."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._busy: set[str] = set()

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._changed:
            while key in self._busy:
                self._changed.wait()
            self._busy.add(key)
        try:
            yield
        finally:
            with self._changed:
                self._busy.discard(key)
                self._changed.notify_all()


class TicketIssuer:
    def __init__(self, engine: Engine, store: TicketStore) -> None:
        self.engine = engine
        self.store = store
        self._requests = _OneAtATime()

    def issue(self, terminal: str, request_id: str, service: str, lang: str,
              issued_at: datetime) -> tuple[TicketRecord, bool]:
        """The ticket for this request, and whether it was issued by an earlier attempt."""
        with self._requests.hold(request_id):
            earlier = self._earlier(terminal, request_id)
            if earlier is not None:
                return earlier, True
            ticket = self.store.allocate(service, lang, issued_at, origin=terminal)
            try:
                with self.engine.begin() as conn:
                    conn.execute(ticket_requests.insert().values(
                        request_id=request_id, terminal=terminal, ticket_id=ticket.id,
                        at=issued_at.isoformat()))
            except IntegrityError:
                # Another centre process on this database took the id meanwhile: its ticket
                # is the answer; this one stays unheld (see the module's docstring).
                earlier = self._earlier(terminal, request_id)
                if earlier is None:
                    raise
                return earlier, True
            return ticket, False

    def record_outcome(self, terminal: str, ticket_id: str, problem: str | None,
                       at: datetime) -> tuple[TicketRecord, bool]:
        """What became of a ticket `terminal` was issued: printed (`problem` None) or shown
        but not printed, and why. Once only: a ticket no longer `allocated` is answered
        as it is (a retry, or a second report) and gets no second event."""
        with self._requests.hold(f"outcome:{ticket_id}"):
            ticket = self.store.get(ticket_id)
            if ticket is None or ticket.origin != terminal:
                raise NotYours("no ticket with this id was issued for this kiosk")
            if ticket.status != ALLOCATED:
                return ticket, True
            if problem is None:
                self.store.mark_printed(ticket_id, at)
            else:
                self.store.mark_shown_not_printed(ticket_id, problem, at)
            updated = self.store.get(ticket_id)
            assert updated is not None
            return updated, False

    def _earlier(self, terminal: str, request_id: str) -> TicketRecord | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(ticket_requests)
                               .where(ticket_requests.c.request_id == request_id)).first()
        if row is None:
            return None
        if row.terminal != terminal:
            raise RequestTaken("this request id was already used by another terminal")
        return self.store.get(row.ticket_id)
