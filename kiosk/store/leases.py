"""Blocks of numbers leased to kiosks, on the centre's database: a kiosk issues from its
block while the centre is unreachable, and sends those tickets back (import) once it is
reachable again (docs/architecture.md, Tickets).

Numbers are never issued twice in a day across the centre, whatever fails: the centre's
live numbers count from 1 without gaps; blocks start at LEASE_BASE (500) and follow each
other, taken under the same counter-row lock as live numbers, so a block never overlaps
another or a live number, and live numbering jumps over a block if it ever reaches one.
A leased number never used becomes a void ticket at the end of the day, so statistics
show it.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.store.db import daily_counters, number_leases, reading, tickets
from kiosk.store.queue import (
    ALLOCATED,
    INTERRUPTED,
    LEASE_BASE,
    PRINTED,
    SHOWN_NOT_PRINTED,
    VOID,
    WAITING,
    TicketRecord,
    format_number,
    load_ticket,
    lock_counter,
    require_aware,
    ticket_event,
)
from kiosk.store.requests import InvalidRequest, apply_once, check_request_id

# The most numbers one lease may hold: a busy kiosk's day is a few hundred tickets.
MAX_LEASE = 1000
LEASE = "lease"  # the action stored for an idempotent lease request

_TICKET_ID = re.compile(r"[0-9a-f]{16,32}")  # secrets.token_hex, as kiosk/store/queue.py
_SERVICE = re.compile(r"[A-Z]")
_LANG = re.compile(r"[a-z]{2,3}")
_TERMINAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# The outcomes a kiosk may report for a ticket it issued.
_OUTCOMES = (PRINTED, SHOWN_NOT_PRINTED, INTERRUPTED, ALLOCATED)


class ImportRefused(ValueError):
    """A ticket sent for import that the centre will not take; str() names why."""


class NotLeased(ImportRefused):
    pass


class ImportConflict(ImportRefused):
    pass


@dataclass(frozen=True)
class NumberLease:
    day: str
    service: str
    terminal: str
    first: int
    last: int

    def __contains__(self, seq: object) -> bool:
        return isinstance(seq, int) and self.first <= seq <= self.last


@dataclass(frozen=True)
class ImportedTicket:
    """What a kiosk sends of a ticket it issued from its lease (never the person hash)."""

    id: str
    service: str
    seq: int
    lang: str
    issued_at: datetime  # in the centre's zone: its date is the ticket's day
    status: str = PRINTED  # the kiosk's printing outcome
    print_error: str | None = None

    @property
    def day(self) -> str:
        return self.issued_at.date().isoformat()


def check_terminal(value: object) -> str:
    if not (isinstance(value, str) and _TERMINAL.fullmatch(value)):
        raise InvalidRequest("terminal must be a name of 1 to 64 letters, digits or . _ - "
                             "(starting with a letter or digit)")
    return value


def _check_service(value: object) -> str:
    if not (isinstance(value, str) and _SERVICE.fullmatch(value)):
        raise InvalidRequest(f"service must be one capital letter A-Z, not {value!r}")
    return value


def check_import(ticket: ImportedTicket) -> ImportedTicket:
    """Raises ImportRefused naming the first field that no kiosk of ours would send."""
    if not (isinstance(ticket.id, str) and _TICKET_ID.fullmatch(ticket.id)):
        raise ImportRefused("id must be 16 to 32 lower-case hex digits")
    if not (isinstance(ticket.service, str) and _SERVICE.fullmatch(ticket.service)):
        raise ImportRefused("service must be one capital letter A-Z")
    if isinstance(ticket.seq, bool) or not isinstance(ticket.seq, int) or ticket.seq < 1:
        raise ImportRefused("seq must be a whole number above 0")
    if not (isinstance(ticket.lang, str) and _LANG.fullmatch(ticket.lang)):
        raise ImportRefused("lang must be an ISO 639 language code")
    if not isinstance(ticket.issued_at, datetime) or ticket.issued_at.tzinfo is None:
        raise ImportRefused("issued_at must be a time with its zone")
    if ticket.status not in _OUTCOMES:
        raise ImportRefused(f"status must be one of {', '.join(_OUTCOMES)}")
    if ticket.print_error is not None and not (isinstance(ticket.print_error, str)
                                               and len(ticket.print_error) <= 500):
        raise ImportRefused("print_error must be text of at most 500 characters")
    return ticket


def _day(day: date | str) -> str:
    return day.isoformat() if isinstance(day, date) else date.fromisoformat(day).isoformat()


def _lease_json(lease: NumberLease) -> str:
    return json.dumps(asdict(lease))


def _lease_from_json(text_value: str | None) -> NumberLease:
    assert text_value is not None
    return NumberLease(**json.loads(text_value))


class LeaseReused(InvalidRequest):
    def __init__(self, action: str, _counter: int | None) -> None:
        super().__init__(f"this request was already used for {action}")


class LeaseStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def lease_block(self, day: date | str, service: str, terminal: str, size: int,
                    at: datetime | None = None,
                    request_id: str | None = None) -> NumberLease:
        """The next `size` numbers of `service` on `day` for `terminal`, right after the
        last block (the first from LEASE_BASE), past every live number.

        With `request_id`, a repeated request returns the block it got the first time."""
        day_text = _day(day)
        _check_service(service)
        check_terminal(terminal)
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_LEASE:
            raise InvalidRequest(f"size must be a whole number from 1 to {MAX_LEASE}")
        when = at or datetime.now().astimezone()
        require_aware(when)

        def take(conn: Connection) -> NumberLease:
            counter = lock_counter(conn, day_text, service)
            first = max(counter.next_lease or LEASE_BASE, counter.last_seq + 1)
            lease = NumberLease(day_text, service, terminal, first, first + size - 1)
            conn.execute(update(daily_counters)
                         .where(daily_counters.c.day == day_text,
                                daily_counters.c.service == service)
                         .values(next_lease=lease.last + 1))
            conn.execute(number_leases.insert().values(
                day=day_text, service=service, terminal=terminal, first_seq=lease.first,
                last_seq=lease.last, leased_at=when.isoformat()))
            return lease

        if request_id is None:
            with self.engine.begin() as conn:
                return take(conn)
        lease, _replayed = apply_once(self.engine, check_request_id(request_id), LEASE,
                                      None, when, take, _lease_json, _lease_from_json,
                                      LeaseReused)
        if (lease.day, lease.service, lease.terminal) != (day_text, service, terminal):
            raise LeaseReused(f"a lease of {lease.service} on {lease.day} for "
                              f"{lease.terminal}", None)
        return lease

    def leases_of(self, day: date | str, terminal: str | None = None) -> list[NumberLease]:
        """The day's blocks (of one terminal, when given), by service and first number."""
        query = select(number_leases).where(number_leases.c.day == _day(day))
        if terminal is not None:
            query = query.where(number_leases.c.terminal == terminal)
        with reading(self.engine) as conn:
            rows = conn.execute(query.order_by(number_leases.c.service,
                                               number_leases.c.first_seq)).all()
        return [NumberLease(r.day, r.service, r.terminal, r.first_seq, r.last_seq)
                for r in rows]

    def import_ticket(self, ticket: ImportedTicket, terminal: str,
                      at: datetime) -> tuple[TicketRecord, bool]:
        """Takes in a ticket `terminal` issued from its lease while offline, with its own
        id, number and issue time: it joins its service's queue in issue-time order. The
        stored ticket, and whether it was there already (a replay of the same import).

        Raises NotLeased unless its number is in a block leased to `terminal` for that day
        and service, ImportConflict when the id or the number is another ticket's, and
        ImportRefused for a malformed ticket."""
        check_import(ticket)
        check_terminal(terminal)
        require_aware(at)
        try:
            with self.engine.begin() as conn:
                return self._import(conn, ticket, terminal, at)
        except IntegrityError:
            # The same ticket imported at the same moment by a retry (PostgreSQL): the
            # first one stands; this is its replay.
            with reading(self.engine) as conn:
                stored = load_ticket(conn, ticket.id)
            if stored is None or not _same(stored, ticket, terminal):
                raise ImportConflict(f"{format_number(ticket.service, ticket.seq)} of "
                                     f"{ticket.day} is another ticket") from None
            return stored, True

    def _import(self, conn: Connection, ticket: ImportedTicket, terminal: str,
                at: datetime) -> tuple[TicketRecord, bool]:
        number = format_number(ticket.service, ticket.seq)
        stored = load_ticket(conn, ticket.id)
        if stored is not None:
            if not _same(stored, ticket, terminal):
                raise ImportConflict(f"ticket id {ticket.id} is already {stored.number} of "
                                     f"{stored.day} from {stored.origin or 'the centre'}")
            return stored, True
        leased = conn.execute(select(number_leases.c.id).where(
            number_leases.c.day == ticket.day, number_leases.c.service == ticket.service,
            number_leases.c.terminal == terminal, number_leases.c.first_seq <= ticket.seq,
            number_leases.c.last_seq >= ticket.seq).limit(1)).scalar()
        if leased is None:
            raise NotLeased(f"{number} of {ticket.day} is not in a block leased to "
                            f"{terminal}")
        values = dict(id=ticket.id, lang=ticket.lang, issued_at=ticket.issued_at.isoformat(),
                      status=ticket.status, print_error=ticket.print_error,
                      queue_state=WAITING, origin=terminal)
        holder = conn.execute(select(tickets.c.id, tickets.c.queue_state).where(
            tickets.c.day == ticket.day, tickets.c.service == ticket.service,
            tickets.c.seq == ticket.seq)).first()
        if holder is None:
            conn.execute(tickets.insert().values(
                day=ticket.day, service=ticket.service, seq=ticket.seq, number=number,
                calls=0, **values))
        elif holder.queue_state == VOID:
            # Voided at the end of the day, then the kiosk came back with it after all:
            # the real ticket takes the void one's place.
            conn.execute(update(tickets).where(tickets.c.id == holder.id).values(**values))
        else:
            raise ImportConflict(f"{number} of {ticket.day} is another ticket")
        record = load_ticket(conn, ticket.id)
        assert record is not None
        ticket_event(conn, "imported", at, record, terminal=terminal)
        return record, False

    def void_unused(self, day: date | str, at: datetime) -> int:
        """Every number of the day's blocks that no imported ticket holds becomes a void
        ticket (with its event), so statistics show what the leases left unused; how many
        were voided. Run again, it finds them done (0)."""
        require_aware(at)
        day_text = _day(day)
        voided = 0
        with self.engine.begin() as conn:
            for lease in conn.execute(select(number_leases)
                                      .where(number_leases.c.day == day_text)
                                      .order_by(number_leases.c.id)).all():
                used = set(conn.execute(select(tickets.c.seq).where(
                    tickets.c.day == day_text, tickets.c.service == lease.service,
                    tickets.c.seq.between(lease.first_seq, lease.last_seq))).scalars())
                for seq in range(lease.first_seq, lease.last_seq + 1):
                    if seq in used:
                        continue
                    record = TicketRecord(
                        secrets.token_hex(8), day_text, lease.service, seq,
                        format_number(lease.service, seq), "", at, VOID,
                        queue_state=VOID, origin=lease.terminal)
                    conn.execute(tickets.insert().values(
                        id=record.id, day=day_text, service=lease.service, seq=seq,
                        number=record.number, lang="", issued_at=at.isoformat(),
                        status=VOID, queue_state=VOID, calls=0, origin=lease.terminal))
                    ticket_event(conn, "void", at, record, terminal=lease.terminal)
                    voided += 1
        return voided


def _same(stored: TicketRecord, ticket: ImportedTicket, terminal: str) -> bool:
    return (stored.day, stored.service, stored.seq, stored.origin) == (
        ticket.day, ticket.service, ticket.seq, terminal)
