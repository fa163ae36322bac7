"""A day at the centre made through the real store operations (numbers issued, printed or
not, called, recalled, started, served, missed, transferred, a kiosk killed mid-ticket,
ratings), with the figures a staff member should then read. Shared by the statistics
tests of the module, the command and the page."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from kiosk.ratings import RatingService
from kiosk.store import TicketRecord, TicketStore
from kiosk.store.calls import CounterDesk
from kiosk.store.leases import ImportedTicket, LeaseStore
from kiosk.store.ratings import RatingStore

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 11, 27)
# Held by A001's citizen, who identified at the kiosk: must appear in no statistic.
PERSON_HASH = "5a" * 32


def at(hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=TZ)


@dataclass
class SimulatedDay:
    engine: Engine
    tickets: dict[str, TicketRecord]  # by number

    @property
    def secrets(self) -> list[str]:
        """What no statistic may show: ticket ids and the person hash."""
        return [PERSON_HASH, *(t.id for t in self.tickets.values())]


def simulate_day(engine: Engine) -> SimulatedDay:
    """Counter 1 serves A, counter 3 serves C. Figures (minutes):

    A001 08:00 printed   called 08:10, started 08:12, served 08:20   wait 10, service 8
    A002 08:05 printed   called 08:20, recalled 08:25, served 08:40  wait 20 (last call),
                                                                     service 15 (no start)
    A003 08:30 not printed  called 08:40, no-show 08:45             wait 10
    A004 09:10 printed   called 09:15 at counter 1, transferred to C 09:16,
                         called 09:30 at counter 3, started 09:31, served 09:50
                                                                     wait 20, service 19
    A005 09:20 printed   still waiting
    A006 09:40 the kiosk was killed while printing: interrupted, still waiting
    C001 09:00 printed   called 09:05, started 09:06, served 09:26  wait 5, service 20
    C002 09:12 printed   called 09:55, served 10:05                 wait 43, service 10

    kiosk-1 leased B500-B504 at 07:30 and issued B500 at 08:15 while the centre was out
    of reach; it reached the centre at 10:30 (still waiting). At 17:30 the day's unused
    numbers B501-B504 become void: 4 void, counted per day, not per hour.

    Ratings: A very satisfied and not satisfied (waited too long), C satisfied.
    """
    store, desk = TicketStore(engine), CounterDesk(engine)
    ids = (f"stats-request-{i:04d}" for i in itertools.count())
    issued: dict[str, TicketRecord] = {}

    def issue(service: str, hhmm: str, printed: bool = True,
              person_hash: str | None = None) -> None:
        ticket = store.allocate(service, "vi", at(hhmm), person_hash=person_hash)
        if printed:
            store.mark_printed(ticket.id, at=at(hhmm))
        else:
            store.mark_shown_not_printed(ticket.id, "paper out", at=at(hhmm))
        issued[ticket.number] = ticket

    def counter(n: int, action: str, hhmm: str, *args: object) -> None:
        getattr(desk, action)(n, *args, at(hhmm), next(ids))

    issue("A", "08:00", person_hash=PERSON_HASH)
    issue("A", "08:05")
    counter(1, "call_next", "08:10", ["A"])
    counter(1, "start", "08:12")
    counter(1, "served", "08:20")
    counter(1, "call_next", "08:20", ["A"])
    counter(1, "recall", "08:25")
    issue("A", "08:30", printed=False)
    counter(1, "served", "08:40")
    counter(1, "call_next", "08:40", ["A"])
    counter(1, "no_show", "08:45")
    issue("C", "09:00")
    counter(3, "call_next", "09:05", ["C"])
    counter(3, "start", "09:06")
    issue("A", "09:10")
    issue("C", "09:12")
    counter(1, "call_next", "09:15", ["A"])
    counter(1, "transfer", "09:16", "C")
    issue("A", "09:20")
    counter(3, "served", "09:26")
    counter(3, "call_next", "09:30", ["C"])  # A004 keeps its place: issued before C002
    counter(3, "start", "09:31")
    # A kiosk killed between committing A006 and printing it; found at its next start.
    issued["A006"] = store.allocate("A", "vi", at("09:40"))
    store.resolve_interrupted(at("09:41"))
    counter(3, "served", "09:50")
    counter(3, "call_next", "09:55", ["C"])
    counter(3, "served", "10:05")
    leases = LeaseStore(engine)
    block = leases.lease_block(DAY, "B", "kiosk-1", 5, at=at("07:30"))
    offline = ImportedTicket(secrets.token_hex(8), "B", block.first, "vi", at("08:15"))
    issued["B500"], _ = leases.import_ticket(offline, "kiosk-1", at("10:30"))
    leases.void_unused(DAY, at("17:30"))

    def rate(level: str, service: str, hhmm: str, reasons: tuple[str, ...] = ()) -> None:
        RatingService(RatingStore(engine), TZ, now=lambda: at(hhmm)).record(
            level, reasons, service=service, lang="vi")

    rate("very_satisfied", "A", "08:21")
    rate("unsatisfied", "A", "08:41", ("waiting_time",))
    rate("satisfied", "C", "09:27")
    return SimulatedDay(engine, {n: store.get(t.id) for n, t in issued.items()})


# A busier day for the page's picture: from 07:00 to 17:00, a morning peak, one counter
# per service, a few no-shows. Deterministic (a seeded generator).
BUSY_HOURS = {7: 4, 8: 12, 9: 15, 10: 11, 11: 6, 13: 5, 14: 9, 15: 8, 16: 3}


def busy_day(engine: Engine) -> dict[int, dict[str, int]]:
    """Makes the day; returns what it issued per hour and service."""
    import random
    from datetime import timedelta

    rng = random.Random(11)
    store, desk = TicketStore(engine), CounterDesk(engine)
    ids = (f"busy-request-{i:05d}" for i in itertools.count())
    issued: dict[str, list[datetime]] = {}
    per_hour: dict[int, dict[str, int]] = {}
    for hour, count in BUSY_HOURS.items():
        for minute in sorted(rng.sample(range(60), count)):
            service = rng.choices("ABCDE", weights=(5, 3, 2, 1, 1))[0]
            when = at(f"{hour}:{minute:02d}")
            ticket = store.allocate(service, "vi", when)
            store.mark_printed(ticket.id, at=when)
            issued.setdefault(service, []).append(when)
            per_hour.setdefault(hour, {}).setdefault(service, 0)
            per_hour[hour][service] += 1
    closing = at("16:45")
    for counter, service in enumerate("ABCDE", start=1):
        free = at("07:00")
        for when in issued.get(service, []):
            call = max(when + timedelta(minutes=rng.randint(0, 4)), free)
            if call >= closing:
                break  # still waiting at the end of the day
            desk.call_next(counter, [service], call, next(ids))
            if rng.random() < 0.08:
                free = call + timedelta(minutes=3)
                desk.no_show(counter, free, next(ids))
                continue
            desk.start(counter, call + timedelta(minutes=1), next(ids))
            free = call + timedelta(minutes=1 + rng.randint(4, 15))
            desk.served(counter, free, next(ids))
    return per_hour
