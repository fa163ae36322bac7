"""Database schema and engine: SQLAlchemy Core, SQLite by default.

The same tables and statements run on PostgreSQL for a centre with several terminals;
only the engine set-up below differs per dialect.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    DDL,
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
    select,
    text,
)

metadata = MetaData()

# Set on a connection that only reads: its transaction starts deferred (kiosk/store: reading).
READ_ONLY = "kiosk_read_only"


class StoreUnavailable(Exception):
    """The database cannot be opened or is not the kiosk's: one line for staff, naming it."""


# The newest migration in kiosk/store/migrations/versions: a database at it needs nothing.
# A new revision changes this too (tests/test_store_migrations.py checks they agree).
SCHEMA_HEAD = "0007_staff_audit"
VERSION_TABLE = "alembic_version"
# Alembic's own bookkeeping table, as it makes it; kept out of `metadata`.
alembic_version = Table(
    VERSION_TABLE,
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
# pg_advisory_xact_lock key serialising schema upgrades ("kiosk" in ASCII).
_UPGRADE_LOCK = 0x6B696F736B

# One row per service per local day: the last sequence number handed out.
daily_counters = Table(
    "daily_counters",
    metadata,
    Column("day", String(10), nullable=False),  # local date, YYYY-MM-DD
    Column("service", String(8), nullable=False),
    Column("last_seq", Integer, nullable=False),
    # Where the next lease of numbers starts (kiosk/store/leases.py); NULL: none yet.
    Column("next_lease", Integer),
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
    # The queue (kiosk/store/queue.py, calls.py): waiting → called → serving → served, or
    # no_show, or back to waiting in another service's queue (transfer); void for a
    # leased number never used. Defaults keep rows written before these columns valid.
    Column("queue_state", String(12), nullable=False, server_default="waiting"),
    Column("queue_service", String(8)),  # NULL: the ticket's own service
    Column("counter", Integer),  # the counter that called it last
    Column("called_at", String(32)),  # the last call (a recall moves it)
    Column("started_at", String(32)),
    Column("calls", Integer, nullable=False, server_default="0"),
    Column("origin", String(64)),  # the terminal that issued it; NULL: this database's own
    UniqueConstraint("day", "service", "seq", name="uq_ticket_number"),
    Index("ix_tickets_queue", "day", "queue_state", "issued_at"),
)

# Satisfaction ratings (kiosk/ratings.py). Anonymous: no person hash, no free text, only
# codes from fixed lists, so nothing a citizen types or shows can end up here.
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

# Every change of a ticket, appended in the transaction that makes it; never updated or
# deleted. `id` is the readers' cursor (TicketStore.events_after, the lobby display).
# No personal data: `detail` holds a printer's reason or a transfer's origin at most.
ticket_events = Table(
    "ticket_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(32)),  # NULL for a counter's pause/resume
    Column("day", String(10), nullable=False),
    Column("number", String(12)),
    Column("service", String(8)),  # the queue service at the time
    Column("kind", String(16), nullable=False),
    Column("at", String(32), nullable=False),
    Column("counter", Integer),
    Column("terminal", String(64)),
    Column("detail", Text),
    Index("ix_ticket_events_day", "day"),
)

def append_only(table: str) -> dict[str, list[str]]:
    """Per dialect, the statements making the database itself refuse to change or remove a
    row of `table`, whatever code runs on it (ticket_events, staff_audit)."""
    return {
        "sqlite": [
            f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            for verb in ("update", "delete")
        ],
        "postgresql": [
            "CREATE OR REPLACE FUNCTION kiosk_append_only() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION kiosk_append_only()",
        ],
    }


def make_append_only(table: Table) -> None:
    """Adds the append_only triggers whenever `metadata` creates `table`."""
    for dialect, statements in append_only(table.name).items():
        for statement in statements:
            # DDL formats its text with % (table names): a literal % is doubled.
            event.listen(table, "after_create",
                         DDL(statement.replace("%", "%%")).execute_if(dialect=dialect))


# Migration 0002 made ticket_events' triggers from this.
APPEND_ONLY = append_only("ticket_events")
make_append_only(ticket_events)

# Counter operations already applied, by the request id the caller made up: a retried
# request returns the stored result instead of acting twice (kiosk/store/calls.py).
applied_requests = Table(
    "applied_requests",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("action", String(16), nullable=False),
    Column("counter", Integer),
    Column("result", Text),  # JSON: what the first attempt returned
    Column("applied_at", String(32), nullable=False),
)

counter_state = Table(
    "counter_state",
    metadata,
    Column("counter", Integer, primary_key=True, autoincrement=False),
    Column("paused", Integer, nullable=False, server_default="0"),
    Column("changed_at", String(32)),
)

# Blocks of numbers leased to a kiosk for a day and service (kiosk/store/leases.py), so
# it can issue while the centre is unreachable. They never overlap each other or the
# centre's live numbers.
number_leases = Table(
    "number_leases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False),
    Column("service", String(8), nullable=False),
    Column("terminal", String(64), nullable=False),
    Column("first_seq", Integer, nullable=False),
    Column("last_seq", Integer, nullable=False),
    Column("leased_at", String(32), nullable=False),
    Index("ix_number_leases_day_service", "day", "service", "first_seq"),
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
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            _set_wal(cur, busy_timeout)
            cur.execute("PRAGMA synchronous=FULL")
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


def _set_wal(cursor: sqlite3.Cursor, patience: float) -> None:
    """Switches the file to WAL (it stays so). Switching needs the file to itself, and
    SQLite answers "locked" at once, without its busy timeout, while another connection is
    opening a new file (processes starting together): asked again until `patience` runs
    out."""
    deadline = time.monotonic() + patience
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for queries only (a deferred transaction on SQLite)."""
    with engine.connect() as conn:
        yield conn.execution_options(**{READ_ONLY: True})


def open_database(url: str, busy_timeout: float = 30.0) -> Engine:
    """An engine on the database at `url`, its schema brought to the newest revision.

    A database already there costs one small read (alembic_version); Alembic is imported
    only when there is something to upgrade (docs/architecture.md, Tickets)."""
    engine = make_engine(url, busy_timeout)
    if schema_revision(engine) != SCHEMA_HEAD:
        upgrade_database(engine)
    return engine


def schema_revision(engine: Engine) -> str | None:
    """The database's migration revision; None for a new or pre-migration database."""
    with reading(engine) as conn:
        return _read_revision(conn)


def _read_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(select(alembic_version.c.version_num)).scalar()


def upgrade_database(engine: Engine) -> tuple[str | None, str]:
    """Brings the schema to SCHEMA_HEAD in one transaction; the revisions before and after.

    A new database gets the whole schema at once. One made by an older kiosk (no
    alembic_version) is first checked to be a kiosk's, then migrated in place from the
    baseline, every row kept. Raises StoreUnavailable for another program's database."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two centre processes starting at once: the second waits, then finds head.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK})
        names = set(inspect(conn).get_table_names())
        before = _read_revision(conn) if VERSION_TABLE in names else None
        if before == SCHEMA_HEAD:
            return before, before
        if before is None:
            _check_kiosk_tables(conn, names, engine)
            if not names & set(metadata.tables):
                # Nothing to keep: the schema as the migrations leave it
                # (tests/test_store_migrations.py checks they agree), without Alembic.
                metadata.create_all(conn)
                alembic_version.create(conn, checkfirst=True)
                conn.execute(alembic_version.insert().values(version_num=SCHEMA_HEAD))
                return None, SCHEMA_HEAD
        from kiosk.store.migrations import run_upgrade

        run_upgrade(conn, describe_url(engine))
        after = _read_revision(conn)
    assert after is not None
    return before, after


def describe_url(engine: Engine) -> str:
    """The database as staff know it: the file for SQLite, else the URL without password."""
    if engine.dialect.name == "sqlite":
        return str(engine.url.database)
    return engine.url.render_as_string(hide_password=True)


def _check_kiosk_tables(conn: Connection, names: set[str], engine: Engine) -> None:
    """A table of ours lacking a required column means another program's database: refused
    before anything is added to it. Missing nullable columns or whole tables were added by
    later versions, and the migrations add them, keeping every existing row valid."""
    inspector = inspect(conn)
    for table in metadata.sorted_tables:
        if table.name not in names:
            continue
        existing = {c["name"] for c in inspector.get_columns(table.name)}
        required = [c.name for c in table.columns
                    if c.name not in existing and not c.nullable and c.server_default is None]
        if required:
            raise StoreUnavailable(
                f"database {describe_url(engine)}: not a kiosk database: table {table.name} "
                f"has no column {', '.join(required)}")


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
