"""A centre database with tickets, their events and ratings, for the province outbox's tests
and benchmark; and a way to run an outbox in a process of its own.

Tickets are issued by the real TicketStore, called and finished by the real CounterDesk
(which write their `ticket_events` rows) and rated by the real RatingService.

    python tests/province_world.py run-outbox DB_URL URL CENTRE_ID BATCH
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

import kiosk.store.db as store_db
from kiosk.ratings import RatingService
from kiosk.store import TicketStore, open_database
from kiosk.store.calls import CounterDesk
from kiosk.store.db import ticket_events
from kiosk.store.ratings import RatingStore

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY_START = datetime(2026, 11, 30, 7, 30, tzinfo=TZ)


class World:
    """The centre's database at `url`, with helpers to fill it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = open_database(url)
        self.tickets = TicketStore(self.engine)
        self.desk = CounterDesk(self.engine)
        self.ratings = RatingService(RatingStore(self.engine), TZ, now=lambda: self._now)
        self._now = DAY_START
        self._requests = 0

    def _tick(self) -> tuple[datetime, str]:
        self._now += timedelta(seconds=37)
        self._requests += 1
        return self._now, f"province-test-{self._requests:06d}"

    def visit(self, service: str, counter: int, person_hash: str | None = None,
              outcome: str = "served", rating: str | None = None) -> str:
        """One citizen: a number issued, called, served (or missed), perhaps rated; returns
        the ticket's id."""
        ticket = self.tickets.allocate(service, "vi", self._tick()[0], person_hash=person_hash)
        called = self.desk.call_next(counter, [service], *self._tick())
        assert called.ticket is not None and called.ticket.id == ticket.id
        finish = self.desk.served if outcome == "served" else self.desk.no_show
        finish(counter, *self._tick())
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


def run_outbox(db_url: str, url: str, centre_id: str, batch: int) -> None:
    """An outbox over `db_url` until the process is killed (tests kill it with SIGKILL)."""
    from kiosk.centre.province import ProvinceOutbox
    from kiosk.config import ProvinceSettings

    engine = open_database(db_url)
    settings = ProvinceSettings(url=url, centre_id=centre_id, batch=batch, max_backoff=0.05,
                                poll_interval=0.05, timeout=5)
    outbox = ProvinceOutbox(engine, settings, base_backoff=0.01)
    print("running", flush=True)
    outbox.run(threading.Event())


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "run-outbox":
        run_outbox(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit(__doc__)
