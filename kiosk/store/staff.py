"""Staff who sign in at the counters, their sessions, and failed PIN attempts.

Only what signing in needs: a name, a scrypt hash of the PIN (kiosk/pins.py), the counters
the person may use. A session is kept by the SHA-256 of its id (the id itself lives only
in the browser's cookie), so a copy of the database cannot be used to sign in.
Failed attempts are rows too: a restart does not lift a lock-out.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    delete,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from kiosk.store.db import metadata, reading

staff = Table(
    "staff",
    metadata,
    # name_key: the name folded for look-up (kiosk.store.staff.name_key), so "Hùng" signs in
    # as "hung" from an on-screen keyboard without accents; two staff cannot share one.
    Column("name_key", String(64), primary_key=True),
    Column("name", String(64), nullable=False),  # as staff typed it, for display
    Column("pin_hash", String(200), nullable=False),
    # Comma list of counter numbers this person may use; NULL: any counter.
    Column("counters", String(200)),
    Column("created_at", String(32), nullable=False),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),  # SHA-256 hex of the cookie's value
    Column("name_key", String(64), ForeignKey("staff.name_key", ondelete="CASCADE"),
           nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),  # ISO 8601 in UTC
    Column("last_seen_at", String(32), nullable=False),
    Index("ix_staff_sessions_name", "name_key"),
)

# Keyed by the folded name typed at sign-in, whether or not such a person exists, so a
# guesser learns nothing from which names lock.
login_failures = Table(
    "login_failures",
    metadata,
    Column("name_key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", String(32), nullable=False),
    Column("locked_until", String(32)),
)


class StaffExists(Exception):
    """Another staff member already has this name (compared without case or accents)."""


@dataclass(frozen=True)
class StaffMember:
    name: str
    name_key: str
    pin_hash: str
    counters: tuple[int, ...] | None  # None: any counter

    def may_use(self, counter: int) -> bool:
        return self.counters is None or counter in self.counters


@dataclass(frozen=True)
class StaffSession:
    member: StaffMember
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class FailureRecord:
    failures: int
    last_failure_at: datetime
    locked_until: datetime | None


def name_key(name: str) -> str:
    """The name for look-up: trimmed, single-spaced, lower case, without accents (đ → d)."""
    decomposed = unicodedata.normalize("NFD", " ".join(name.split()).casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.replace("đ", "d")


def _utc(at: datetime) -> str:
    # Session and failure times are compared as text in SQL: one offset for all of them.
    return at.astimezone(UTC).isoformat()


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _counters_text(counters: tuple[int, ...] | None) -> str | None:
    return None if counters is None else ",".join(str(c) for c in counters)


def _member(row) -> StaffMember:  # type: ignore[no-untyped-def]
    counters = (None if row.counters is None
                else tuple(int(c) for c in row.counters.split(",") if c))
    return StaffMember(row.name, row.name_key, row.pin_hash, counters)


class StaffStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # Staff -------------------------------------------------------------------------

    def add(self, name: str, pin_hash: str, counters: tuple[int, ...] | None,
            at: datetime) -> StaffMember:
        key = name_key(name)
        try:
            with self.engine.begin() as conn:
                conn.execute(staff.insert().values(
                    name_key=key, name=" ".join(name.split()), pin_hash=pin_hash,
                    counters=_counters_text(counters), created_at=at.isoformat()))
        except IntegrityError:
            raise StaffExists(name) from None
        return StaffMember(" ".join(name.split()), key, pin_hash, counters)

    def remove(self, name: str) -> bool:
        """Removes the person and ends their sessions; False when there was no one."""
        key = name_key(name)
        with self.engine.begin() as conn:
            conn.execute(delete(staff_sessions).where(staff_sessions.c.name_key == key))
            return conn.execute(delete(staff).where(staff.c.name_key == key)).rowcount > 0

    def get(self, name: str) -> StaffMember | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(staff).where(staff.c.name_key == name_key(name))).first()
        return _member(row) if row else None

    def all(self) -> list[StaffMember]:
        with reading(self.engine) as conn:
            rows = conn.execute(select(staff).order_by(staff.c.name_key)).all()
        return [_member(r) for r in rows]

    # Failed attempts ---------------------------------------------------------------

    def failures(self, key: str) -> FailureRecord | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(login_failures)
                               .where(login_failures.c.name_key == key)).first()
        if row is None:
            return None
        return FailureRecord(row.failures, datetime.fromisoformat(row.last_failure_at),
                             datetime.fromisoformat(row.locked_until)
                             if row.locked_until else None)

    def record_failure(self, key: str, failures: int, at: datetime,
                       locked_until: datetime | None) -> None:
        values = {"failures": failures, "last_failure_at": _utc(at),
                  "locked_until": _utc(locked_until) if locked_until else None}
        with self.engine.begin() as conn:
            done = conn.execute(update(login_failures)
                                .where(login_failures.c.name_key == key).values(values))
            if done.rowcount == 0:
                conn.execute(login_failures.insert().values(name_key=key, **values))

    def clear_failures(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.name_key == key))

    # Sessions ----------------------------------------------------------------------

    def open_session(self, member: StaffMember, session_id: str, csrf_token: str,
                     at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(staff_sessions.insert().values(
                id_hash=session_hash(session_id), name_key=member.name_key,
                csrf_token=csrf_token, created_at=_utc(at), last_seen_at=_utc(at)))

    def session(self, session_id: str) -> StaffSession | None:
        with reading(self.engine) as conn:
            row = conn.execute(
                select(staff_sessions.c.csrf_token, staff_sessions.c.created_at,
                       staff_sessions.c.last_seen_at, staff)
                .join(staff, staff.c.name_key == staff_sessions.c.name_key)
                .where(staff_sessions.c.id_hash == session_hash(session_id))).first()
        if row is None:
            return None
        return StaffSession(_member(row), row.csrf_token,
                            datetime.fromisoformat(row.created_at),
                            datetime.fromisoformat(row.last_seen_at))

    def touch_session(self, session_id: str, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(staff_sessions)
                         .where(staff_sessions.c.id_hash == session_hash(session_id))
                         .values(last_seen_at=_utc(at)))

    def close_session(self, session_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(staff_sessions)
                         .where(staff_sessions.c.id_hash == session_hash(session_id)))

    def close_sessions_before(self, created_before: datetime,
                              seen_before: datetime) -> int:
        """Removes sessions past their life; the number removed."""
        with self.engine.begin() as conn:
            return conn.execute(delete(staff_sessions).where(
                (staff_sessions.c.created_at < _utc(created_before))
                | (staff_sessions.c.last_seen_at < _utc(seen_before)))).rowcount
