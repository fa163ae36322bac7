"""Satisfaction ratings: one anonymous row per rating, counted per local day and service.

Validation of levels and reasons lives in kiosk/ratings.py; this layer stores what it is
given and counts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, and_, func, select, update

from kiosk.store.db import ratings, reading, tickets


@dataclass(frozen=True)
class RatingRecord:
    id: int
    day: str
    rated_at: datetime
    level: str
    reasons: tuple[str, ...]
    ticket_id: str | None
    service: str | None
    counter: int | None
    lang: str


@dataclass(frozen=True)
class RatingCount:
    """How many ratings share one day, service, level and set of reasons."""

    day: str
    service: str | None
    level: str
    reasons: tuple[str, ...]
    count: int


def join_reasons(reasons: tuple[str, ...]) -> str:
    return ",".join(reasons)


def split_reasons(text: str) -> tuple[str, ...]:
    return tuple(r for r in text.split(",") if r)


class TicketAlreadyRated(ValueError):
    """One rating per ticket: this one has had its rating."""


class RatingStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, level: str, reasons: tuple[str, ...], rated_at: datetime, lang: str,
            ticket_id: str | None = None, service: str | None = None,
            counter: int | None = None) -> RatingRecord:
        """Stores one rating. `rated_at` must be aware and in the centre's local time: its
        date is the day the rating counts for.

        A rating linked to a ticket but given no service takes the ticket's service, so a
        rating after scanning a ticket's QR still counts for the right service. A ticket
        is rated once: a second rating raises TicketAlreadyRated and stores nothing.
        """
        if rated_at.tzinfo is None:
            raise ValueError("rated_at must carry the centre's time zone")
        day = rated_at.date().isoformat()
        with self.engine.begin() as conn:
            if ticket_id is not None:
                ticket = conn.execute(
                    select(tickets.c.service, tickets.c.rated).where(tickets.c.id == ticket_id)
                ).first()
                if ticket is not None:
                    if ticket.rated:
                        raise TicketAlreadyRated(f"ticket {ticket_id} has been rated already")
                    # In the same transaction as the rating: a second one cannot slip in.
                    conn.execute(update(tickets).where(tickets.c.id == ticket_id)
                                 .values(rated=1))
                    service = service or ticket.service
            # Anonymous: the ticket only tells which service was rated. Keeping its id would
            # join the rating to tickets.person_hash when the citizen identified.
            ticket_id = None
            new_id = conn.execute(
                ratings.insert().values(
                    day=day,
                    rated_at=rated_at.isoformat(),
                    level=level,
                    reasons=join_reasons(reasons),
                    ticket_id=ticket_id,
                    service=service,
                    counter=counter,
                    lang=lang,
                )
            ).inserted_primary_key[0]
        return RatingRecord(int(new_id), day, rated_at, level, reasons, ticket_id, service,
                            counter, lang)

    def counts(self, day_from: date, day_to: date) -> list[RatingCount]:
        """Ratings of the local days `day_from`…`day_to` (both included), grouped."""
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(ratings.c.day, ratings.c.service, ratings.c.level, ratings.c.reasons,
                       func.count().label("n"))
                .where(and_(ratings.c.day >= day_from.isoformat(),
                            ratings.c.day <= day_to.isoformat()))
                .group_by(ratings.c.day, ratings.c.service, ratings.c.level, ratings.c.reasons)
            ).all()
        return [RatingCount(r.day, r.service, r.level, split_reasons(r.reasons), int(r.n))
                for r in rows]
