"""A kiosk's own side of the centre link: the number blocks it leased, and the outbox of
tickets it issued from them while the centre could not be reached.

A ticket issued from a lease and its outbox row are written in one transaction, so a kiosk
killed at any moment has either both or neither; an outbox row goes only once the centre
has acknowledged the ticket (docs/architecture.md, Kiosks in a centre).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    select,
    update,
)

from kiosk.store.db import metadata, reading, tickets
from kiosk.store.queue import ALLOCATED, WAITING, TicketRecord, format_number, ticket_event

# Blocks of numbers the centre leased to this kiosk: next_seq is the next one to hand out;
# a block is used up when next_seq > last.
link_leases = Table(
    "link_leases",
    metadata,
    Column("day", String(10), nullable=False),
    Column("service", String(8), nullable=False),
    Column("first", Integer, nullable=False),
    Column("last", Integer, nullable=False),
    Column("next_seq", Integer, nullable=False),
    # The id the lease was asked for with: asked again after a crash, the centre answers
    # with the same block instead of leasing another.
    Column("request_id", String(80), nullable=False, unique=True),
    PrimaryKeyConstraint("day", "service", "first"),
)

# Tickets issued from a lease that the centre has not acknowledged yet, in issue order.
link_outbox = Table(
    "link_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(32), nullable=False, unique=True),
    Column("payload", Text, nullable=False),  # the ticket as POST /api/tickets/import takes it
)

# Tickets the centre refused for good (not in this kiosk's blocks, a number that is
# another ticket's): kept for staff, never sent again.
link_refused = Table(
    "link_refused",
    metadata,
    Column("ticket_id", String(32), primary_key=True),
    Column("error", Text, nullable=False),  # the centre's sentence
    Column("at", String(32), nullable=False),
)

# Small facts about this database: its random id (part of every lease request id, so a
# database made anew never replays an old one's leases).
link_meta = Table(
    "link_meta",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)


@dataclass(frozen=True)
class OutboxItem:
    id: int
    ticket_id: str
    ticket: dict  # the JSON the centre imports


def ticket_payload(record: TicketRecord) -> dict:
    """A ticket as the centre imports it: its own id, number and issue time; never the
    person hash (it stays in this kiosk's database)."""
    return {"id": record.id, "day": record.day, "service": record.service, "seq": record.seq,
            "number": record.number, "lang": record.lang,
            "issued_at": record.issued_at.isoformat()}


class LinkStore:
    """The lease and outbox tables of the kiosk's own database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._db_id: str | None = None

    def database_id(self) -> str:
        if self._db_id is None:
            with self.engine.begin() as conn:
                found = conn.execute(select(link_meta.c.value)
                                     .where(link_meta.c.key == "database_id")).scalar()
                if found is None:
                    found = secrets.token_hex(6)
                    conn.execute(link_meta.insert().values(key="database_id", value=found))
            self._db_id = found
        return self._db_id

    # -- leases ------------------------------------------------------------------------
    def remaining(self, day: str, service: str) -> int:
        """Numbers of this day's leases for `service` not handed out yet."""
        with reading(self.engine) as conn:
            return int(conn.execute(
                select(func.coalesce(func.sum(link_leases.c.last - link_leases.c.next_seq + 1),
                                     0))
                .where(and_(link_leases.c.day == day, link_leases.c.service == service,
                            link_leases.c.next_seq <= link_leases.c.last))).scalar_one())

    def next_lease_request(self, day: str, service: str) -> str:
        """The request id of the next lease for this day and service: the same until that
        lease is stored, so a retry after a crash or a lost answer gets the same block."""
        with reading(self.engine) as conn:
            held = conn.execute(select(func.count()).select_from(link_leases).where(
                and_(link_leases.c.day == day, link_leases.c.service == service))).scalar_one()
        return f"lease-{self.database_id()}-{day}-{service}-{held + 1}"

    def add_lease(self, day: str, service: str, first: int, last: int,
                  request_id: str) -> bool:
        """Stores a block the centre leased; False if it was stored already (a replay)."""
        if not 0 < first <= last:
            raise ValueError(f"lease {first}-{last}: not a block of numbers")
        with self.engine.begin() as conn:
            if conn.execute(select(link_leases.c.first)
                            .where(link_leases.c.request_id == request_id)).first():
                return False
            conn.execute(link_leases.insert().values(day=day, service=service, first=first,
                                                     last=last, next_seq=first,
                                                     request_id=request_id))
        return True

    def issue_from_lease(self, service: str, lang: str, issued_at: datetime,
                         person_hash: str | None = None) -> TicketRecord | None:
        """The next number of this kiosk's leases for the local day of `issued_at`, with
        the ticket and its outbox row committed together; None when no number is left."""
        if issued_at.tzinfo is None:
            raise ValueError("issued_at must carry the centre's time zone")
        day = issued_at.date().isoformat()
        ticket_id = secrets.token_hex(8)
        with self.engine.begin() as conn:  # BEGIN IMMEDIATE on SQLite: one issuer at a time
            lease = conn.execute(
                select(link_leases.c.first, link_leases.c.next_seq)
                .where(and_(link_leases.c.day == day, link_leases.c.service == service,
                            link_leases.c.next_seq <= link_leases.c.last))
                .order_by(link_leases.c.first).limit(1)).first()
            if lease is None:
                return None
            seq = lease.next_seq
            conn.execute(update(link_leases)
                         .where(and_(link_leases.c.day == day,
                                     link_leases.c.service == service,
                                     link_leases.c.first == lease.first))
                         .values(next_seq=seq + 1))
            record = TicketRecord(ticket_id, day, service, seq, format_number(service, seq),
                                  lang, issued_at, ALLOCATED)
            conn.execute(tickets.insert().values(
                id=ticket_id, day=day, service=service, seq=seq, number=record.number,
                lang=lang, issued_at=issued_at.isoformat(), status=ALLOCATED,
                person_hash=person_hash, queue_state=WAITING, calls=0))
            ticket_event(conn, "issued", issued_at, record, detail="from this kiosk's lease")
            conn.execute(link_outbox.insert().values(
                ticket_id=ticket_id, payload=json.dumps(ticket_payload(record))))
        return record

    def record_centre_ticket(self, record: TicketRecord) -> None:
        """A ticket the centre issued, kept here too: printing is recorded against it, and
        a scan of it is answered when the centre cannot be reached."""
        with self.engine.begin() as conn:
            conn.execute(tickets.insert().values(
                id=record.id, day=record.day, service=record.service, seq=record.seq,
                number=record.number, lang=record.lang, issued_at=record.issued_at.isoformat(),
                status=ALLOCATED, person_hash=record.person_hash, queue_state=WAITING, calls=0))
            ticket_event(conn, "issued", record.issued_at, record, detail="by the centre")

    # -- outbox ------------------------------------------------------------------------
    def outbox(self, limit: int = 100) -> list[OutboxItem]:
        """The oldest tickets still to send, in issue order, each with its printing outcome
        as this kiosk knows it now (it was not known yet when the row was written)."""
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(link_outbox, tickets.c.status, tickets.c.print_error)
                .join(tickets, tickets.c.id == link_outbox.c.ticket_id, isouter=True)
                .order_by(link_outbox.c.id).limit(limit)).all()
        items = []
        for r in rows:
            ticket = json.loads(r.payload)
            if r.status is not None:
                ticket["status"] = r.status
                ticket["print_error"] = r.print_error
            items.append(OutboxItem(r.id, r.ticket_id, ticket))
        return items

    def outbox_size(self) -> int:
        with reading(self.engine) as conn:
            return conn.execute(select(func.count()).select_from(link_outbox)).scalar_one()

    def acknowledged(self, items: list[OutboxItem], refused: dict[str, str] | None = None,
                     at: datetime | None = None) -> None:
        """The centre answered for these tickets (a 2xx): they leave the outbox; those it
        `refused` (ticket id → its sentence) are kept in link_refused for staff."""
        if not items:
            return
        refused = refused or {}
        with self.engine.begin() as conn:
            for ticket_id, error in refused.items():
                if conn.execute(select(link_refused.c.ticket_id)
                                .where(link_refused.c.ticket_id == ticket_id)).first():
                    continue
                conn.execute(link_refused.insert().values(
                    ticket_id=ticket_id, error=error[:500],
                    at=(at or datetime.now().astimezone()).isoformat()))
            conn.execute(delete(link_outbox)
                         .where(link_outbox.c.id.in_([item.id for item in items])))

    def refused(self) -> list[tuple[str, str]]:
        """(ticket id, the centre's reason) of every ticket it refused: for staff."""
        with reading(self.engine) as conn:
            return [(r.ticket_id, r.error) for r in conn.execute(
                select(link_refused).order_by(link_refused.c.at)).all()]
