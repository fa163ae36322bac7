"""Export and wipe of this kiosk's local data, for staff mode's Reset tab.

Export: one CSV file per table (tickets, ticket events, ratings), named with the kiosk and
the date, written to a folder (usually a USB stick), each file synced to the device
before it counts, then read back to check every row arrived. The tickets' person_hash is
left out: it links visits of one citizen, which the export has no need for.

Wipe: only in a staff session that exported in full just before (nothing new since) and
confirmed with a second PIN entry. It clears tickets, ticket events, ratings and applied
counter requests, and deletes the person salt (kiosk/privacy.py), so no hash left anywhere
(e.g. in the centre-link outbox) can be matched again. It keeps the staff, their failed
sign-ins, the audit log, the centre link's leases and outbox (tickets the centre still has
to receive), and the day counters: a number handed out today before the wipe is never
handed out again today, so the centre, a display or a citizen's ticket cannot see one
number twice.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import socket
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, delete, func, select, text

from kiosk.config import Config
from kiosk.durable import sync_folder
from kiosk.privacy import SALT_FILE
from kiosk.staff_mode import StaffSession, State
from kiosk.store.db import append_only, applied_requests, ratings, reading, ticket_events, tickets

if TYPE_CHECKING:
    from kiosk.tickets import TicketService

# What is exported (and wiped), by file name; the tickets without their person link.
EXPORTED: dict[str, tuple[Table, tuple[str, ...]]] = {
    "tickets": (tickets, tuple(c.name for c in tickets.columns if c.name != "person_hash")),
    "ticket_events": (ticket_events, tuple(c.name for c in ticket_events.columns)),
    "ratings": (ratings, tuple(c.name for c in ratings.columns)),
}
WIPED: tuple[Table, ...] = (tickets, ticket_events, ratings, applied_requests)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ExportFailed(Exception):
    """The export could not be written whole; str() says where and why, in one line."""


class WipeRefused(Exception):
    """The wipe's conditions are not met; str() says which, in one line."""


def kiosk_label(name: str | None = None) -> str:
    """The kiosk as named in file names: its host name, made safe for any file system."""
    label = _SAFE_NAME.sub("-", name or socket.gethostname()).strip("-.")
    return label[:40] or "kiosk"


def _counts(conn: Connection) -> dict[str, int]:
    return {name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, (table, _) in EXPORTED.items()}


def export_local_data(engine: Engine, out_dir: Path, now: datetime, kiosk: str | None = None,
                      session: StaffSession | None = None) -> list[Path]:
    """Writes `<kiosk>-<table>-<date>.csv` for each exported table into `out_dir` and
    returns their paths. Raises ExportFailed, leaving no half file under those names.
    With `session`, a successful export is recorded there (and in the audit log): the
    wipe asks for it."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ExportFailed(f"{out_dir}: not a folder (is the USB stick mounted?)")
    label, day = kiosk_label(kiosk), now.strftime("%Y-%m-%d")
    paths: list[Path] = []
    # One read transaction: the files agree with each other and with the counts kept.
    with reading(engine) as conn:
        counts = _counts(conn)
        for name, (table, columns) in EXPORTED.items():
            rows = conn.execute(select(*(table.c[c] for c in columns))
                                .order_by(*_ordering(table))).all()
            path = out_dir / f"{label}-{name}-{day}.csv"
            _write_csv(path, columns, rows)
            paths.append(path)
    sync_folder(out_dir)
    for path, count in zip(paths, counts.values(), strict=True):
        if _rows_in(path) != count:
            raise ExportFailed(f"{path}: {_rows_in(path)} rows read back, {count} expected")
    if session is not None:
        session.note_export(paths, counts)
    return paths


def _ordering(table: Table) -> Iterable[Any]:
    if table is tickets:
        return (tickets.c.day, tickets.c.service, tickets.c.seq)
    return (table.c.id,)


def _write_csv(path: Path, columns: tuple[str, ...], rows: Iterable[Any]) -> None:
    tmp = path.with_name(path.name + ".part")
    try:
        # utf-8-sig: spreadsheet programs then read Vietnamese text as UTF-8.
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows(rows)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise ExportFailed(f"{path}: cannot be written ({exc.strerror or exc})") from None


def _rows_in(path: Path) -> int:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return sum(1 for _ in csv.reader(fh)) - 1
    except (OSError, UnicodeDecodeError, csv.Error):
        return -1


def wipe_local_data(cfg: Config, engine: Engine, session: StaffSession,
                    ticket_service: TicketService | None = None) -> dict[str, Any]:
    """Clears the local data (module docstring) and returns what went: rows per table and
    whether a salt file was deleted. WipeRefused unless `session` is signed in, exported
    in this session with nothing new since, and confirmed the PIN just before.
    `ticket_service`: the running kiosk's, which then forgets the salt it holds in memory."""
    if session.state is not State.OPEN or session.who is None:
        raise WipeRefused("no staff member is signed in")
    if session.export is None:
        raise WipeRefused("export the data first: a wipe needs an export made in this "
                          "staff session")
    if not session.pin_confirmed():
        raise WipeRefused("enter your PIN again to confirm the wipe")
    with engine.begin() as conn:
        now_counts = _counts(conn)
        if now_counts != session.export.counts:
            raise WipeRefused("data changed since the export: export again before wiping")
        removed = {table.name: _clear(conn, table) for table in WIPED}
    if engine.dialect.name == "sqlite":
        _compact(engine)
    salt = cfg.data_dir / SALT_FILE
    try:
        salt.unlink()
        removed["salt"] = True
        sync_folder(cfg.data_dir)
    except FileNotFoundError:
        removed["salt"] = False
    if ticket_service is not None:
        ticket_service.forget_salt()
    session.act("wipe", ", ".join(f"{k} {v}" for k, v in removed.items()))
    return removed


def _clear(conn: Connection, table: Table) -> int:
    """Deletes every row of `table`. ticket_events refuses deletes by trigger (the queue's
    history is never edited while in use); the one legitimate way to clear it, this wipe,
    drops its triggers, deletes, and makes them again, all inside the wipe's transaction
    so no other writer ever sees the table unprotected."""
    if table is not ticket_events:
        return conn.execute(delete(table)).rowcount
    dialect = conn.dialect.name
    if dialect == "sqlite":
        for verb in ("update", "delete"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS ticket_events_no_{verb}"))
    elif dialect == "postgresql":
        conn.execute(text("DROP TRIGGER IF EXISTS ticket_events_append_only ON ticket_events"))
    count = conn.execute(delete(table)).rowcount
    for statement in append_only("ticket_events").get(dialect, ()):
        conn.execute(text(statement))
    return count


def _compact(engine: Engine) -> None:
    """Rewrites the SQLite file without the deleted rows' pages (they would otherwise stay
    readable in free pages and the WAL until reused)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("VACUUM")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        raw.close()
