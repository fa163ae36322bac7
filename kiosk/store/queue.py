"""Queue numbers: allocation, outcome of printing, people ahead.

A number is committed before anyone sees or prints it, never repeats within a local day
(across restarts and several processes on one database), and restarts at local midnight.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, and_, func, select, update

from kiosk.store.db import daily_counters, reading, tickets

ALLOCATED = "allocated"
PRINTED = "printed"
SHOWN_NOT_PRINTED = "shown_not_printed"
# The process stopped (killed, power cut) after the number was committed and before its
# outcome was recorded: it may or may not have printed. Found at the next start.
INTERRUPTED = "interrupted"


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
    served_at: str | None = None
    person_hash: str | None = None
    rated: bool = False  # it has had its one rating


def format_number(service: str, seq: int) -> str:
    """A001 … A999; past 999 the number simply grows (A1000) rather than repeat."""
    return f"{service}{seq:03d}"


def _row_to_record(row) -> TicketRecord:  # type: ignore[no-untyped-def]
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
        served_at=row.served_at,
        person_hash=row.person_hash,
        rated=bool(row.rated),
    )


class TicketStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _insert_counter(self, day: str, service: str):  # type: ignore[no-untyped-def]
        # "Insert if absent" is dialect-specific SQL; import only the dialect in use.
        values = {"day": day, "service": service, "last_seq": 0}
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(daily_counters).values(values).on_conflict_do_nothing()

    def allocate(self, service: str, lang: str, issued_at: datetime,
                 person_hash: str | None = None) -> TicketRecord:
        """Hands out the next number of `service` for the local day of `issued_at`.

        `issued_at` must be timezone-aware and in the centre's local time: its date is
        the day the sequence belongs to.
        """
        if issued_at.tzinfo is None:
            raise ValueError("issued_at must carry the centre's time zone")
        day = issued_at.date().isoformat()
        ticket_id = secrets.token_hex(8)
        with self.engine.begin() as conn:
            conn.execute(self._insert_counter(day, service))
            # The UPDATE takes the row lock (PostgreSQL) / is under the write lock
            # (SQLite, BEGIN IMMEDIATE), so concurrent allocations queue here.
            conn.execute(
                update(daily_counters)
                .where(and_(daily_counters.c.day == day, daily_counters.c.service == service))
                .values(last_seq=daily_counters.c.last_seq + 1)
            )
            seq = conn.execute(
                select(daily_counters.c.last_seq).where(
                    and_(daily_counters.c.day == day, daily_counters.c.service == service)
                )
            ).scalar_one()
            number = format_number(service, seq)
            conn.execute(
                tickets.insert().values(
                    id=ticket_id,
                    day=day,
                    service=service,
                    seq=seq,
                    number=number,
                    lang=lang,
                    issued_at=issued_at.isoformat(),
                    status=ALLOCATED,
                    person_hash=person_hash,
                )
            )
        return TicketRecord(ticket_id, day, service, seq, number, lang, issued_at, ALLOCATED)

    def _set_status(self, ticket_id: str, status: str, error: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(tickets)
                .where(tickets.c.id == ticket_id)
                .values(status=status, print_error=error)
            )

    def mark_printed(self, ticket_id: str) -> None:
        self._set_status(ticket_id, PRINTED, None)

    def mark_shown_not_printed(self, ticket_id: str, reason: str) -> None:
        self._set_status(ticket_id, SHOWN_NOT_PRINTED, reason)

    def resolve_interrupted(self, found_at: datetime) -> list[TicketRecord]:
        """Marks every ticket still `allocated` as interrupted, with when it was found; the
        tickets so marked. Call at start, before this process issues any: a ticket being
        printed by another process meanwhile gets its real outcome when that one ends."""
        with self.engine.begin() as conn:
            rows = conn.execute(select(tickets).where(tickets.c.status == ALLOCATED)).all()
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
        return [_row_to_record(r) for r in rows]

    def tickets_of_day(self, day: date) -> list[TicketRecord]:
        """Every ticket of a local day, by service and number: for staff."""
        with reading(self.engine) as conn:
            rows = conn.execute(select(tickets).where(tickets.c.day == day.isoformat())
                                .order_by(tickets.c.service, tickets.c.seq)).all()
        return [_row_to_record(r) for r in rows]

    def get(self, ticket_id: str) -> TicketRecord | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first()
        return _row_to_record(row) if row else None

    def people_ahead(self, ticket: TicketRecord) -> int:
        """Tickets of the same service issued earlier the same day and not yet served.

        Nothing in the kiosk writes served_at (the counters are not connected to it), so
        until something does, every earlier ticket of the day counts, except those
        interrupted: nobody may be holding them."""
        with reading(self.engine) as conn:
            return conn.execute(
                select(func.count())
                .select_from(tickets)
                .where(
                    and_(
                        tickets.c.day == ticket.day,
                        tickets.c.service == ticket.service,
                        tickets.c.seq < ticket.seq,
                        tickets.c.served_at.is_(None),
                        tickets.c.status != INTERRUPTED,
                    )
                )
            ).scalar_one()
