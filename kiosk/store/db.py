"""Database schema and engine: SQLAlchemy Core, SQLite by default.

The same tables and statements run on PostgreSQL for a centre with several terminals;
only the engine set-up below differs per dialect.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    Column,
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
            # Take the write lock at the start so two processes allocating numbers queue
            # up instead of failing with "database is locked" on upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def open_database(url: str, busy_timeout: float = 30.0) -> Engine:
    engine = make_engine(url, busy_timeout)
    metadata.create_all(engine)
    _add_missing_columns(engine)
    return engine


def _add_missing_columns(engine: Engine) -> None:
    """Databases made by an earlier version lack columns added since (nullable ones only,
    so adding them keeps every existing row valid)."""
    existing = {c["name"] for c in inspect(engine).get_columns("tickets")}
    for column in tickets.columns:
        if column.name not in existing and column.nullable:
            kind = column.type.compile(dialect=engine.dialect)
            with engine.begin() as conn:
                conn.exec_driver_sql(f"ALTER TABLE tickets ADD COLUMN {column.name} {kind}")
