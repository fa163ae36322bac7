"""What the province outbox keeps in the centre's database: how far each stream of events
has been delivered (docs/architecture.md, Events to the province), and the ratings it reads.

The cursor moves only after the province's endpoint accepted a batch, in its own small
transaction, so a restart resends at most the batch that was in flight: every event is
delivered at least once, and the receiver's deduplication by uid makes it exactly once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Engine, Integer, String, Table, select

from kiosk.store.db import metadata, ratings, reading
from kiosk.store.ratings import RatingRecord, split_reasons

# The streams an outbox reads, each with its own cursor (the id of the last row delivered).
EVENTS = "events"  # ticket_events
RATINGS = "ratings"  # ratings

province_cursor = Table(
    "province_cursor",
    metadata,
    Column("stream", String(16), primary_key=True),
    Column("last_id", Integer, nullable=False),
    Column("updated_at", String(32), nullable=False),  # ISO 8601, when it last moved
)


class ProvinceCursor:
    """The delivered positions of the outbox's streams."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def positions(self) -> dict[str, int]:
        """The last id delivered per stream; 0 for a stream never delivered."""
        with reading(self.engine) as conn:
            rows = conn.execute(select(province_cursor.c.stream, province_cursor.c.last_id))
            found = {r.stream: int(r.last_id) for r in rows}
        return {EVENTS: found.get(EVENTS, 0), RATINGS: found.get(RATINGS, 0)}

    def advance(self, stream: str, last_id: int, at: datetime) -> None:
        """Records that every row of `stream` up to `last_id` was delivered. Never moves a
        cursor backwards (an older outbox finishing late cannot undo a newer one's work)."""
        if stream not in (EVENTS, RATINGS):
            raise ValueError(f"unknown stream {stream!r}")
        with self.engine.begin() as conn:
            current = conn.execute(select(province_cursor.c.last_id)
                                   .where(province_cursor.c.stream == stream)).scalar()
            if current is None:
                conn.execute(province_cursor.insert().values(
                    stream=stream, last_id=last_id, updated_at=at.isoformat()))
            elif last_id > current:
                conn.execute(province_cursor.update()
                             .where(province_cursor.c.stream == stream)
                             .values(last_id=last_id, updated_at=at.isoformat()))


def ratings_after(engine: Engine, after_id: int, limit: int) -> list[RatingRecord]:
    """Ratings with an id above `after_id`, oldest first, at most `limit`. The ticket id is
    not read (it is not kept either: kiosk/store/ratings.py)."""
    with reading(engine) as conn:
        rows = conn.execute(
            select(ratings.c.id, ratings.c.day, ratings.c.rated_at, ratings.c.level,
                   ratings.c.reasons, ratings.c.service, ratings.c.counter, ratings.c.lang)
            .where(ratings.c.id > after_id).order_by(ratings.c.id).limit(limit)
        ).all()
    return [RatingRecord(int(r.id), r.day, datetime.fromisoformat(r.rated_at), r.level,
                         split_reasons(r.reasons), None, r.service, r.counter, r.lang)
            for r in rows]
