"""The end of a centre's day: numbers that kiosks leased for it and never used become void
tickets, so the statistics show them (docs/architecture.md, Kiosks in a centre).

Done when the service starts (for the last days it may have been down through) and then
whenever the centre's date changes. A kiosk that comes back later with a ticket of such a
number still delivers it: its import replaces the void row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy.exc import SQLAlchemyError

from kiosk.centre.context import CentreContext
from kiosk.store.leases import LeaseStore

log = logging.getLogger(__name__)

CHECK_SECONDS = 60.0  # how often the date is looked at
LOOK_BACK_DAYS = 7  # at start: the days a centre may have been switched off through


class DayCloser:
    def __init__(self, ctx: CentreContext) -> None:
        self.ctx = ctx
        self.leases = LeaseStore(ctx.engine)
        self._closed_until: date | None = None  # every day before this one is closed

    def close_past_days(self) -> int:
        """Voids the unused leased numbers of every day before today not yet closed by this
        process (at most LOOK_BACK_DAYS back); how many. A database that cannot be reached
        is logged and tried again at the next check."""
        now = self.ctx.config.now()
        today = now.date()
        if self._closed_until == today:
            return 0
        first = self._closed_until or today - timedelta(days=LOOK_BACK_DAYS)
        voided = 0
        try:
            day = first
            while day < today:
                count = self.leases.void_unused(day, now)
                if count:
                    log.info("%s: %d leased numbers were not used; recorded as void",
                             day.isoformat(), count)
                voided += count
                day += timedelta(days=1)
        except SQLAlchemyError as exc:
            log.warning("closing past days: the database cannot be reached (%s); "
                        "trying again in %d s", exc, CHECK_SECONDS)
            return voided
        self._closed_until = today
        return voided


@contextmanager
def closing_days(ctx: CentreContext, every: float = CHECK_SECONDS) -> Iterator[DayCloser]:
    """Closes the past days now, then checks the date every `every` seconds until the block
    ends (the centre service's lifespan)."""
    closer = DayCloser(ctx)
    closer.close_past_days()
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(every):
            closer.close_past_days()

    thread = threading.Thread(target=watch, name="kiosk-day-closer", daemon=True)
    thread.start()
    try:
        yield closer
    finally:
        stop.set()
        thread.join(5)
