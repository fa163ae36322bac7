"""The staff audit log: who did what in staff mode, and when (kiosk/staff_mode.py).

Append-only like ticket_events: triggers make the database refuse to change or remove a
row, so a staff member cannot hide what they did. It holds staff names, action names and
technical details (a printer's state, a file name, a setting's value) — never a citizen's
data: the actions are the kiosk's own, and `detail` is composed by the code, not typed or
scanned. As a last guard, long runs of digits (the shape of an ID number) are masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, Engine, Integer, String, Table, Text, select

from kiosk.store.db import make_append_only, metadata, reading

staff_audit = Table(
    "staff_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),  # ISO 8601 in UTC
    Column("staff_name", String(64), nullable=False),  # as the staff table shows it
    Column("action", String(40), nullable=False),  # a code: sign_in, test_print, wipe …
    Column("detail", Text, nullable=False),  # technical, "" for none
)
make_append_only(staff_audit)

ACTION = re.compile(r"[a-z][a-z0-9_.-]{0,39}")
# A citizen ID number has 12 digits (9 on the old card): no technical detail needs 9.
_LONG_DIGITS = re.compile(r"\d{9,}")
DETAIL_MAX = 500


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime  # aware, UTC
    staff_name: str
    action: str
    detail: str


def clean_detail(detail: str) -> str:
    """The detail as stored: one line, at most DETAIL_MAX characters, digit runs masked."""
    one_line = " ".join(detail.split())
    return _LONG_DIGITS.sub("#", one_line)[:DETAIL_MAX]


class StaffAudit:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, staff_name: str, action: str, detail: str = "",
               at: datetime | None = None) -> AuditEntry:
        """Appends one entry; `action` is a code (ValueError otherwise)."""
        if not ACTION.fullmatch(action):
            raise ValueError(f"audit action {action!r}: expected a short lower-case code")
        when = (at or datetime.now(UTC)).astimezone(UTC)
        name = " ".join(staff_name.split())[:64]
        text = clean_detail(detail)
        with self.engine.begin() as conn:
            row_id = conn.execute(staff_audit.insert().values(
                at=when.isoformat(), staff_name=name, action=action, detail=text,
            )).inserted_primary_key[0]
        return AuditEntry(row_id, when, name, action, text)

    def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The newest `limit` entries, newest first."""
        with reading(self.engine) as conn:
            rows = conn.execute(select(staff_audit).order_by(staff_audit.c.id.desc())
                                .limit(limit)).all()
        return [AuditEntry(r.id, datetime.fromisoformat(r.at), r.staff_name, r.action,
                           r.detail) for r in rows]
