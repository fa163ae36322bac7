"""Schema migrations on both databases: a new database, an older kiosk's upgraded in place
with its rows, another program's refused, the migrations and `metadata` agreeing, and the
start-up check that loads Alembic only when there is something to upgrade."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, inspect, text

from kiosk.paths import ROOT
from kiosk.ratings import RatingService
from kiosk.store import StoreUnavailable, TicketStore, open_database, sqlite_url
from kiosk.store.db import SCHEMA_HEAD, make_engine, metadata, schema_revision
from kiosk.store.ratings import RatingStore

HCM = ZoneInfo("Asia/Ho_Chi_Minh")

# Older kiosks' schemas, as their create_all wrote them (SQLite). Each step added what its
# name says; none had alembic_version.
COUNTERS = """CREATE TABLE daily_counters (day VARCHAR(10) NOT NULL,
    service VARCHAR(8) NOT NULL, last_seq INTEGER NOT NULL, PRIMARY KEY (day, service));"""
TICKET_COLUMNS = """id VARCHAR(32) PRIMARY KEY, day VARCHAR(10) NOT NULL,
    service VARCHAR(8) NOT NULL, seq INTEGER NOT NULL, number VARCHAR(12) NOT NULL,
    lang VARCHAR(8) NOT NULL, issued_at VARCHAR(32) NOT NULL, status VARCHAR(20) NOT NULL,
    print_error TEXT, served_at VARCHAR(32)"""
RATINGS = """CREATE TABLE ratings (id INTEGER NOT NULL PRIMARY KEY, day VARCHAR(10) NOT NULL,
    rated_at VARCHAR(32) NOT NULL, level VARCHAR(20) NOT NULL, reasons VARCHAR(200) NOT NULL,
    ticket_id VARCHAR(32), service VARCHAR(8), counter INTEGER, lang VARCHAR(8) NOT NULL);
    CREATE INDEX ix_ratings_day ON ratings (day);"""
UNIQUE = "CONSTRAINT uq_ticket_number UNIQUE (day, service, seq)"
OLD_KIOSKS = {
    "first": f"{COUNTERS} CREATE TABLE tickets ({TICKET_COLUMNS}, {UNIQUE});",
    "person links": f"{COUNTERS} CREATE TABLE tickets ({TICKET_COLUMNS}, "
                    f"person_hash VARCHAR(64), {UNIQUE});",
    "ratings": f"{COUNTERS} CREATE TABLE tickets ({TICKET_COLUMNS}, "
               f"person_hash VARCHAR(64), rated INTEGER, {UNIQUE}); {RATINGS}",
}
OLD_ROWS = [
    ("0123456789abcdef", "2026-11-27", "A", 1, "A001", "vi", "2026-11-27T08:00:00+07:00",
     "printed", None, None),
    ("fedcba9876543210", "2026-11-27", "A", 2, "A002", "en", "2026-11-27T08:01:00+07:00",
     "shown_not_printed", "paper out", None),
]


def make_old_kiosk(url: str, version: str) -> None:
    """An older kiosk's database with two tickets, the day's counter and (if it had the
    table) a rating, made with plain SQL as that version did."""
    script = OLD_KIOSKS[version]
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in filter(str.strip, script.split(";")):
            if engine.dialect.name == "postgresql":
                statement = statement.replace("id INTEGER NOT NULL PRIMARY KEY",
                                              "id SERIAL PRIMARY KEY")
            conn.execute(text(statement))
        conn.execute(text("INSERT INTO daily_counters VALUES ('2026-11-27', 'A', 2)"))
        for row in OLD_ROWS:
            conn.execute(text(
                "INSERT INTO tickets (id, day, service, seq, number, lang, issued_at, status,"
                " print_error, served_at) VALUES (:a, :b, :c, :d, :e, :f, :g, :h, :i, :j)"),
                dict(zip("abcdefghij", row, strict=True)))
        if "ratings" in script:
            conn.execute(text("INSERT INTO ratings (day, rated_at, level, reasons, service,"
                              " lang) VALUES ('2026-11-27', '2026-11-27T08:00:00+07:00',"
                              " 'satisfied', '', 'A', 'vi')"))
    engine.dispose()


@pytest.mark.parametrize("version", list(OLD_KIOSKS))
def test_an_older_kiosk_database_is_upgraded_in_place(any_db_url: str, version: str) -> None:
    make_old_kiosk(any_db_url, version)
    engine = open_database(any_db_url)
    assert schema_revision(engine) == SCHEMA_HEAD
    store = TicketStore(engine)
    kept = store.tickets_of_day(datetime(2026, 11, 27).date())
    assert [(t.id, t.day, t.service, t.seq, t.number, t.lang, t.issued_at.isoformat(),
             t.status, t.print_error, t.served_at) for t in kept] == OLD_ROWS
    # Old tickets are waiting tickets of their own service, never called.
    assert {(t.queue_state, t.queue, t.calls, t.counter, t.origin) for t in kept} == {
        ("waiting", "A", 0, None, None)}
    assert store.people_ahead(kept[1]) == 1
    later = store.allocate("A", "vi", datetime(2026, 11, 27, 15, tzinfo=HCM), "ab" * 32)
    assert (later.number, store.get(later.id).person_hash) == ("A003", "ab" * 32)
    # The ratings table is there (made or kept), and rating a ticket marks it.
    ratings = RatingService(RatingStore(engine), HCM,
                            now=lambda: datetime(2026, 11, 27, 16, tzinfo=HCM))
    ratings.record("satisfied", ticket_id=kept[0].id, lang="vi")
    assert store.get(kept[0].id).rated
    had_rating = int("ratings" in OLD_KIOSKS[version])
    rows = ratings.summary(datetime(2026, 11, 27).date(), datetime(2026, 11, 27).date())
    assert rows[0].counts["satisfied"] == 1 + had_rating
    engine.dispose()
    again = open_database(any_db_url)  # a second start finds it at head
    assert len(TicketStore(again).tickets_of_day(datetime(2026, 11, 27).date())) == 3
    again.dispose()


def test_another_programs_database_is_refused_untouched(any_db_url: str) -> None:
    engine = create_engine(any_db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE tickets (id VARCHAR(10) PRIMARY KEY, colour TEXT)"))
    with pytest.raises(StoreUnavailable) as refused:
        open_database(any_db_url)
    message = str(refused.value)
    assert "not a kiosk database: table tickets has no column day" in message
    assert "\n" not in message
    assert inspect(engine).get_table_names() == ["tickets"]  # nothing added
    engine.dispose()


def test_a_schema_from_a_newer_kiosk_is_refused(any_db_url: str) -> None:
    open_database(any_db_url).dispose()
    engine = create_engine(any_db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    with pytest.raises(StoreUnavailable, match="a revision this kiosk does not know"):
        open_database(any_db_url)
    engine.dispose()


def test_the_migrations_make_what_metadata_describes(any_db_url: str) -> None:
    """A new database gets `metadata` at once; the migrations must make the same."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from kiosk.store.migrations import head_revision, run_upgrade

    assert head_revision() == SCHEMA_HEAD
    engine = make_engine(any_db_url)
    with engine.begin() as conn:
        run_upgrade(conn, "test")  # from empty, through every revision
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    assert schema_revision(engine) == SCHEMA_HEAD
    engine.dispose()


def test_down_to_nothing_and_up_again(any_db_url: str) -> None:
    from kiosk.store.migrations import run_downgrade

    engine = open_database(any_db_url)
    TicketStore(engine).allocate("A", "vi", datetime(2026, 11, 28, 9, tzinfo=HCM))
    with engine.begin() as conn:
        run_downgrade(conn, "0001_baseline")
    assert "ticket_events" not in inspect(engine).get_table_names()
    assert "queue_state" not in {c["name"] for c in inspect(engine).get_columns("tickets")}
    with engine.begin() as conn:
        run_downgrade(conn, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
    engine = open_database(any_db_url)
    assert schema_revision(engine) == SCHEMA_HEAD
    assert TicketStore(engine).allocate(
        "A", "vi", datetime(2026, 11, 28, 9, tzinfo=HCM)).number == "A001"
    engine.dispose()


def test_several_processes_opening_a_new_database_at_once(any_db_url: str,
                                                          together) -> None:
    together(4, lambda _i: open_database(any_db_url).dispose())
    engine = open_database(any_db_url)
    assert schema_revision(engine) == SCHEMA_HEAD
    engine.dispose()


CHECK_IMPORTS = """
import sys
from kiosk.store import open_database
open_database(sys.argv[1]).dispose()
print("alembic" in sys.modules)
"""


def alembic_loaded(url: str) -> bool:
    out = subprocess.run([sys.executable, "-c", CHECK_IMPORTS, url], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=60).stdout
    return out.strip() == "True"


def test_alembic_is_loaded_only_to_upgrade(tmp_path: Path) -> None:
    new, old = tmp_path / "new.sqlite3", tmp_path / "old.sqlite3"
    assert not alembic_loaded(sqlite_url(new))  # made whole at once
    assert not alembic_loaded(sqlite_url(new))  # at head: one small read
    make_old_kiosk(sqlite_url(old), "ratings")
    assert alembic_loaded(sqlite_url(old))  # migrated
    assert not alembic_loaded(sqlite_url(old))
    with sqlite3.connect(old) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (SCHEMA_HEAD,)]
