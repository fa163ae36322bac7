"""A centre database with tickets, their events and ratings, for the province outbox's tests
and benchmark; and a way to run an outbox in a process of its own.

Tickets are issued by the real TicketStore and rated by the real RatingService. Their
events go in `ticket_events` (kiosk.store.db once the store writes them itself; until then a
table of the same definition, docs: centre-spec STORE), read back as the store reads them.

    python tests/province_world.py run-outbox DB_FILE URL CENTRE_ID BATCH
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, func, select

import kiosk.store.db as store_db
import kiosk.store.province  # noqa: F401  (its table joins the metadata before create_all)
from kiosk.ratings import RatingService
from kiosk.store import TicketStore, open_database, sqlite_url
from kiosk.store.ratings import RatingStore

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY_START = datetime(2026, 11, 30, 7, 30, tzinfo=TZ)

_STORE_TABLE: Table | None = getattr(store_db, "ticket_events", None)
ticket_events: Table = _STORE_TABLE if _STORE_TABLE is not None else Table(
    "ticket_events",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(32)),
    Column("day", String(10), nullable=False),
    Column("number", String(12)),
    Column("service", String(8)),
    Column("kind", String(20), nullable=False),
    Column("at", String(32), nullable=False),
    Column("counter", Integer),
    Column("terminal", String(64)),
    Column("detail", Text),
)


@dataclass(frozen=True)
class EventRow:
    id: int
    ticket_id: str | None
    day: str
    number: str | None
    service: str | None
    kind: str
    at: str
    counter: int | None
    terminal: str | None
    detail: str | None


class World:
    """The centre's database at `path`, with helpers to fill it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine: Engine = open_database(sqlite_url(path))
        ticket_events.create(self.engine, checkfirst=True)
        self.tickets = TicketStore(self.engine)
        self.ratings = RatingService(RatingStore(self.engine), TZ, now=lambda: self._now)
        self._now = DAY_START

    def events_after(self, after_id: int, limit: int) -> list[EventRow]:
        """As TicketStore.events_after reads them."""
        store_reader = getattr(self.tickets, "events_after", None)
        if store_reader is not None:
            return store_reader(after_id, limit)
        with store_db.reading(self.engine) as conn:
            rows = conn.execute(select(ticket_events).where(ticket_events.c.id > after_id)
                                .order_by(ticket_events.c.id).limit(limit)).all()
        return [EventRow(**r._mapping) for r in rows]

    def _event(self, ticket_id: str | None, number: str, service: str, kind: str,
               counter: int | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(ticket_events.insert().values(
                ticket_id=ticket_id, day=self._now.date().isoformat(), number=number,
                service=service, kind=kind, at=self._now.isoformat(), counter=counter,
                terminal="kiosk-1"))

    def visit(self, service: str, counter: int, person_hash: str | None = None,
              outcome: str = "served", rating: str | None = None) -> str:
        """One citizen: a number issued, called, served (or missed), perhaps rated; returns
        the ticket's id."""
        self._now += timedelta(seconds=37)
        ticket = self.tickets.allocate(service, "vi", self._now, person_hash=person_hash)
        self._event(ticket.id, ticket.number, service, "issued")
        self._event(ticket.id, ticket.number, service, "called", counter)
        self._event(ticket.id, ticket.number, service, outcome, counter)
        if rating is not None:
            reasons = ("waiting_time",) if rating == "unsatisfied" else ()
            self.ratings.record(rating, reasons, ticket_id=ticket.id, counter=counter,
                                lang="vi")
        return ticket.id

    def fill(self, visits: int, rate_every: int = 5) -> None:
        for i in range(visits):
            rating = None
            if i % rate_every == 0:
                rating = ("very_satisfied", "satisfied", "unsatisfied")[i % 3]
            self.visit("ABCDE"[i % 5], 1 + i % 6, person_hash=f"{i:064x}",
                       outcome="no_show" if i % 7 == 3 else "served", rating=rating)

    def uids(self, centre_id: str) -> set[str]:
        """Every uid the centre's events should reach the province under."""
        with store_db.reading(self.engine) as conn:
            events = conn.execute(select(ticket_events.c.id)).scalars().all()
            rated = conn.execute(select(store_db.ratings.c.id)).scalars().all()
        return {f"{centre_id}:e{i}" for i in events} | {f"{centre_id}:r{i}" for i in rated}

    def count(self) -> int:
        with store_db.reading(self.engine) as conn:
            return conn.execute(select(func.count()).select_from(ticket_events)).scalar_one()


def run_outbox(db: Path, url: str, centre_id: str, batch: int) -> None:
    """An outbox over `db` until the process is killed (tests kill it with SIGKILL)."""
    from kiosk.centre.province import ProvinceOutbox
    from kiosk.config import ProvinceSettings

    world = World(db)
    settings = ProvinceSettings(url=url, centre_id=centre_id, batch=batch, max_backoff=0.05,
                                poll_interval=0.05, timeout=5)
    outbox = ProvinceOutbox(world.engine, settings, events_after=world.events_after,
                            base_backoff=0.01)
    print("running", flush=True)
    outbox.run(threading.Event())


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "run-outbox":
        run_outbox(Path(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit(__doc__)
