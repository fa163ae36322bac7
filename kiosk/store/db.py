"""Database schema and engine: SQLAlchemy Core, SQLite by default.

The same tables and statements run on PostgreSQL for a centre with several terminals;
only the engine set-up below differs per dialect.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
)

metadata = MetaData()

# Set on a connection that only reads: its transaction starts deferred (kiosk/store: reading).
READ_ONLY = "kiosk_read_only"


class StoreUnavailable(Exception):
    """The database cannot be opened or is not the kiosk's: one line for staff, naming it."""

# One row per service per local day: the last sequence number handed out.
daily_counters = Table(
    "daily_counters",
    metadata,
    Column("day", String(10), nullable=False),  # local date, YYYY-MM-DD
    Column("service", String(8), nullable=False),
    Column("last_seq", Integer, nullable=False),
    PrimaryKeyConstraint("day", "service"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", String(32), primary_key=True),  # random, the payload of the ticket's QR
    Column("day", String(10), nullable=False),
    Column("service", String(8), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("number", String(12), nullable=False),  # what the citizen sees: A001
    Column("lang", String(8), nullable=False),
    Column("issued_at", String(32), nullable=False),  # ISO 8601 with UTC offset
    # allocated → printed | shown_not_printed (the printer failed, number shown on screen)
    Column("status", String(20), nullable=False),
    Column("print_error", Text),
    Column("served_at", String(32)),
    # kiosk/privacy.py: a salted hash of the ID number when the citizen identified, else
    # NULL. Never the number, name or birth date.
    Column("person_hash", String(64)),
    # 1 once the ticket has been rated (one rating per ticket), else NULL. Only the flag:
    # the rating itself is in `ratings`, with no ticket id and no time finer than the hour.
    Column("rated", Integer),
    UniqueConstraint("day", "service", "seq", name="uq_ticket_number"),
)

# Satisfaction ratings (kiosk/ratings.py). Anonymous: no person hash, no free text, only
# codes from fixed lists, so nothing a citizen types or shows can end up here.
# `metadata.create_all` adds this table to databases made before it existed.
ratings = Table(
    "ratings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False),  # local date, YYYY-MM-DD
    Column("rated_at", String(32), nullable=False),  # ISO 8601 with UTC offset
    Column("level", String(20), nullable=False),
    Column("reasons", String(200), nullable=False),  # comma list of reason codes, or ""
    # Optional links; no foreign key so a rating survives the ticket rows being purged.
    Column("ticket_id", String(32)),
    Column("service", String(8)),
    Column("counter", Integer),
    Column("lang", String(8), nullable=False),
    Index("ix_ratings_day", "day"),  # the staff summary reads a range of days
)


def sqlite_url(path: Path | str) -> str:
    return f"sqlite:///{Path(path)}"


def make_engine(url: str, busy_timeout: float = 30.0) -> Engine:
    """An engine with the durability settings the kiosk relies on.

    `busy_timeout`: seconds a SQLite writer waits for another to finish before failing.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": busy_timeout})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            # Let SQLAlchemy's begin event below issue BEGIN, not pysqlite's own logic.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
            # A write takes the write lock at the start so two processes allocating numbers
            # queue up instead of failing with "database is locked" on upgrade. A read
            # starts deferred: under WAL it runs beside a writer instead of queueing.
            if conn.get_execution_options().get(READ_ONLY):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for queries only (a deferred transaction on SQLite)."""
    with engine.connect() as conn:
        yield conn.execution_options(**{READ_ONLY: True})


def open_database(url: str, busy_timeout: float = 30.0) -> Engine:
    engine = make_engine(url, busy_timeout)
    missing = _missing_columns(engine)
    metadata.create_all(engine)
    _add_columns(engine, missing)
    return engine


def open_database_file(path: Path, busy_timeout: float = 30.0) -> Engine:
    """The SQLite database at `path`, its folder and file made private first."""
    prepare_database_file(path)
    return open_database(sqlite_url(path), busy_timeout)


def prepare_database_file(path: Path) -> None:
    """Makes the data folder (0700) and the database file (0600) before SQLite opens it,
    so that what a citizen's ticket links to is not readable by other users; SQLite gives
    its -wal and -shm files the database file's mode. Raises StoreUnavailable saying what
    is wrong with the folder or the file."""
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise StoreUnavailable(f"data folder {folder}: is a file, not a folder")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreUnavailable(f"data folder {folder}: cannot be made ({exc.strerror})") from None
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    except OSError as exc:
        raise StoreUnavailable(f"database {path}: cannot be opened for writing "
                               f"({exc.strerror})") from None
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        _keep_private(file)


def _keep_private(file: Path) -> None:
    """Takes read and write away from group and others (files made by earlier versions)."""
    # Absent (no -wal yet), or not the kiosk user's file: left as its owner set it.
    with contextlib.suppress(FileNotFoundError, PermissionError):
        mode = file.stat().st_mode
        if mode & 0o077:
            file.chmod(mode & 0o700)


def _missing_columns(engine: Engine) -> list[Column]:
    """The columns our existing tables lack, read once. A missing required column means
    another program's database: refused before anything is added to it. Missing nullable
    ones were added by later versions: adding them keeps every existing row valid."""
    inspector = inspect(engine)
    missing: list[Column] = []
    for table in metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue  # create_all makes it whole
        existing = {c["name"] for c in inspector.get_columns(table.name)}
        lacking = [c for c in table.columns if c.name not in existing]
        required = [c.name for c in lacking if not c.nullable]
        if required:
            raise StoreUnavailable(
                f"database {engine.url.database}: not a kiosk database: table {table.name} "
                f"has no column {', '.join(required)}")
        missing += lacking
    return missing


def _add_columns(engine: Engine, columns: list[Column]) -> None:
    for column in columns:
        kind = column.type.compile(dialect=engine.dialect)
        with engine.begin() as conn:
            conn.exec_driver_sql(
                f"ALTER TABLE {column.table.name} ADD COLUMN {column.name} {kind}")
