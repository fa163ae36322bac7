"""Queue numbers: allocation, outcome of printing, queue states, events, people ahead.

A number is committed before anyone sees or prints it, never repeats within a local day
(across restarts and several processes on one database), and restarts at local midnight.
Every change of a ticket appends an event in the transaction that makes it
(docs/architecture.md, Tickets).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, func, or_, select, text, update

from kiosk.store.db import daily_counters, number_leases, reading, ticket_events, tickets

# The printing outcome (column `status`).
ALLOCATED = "allocated"
PRINTED = "printed"
SHOWN_NOT_PRINTED = "shown_not_printed"
# The process stopped (killed, power cut) after the number was committed and before its
# outcome was recorded: it may or may not have printed. Found at the next start.
INTERRUPTED = "interrupted"

# The place in the queue (column `queue_state`; kiosk/store/calls.py moves it).
WAITING = "waiting"
CALLED = "called"
SERVING = "serving"
SERVED = "served"
NO_SHOW = "no_show"
# A leased number never used (kiosk/store/leases.py): a row so statistics show it. Also
# its `status`: it was never printed nor shown.
VOID = "void"
QUEUE_STATES = (WAITING, CALLED, SERVING, SERVED, NO_SHOW, VOID)

# What a ticket_events row records.
EVENT_KINDS = ("issued", "printed", "not_printed", "interrupted", "called", "recalled",
               "started", "served", "no_show", "transferred", "paused", "resumed", "void",
               "imported")

# Channel of the PostgreSQL notification sent with every change of the queue; the payload
# is the day. The lobby display's Notifier listens on it (kiosk/centre/live.py).
NOTIFY_CHANNEL = "kiosk_queue"

# Leased blocks of numbers start here (kiosk/store/leases.py): a number below it is always
# live, so allocation looks for a lease only from here on.
LEASE_BASE = 500


@dataclass(frozen=True)
class TicketRecord:
    id: str
    day: str
    service: str
    seq: int
    number: str
    lang: str
    issued_at: datetime
    status: str
    print_error: str | None = None
    served_at: datetime | None = None
    person_hash: str | None = None
    rated: bool = False  # it has had its one rating
    queue_state: str = WAITING
    queue_service: str | None = None  # None: the queue of its own service
    counter: int | None = None  # the counter that called it last
    called_at: datetime | None = None  # the last call
    started_at: datetime | None = None
    calls: int = 0
    origin: str | None = None  # the terminal that issued it; None: this database's own

    @property
    def queue(self) -> str:
        """The service whose queue it is in (its own unless transferred)."""
        return self.queue_service or self.service


@dataclass(frozen=True)
class TicketEvent:
    id: int
    ticket_id: str | None
    day: str
    number: str | None
    service: str | None
    kind: str
    at: datetime
    counter: int | None
    terminal: str | None
    detail: str | None


def format_number(service: str, seq: int) -> str:
    """A001 … A999; past 999 the number simply grows (A1000) rather than repeat."""
    return f"{service}{seq:03d}"


def _when(text_value: str | None) -> datetime | None:
    return datetime.fromisoformat(text_value) if text_value else None


def row_to_record(row) -> TicketRecord:  # type: ignore[no-untyped-def]
    return TicketRecord(
        id=row.id,
        day=row.day,
        service=row.service,
        seq=row.seq,
        number=row.number,
        lang=row.lang,
        issued_at=datetime.fromisoformat(row.issued_at),
        status=row.status,
        print_error=row.print_error,
        served_at=_when(row.served_at),
        person_hash=row.person_hash,
        rated=bool(row.rated),
        queue_state=row.queue_state,
        queue_service=row.queue_service,
        counter=row.counter,
        called_at=_when(row.called_at),
        started_at=_when(row.started_at),
        calls=row.calls,
        origin=row.origin,
    )


# The queue a ticket is in, in SQL.
queue_of = func.coalesce(tickets.c.queue_service, tickets.c.service)
# Queue order everywhere: issue time (ISO text in the centre's zone sorts as time), then seq.
QUEUE_ORDER = (tickets.c.issued_at, tickets.c.seq, tickets.c.id)


def require_aware(at: datetime, name: str = "at") -> None:
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise ValueError(f"{name} must be a datetime carrying the centre's time zone")


def add_event(conn: Connection, kind: str, at: datetime, *, day: str,
              ticket_id: str | None = None, number: str | None = None,
              service: str | None = None, counter: int | None = None,
              terminal: str | None = None, detail: str | None = None) -> None:
    """Appends one event, in the caller's transaction, and on PostgreSQL tells listeners
    the queue of `day` changed (delivered at commit; repeats in one transaction merge)."""
    assert kind in EVENT_KINDS, kind
    conn.execute(ticket_events.insert().values(
        ticket_id=ticket_id, day=day, number=number, service=service, kind=kind,
        at=at.isoformat(), counter=counter, terminal=terminal, detail=detail))
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, :day)"),
                     {"channel": NOTIFY_CHANNEL, "day": day})


def ticket_event(conn: Connection, kind: str, at: datetime, ticket: TicketRecord, *,
                 counter: int | None = None, terminal: str | None = None,
                 detail: str | None = None) -> None:
    """An event about `ticket` as it is after the change (its queue service then)."""
    add_event(conn, kind, at, day=ticket.day, ticket_id=ticket.id, number=ticket.number,
              service=ticket.queue, counter=counter, terminal=terminal, detail=detail)


def load_ticket(conn: Connection, ticket_id: str) -> TicketRecord | None:
    row = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first()
    return row_to_record(row) if row else None


def people_ahead_in(conn: Connection, ticket_id: str) -> int:
    """Waiting tickets of the ticket's queue issued before it, the same day; 0 once it is
    no longer waiting. A ticket interrupted while printing is left out: nobody may be
    holding it (it can still be called, in case it did print)."""
    me = load_ticket(conn, ticket_id)
    if me is None or me.queue_state != WAITING:
        return 0
    issued = me.issued_at.isoformat()
    return conn.execute(
        select(func.count()).select_from(tickets).where(
            tickets.c.day == me.day,
            queue_of == me.queue,
            tickets.c.queue_state == WAITING,
            tickets.c.status != INTERRUPTED,
            or_(tickets.c.issued_at < issued,
                and_(tickets.c.issued_at == issued,
                     or_(tickets.c.seq < me.seq,
                         and_(tickets.c.seq == me.seq, tickets.c.id < me.id)))),
        )
    ).scalar_one()


def insert_if_absent(conn: Connection, table: Table, values: dict[str, Any]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: dialect-specific SQL, so only the dialect in use
    is imported."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    conn.execute(insert(table).values(values).on_conflict_do_nothing())


def lock_counter(conn: Connection, day: str, service: str):  # type: ignore[no-untyped-def]
    """The day's counter row of `service`, made if absent and locked until the transaction
    ends (PostgreSQL's row lock; SQLite's BEGIN IMMEDIATE already holds the write lock):
    numbers and leases of one service and day are handed out one at a time."""
    insert_if_absent(conn, daily_counters, {"day": day, "service": service, "last_seq": 0})
    return conn.execute(
        select(daily_counters)
        .where(daily_counters.c.day == day, daily_counters.c.service == service)
        .with_for_update()
    ).one()


def next_live_seq(conn: Connection, day: str, service: str) -> int:
    """The next live number, the counter row locked: one past the last, jumping over any
    leased block it reaches (only past LEASE_BASE, so the live sequence is gap-free
    until then)."""
    seq = lock_counter(conn, day, service).last_seq + 1
    while seq >= LEASE_BASE:
        lease_end = conn.execute(
            select(number_leases.c.last_seq).where(
                number_leases.c.day == day, number_leases.c.service == service,
                number_leases.c.first_seq <= seq, number_leases.c.last_seq >= seq)
        ).scalar()
        if lease_end is None:
            break
        seq = lease_end + 1
    conn.execute(update(daily_counters)
                 .where(daily_counters.c.day == day, daily_counters.c.service == service)
                 .values(last_seq=seq))
    return seq


class TicketStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def allocate(self, service: str, lang: str, issued_at: datetime,
                 person_hash: str | None = None, origin: str | None = None) -> TicketRecord:
        """Hands out the next number of `service` for the local day of `issued_at`, waiting
        in that service's queue, with its `issued` event.

        `issued_at` must be timezone-aware and in the centre's local time: its date is
        the day the sequence belongs to. `origin`: the terminal it is issued for (the
        centre issuing for an enrolled kiosk); None for this database's own kiosk.
        """
        require_aware(issued_at, "issued_at")
        day = issued_at.date().isoformat()
        ticket_id = secrets.token_hex(8)
        with self.engine.begin() as conn:
            # The counter row is locked (PostgreSQL) / under the write lock (SQLite,
            # BEGIN IMMEDIATE), so concurrent allocations queue here.
            seq = next_live_seq(conn, day, service)
            record = TicketRecord(ticket_id, day, service, seq, format_number(service, seq),
                                  lang, issued_at, ALLOCATED, person_hash=person_hash,
                                  origin=origin)
            conn.execute(
                tickets.insert().values(
                    id=ticket_id,
                    day=day,
                    service=service,
                    seq=seq,
                    number=record.number,
                    lang=lang,
                    issued_at=issued_at.isoformat(),
                    status=ALLOCATED,
                    person_hash=person_hash,
                    queue_state=WAITING,
                    calls=0,
                    origin=origin,
                )
            )
            ticket_event(conn, "issued", issued_at, record, terminal=origin)
        return record

    def _set_status(self, ticket_id: str, status: str, error: str | None,
                    at: datetime | None) -> None:
        with self.engine.begin() as conn:
            record = load_ticket(conn, ticket_id)
            if record is None:
                return
            conn.execute(update(tickets).where(tickets.c.id == ticket_id)
                         .values(status=status, print_error=error))
            # Without a time given: now, in the zone the ticket was issued in.
            when = at or datetime.now(record.issued_at.tzinfo)
            kind = "printed" if status == PRINTED else "not_printed"
            ticket_event(conn, kind, when, record, terminal=record.origin, detail=error)

    def mark_printed(self, ticket_id: str, at: datetime | None = None) -> None:
        self._set_status(ticket_id, PRINTED, None, at)

    def mark_shown_not_printed(self, ticket_id: str, reason: str,
                               at: datetime | None = None) -> None:
        self._set_status(ticket_id, SHOWN_NOT_PRINTED, reason, at)

    def resolve_interrupted(self, found_at: datetime) -> list[TicketRecord]:
        """Marks every ticket still `allocated` as interrupted, with when it was found; the
        tickets so marked. Call at start, before this process issues any: a ticket being
        printed by another process meanwhile gets its real outcome when that one ends."""
        require_aware(found_at, "found_at")
        with self.engine.begin() as conn:
            rows = conn.execute(select(tickets).where(tickets.c.status == ALLOCATED)).all()
            records = [row_to_record(r) for r in rows]
            if rows:
                conn.execute(
                    update(tickets)
                    .where(and_(tickets.c.id.in_([r.id for r in rows]),
                                tickets.c.status == ALLOCATED))
                    .values(status=INTERRUPTED,
                            print_error="the kiosk stopped before the outcome was recorded "
                                        f"(found at {found_at.isoformat()}); it may have "
                                        "printed")
                )
            for record in records:
                ticket_event(conn, "interrupted", found_at, record, terminal=record.origin)
        return records

    def tickets_of_day(self, day: date) -> list[TicketRecord]:
        """Every ticket of a local day, by service and number: for staff."""
        with reading(self.engine) as conn:
            rows = conn.execute(select(tickets).where(tickets.c.day == day.isoformat())
                                .order_by(tickets.c.service, tickets.c.seq)).all()
        return [row_to_record(r) for r in rows]

    def get(self, ticket_id: str) -> TicketRecord | None:
        with reading(self.engine) as conn:
            return load_ticket(conn, ticket_id)

    def people_ahead(self, ticket: TicketRecord) -> int:
        """Waiting tickets of its queue issued before it the same day (not yet called);
        0 once it has been called. See people_ahead_in."""
        with reading(self.engine) as conn:
            return people_ahead_in(conn, ticket.id)

    def events_after(self, after_id: int, limit: int = 500) -> list[TicketEvent]:
        """Events with an id above `after_id`, oldest first, at most `limit`: a reader
        keeps the last id it saw as its cursor."""
        with reading(self.engine) as conn:
            rows = conn.execute(select(ticket_events).where(ticket_events.c.id > after_id)
                                .order_by(ticket_events.c.id).limit(limit)).all()
        return [TicketEvent(r.id, r.ticket_id, r.day, r.number, r.service, r.kind,
                            datetime.fromisoformat(r.at), r.counter, r.terminal, r.detail)
                for r in rows]

    def last_event_id(self) -> int:
        """The newest event's id (0 when none): where a new reader starts, and what the
        lobby display polls on SQLite."""
        with reading(self.engine) as conn:
            return conn.execute(select(func.coalesce(func.max(ticket_events.c.id), 0))
                                ).scalar_one()
