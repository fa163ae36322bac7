"""Queue numbers on a real SQLite file (and both databases where marked): day boundary,
restart, concurrent issuing, events of issuing and printing."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from kiosk.store import TicketStore, format_number, open_database, sqlite_url
from kiosk.store.calls import CounterDesk
from kiosk.store.db import tickets

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def open_store(path: Path) -> TicketStore:
    return TicketStore(open_database(sqlite_url(path)))


def test_numbers_count_up_per_service(tmp_path: Path) -> None:
    store = open_store(tmp_path / "q.sqlite3")
    now = datetime(2026, 11, 28, 9, 0, tzinfo=HCM)
    got = [store.allocate(s, "vi", now).number for s in "AABAB"]
    assert got == ["A001", "A002", "B001", "A003", "B002"]


def test_numbers_restart_at_local_midnight_not_utc(tmp_path: Path) -> None:
    store = open_store(tmp_path / "q.sqlite3")
    before = datetime(2026, 11, 28, 23, 59, 59, tzinfo=HCM)
    after = before + timedelta(seconds=1)
    assert store.allocate("A", "vi", before).number == "A001"
    assert store.allocate("A", "vi", before).number == "A002"
    first_of_day = store.allocate("A", "vi", after)
    assert (first_of_day.number, first_of_day.day) == ("A001", "2026-11-29")
    # 17:00 UTC is already the next local day in Ho Chi Minh City (UTC+7).
    utc_evening = datetime(2026, 11, 29, 17, 30, tzinfo=UTC).astimezone(HCM)
    assert store.allocate("A", "vi", utc_evening).number == "A001"


def test_restart_continues_the_sequence(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    now = datetime(2026, 11, 28, 9, 0, tzinfo=HCM)
    first = open_store(path)
    assert [first.allocate("A", "vi", now).number for _ in range(3)][-1] == "A003"
    first.engine.dispose()  # the process goes away
    assert open_store(path).allocate("A", "vi", now).number == "A004"


def test_number_is_committed_before_it_is_returned(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    record = open_store(path).allocate("A", "en", datetime(2026, 11, 28, 9, tzinfo=HCM))
    other = open_store(path)  # a separate connection sees it at once
    assert other.get(record.id).number == "A001"
    assert other.get(record.id).status == "allocated"


def test_past_999_numbers_grow_instead_of_repeating() -> None:
    assert format_number("A", 999) == "A999"
    assert format_number("A", 1000) == "A1000"


def test_people_ahead_counts_earlier_waiting_of_same_service(tmp_path: Path) -> None:
    store = open_store(tmp_path / "q.sqlite3")
    now = datetime(2026, 11, 28, 9, 0, tzinfo=HCM)
    a1, a2, _b1, a3 = (store.allocate(s, "vi", now) for s in "AABA")
    assert store.people_ahead(a1) == 0
    assert store.people_ahead(a3) == 2
    # A counter calls A001: it is no longer ahead of anyone.
    CounterDesk(store.engine).call_next(1, ["A"], now, "call-a001")
    assert store.people_ahead(a3) == 1
    assert store.people_ahead(a2) == 0
    assert store.people_ahead(a1) == 0  # called: nobody ahead


def test_outcomes_are_recorded_distinguishably(tmp_path: Path) -> None:
    store = open_store(tmp_path / "q.sqlite3")
    now = datetime(2026, 11, 28, 9, 0, tzinfo=HCM)
    printed, shown = store.allocate("A", "vi", now), store.allocate("A", "vi", now)
    store.mark_printed(printed.id)
    store.mark_shown_not_printed(shown.id, "paper out")
    assert store.get(printed.id).status == "printed"
    assert (store.get(shown.id).status, store.get(shown.id).print_error) == (
        "shown_not_printed", "paper out")


def test_wal_and_full_sync(tmp_path: Path) -> None:
    store = open_store(tmp_path / "q.sqlite3")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def _allocate_many(path: str, count: int, start: multiprocessing.Event) -> None:
    store = open_store(Path(path))
    start.wait(30)
    now = datetime(2026, 11, 28, 10, 0, tzinfo=HCM)
    for _ in range(count):
        store.allocate("A", "vi", now)


def test_four_processes_never_share_a_number(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    open_store(path)  # create the schema once
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    per_process = 40
    procs = [ctx.Process(target=_allocate_many, args=(str(path), per_process, start))
             for _ in range(4)]
    for p in procs:
        p.start()
    start.set()  # all four begin together
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with open_store(path).engine.connect() as conn:
        numbers = [r.number for r in conn.execute(select(tickets.c.number))]
    assert len(numbers) == 4 * per_process
    assert sorted(numbers) == [format_number("A", n) for n in range(1, 4 * per_process + 1)]


def test_a_database_from_before_person_links_is_upgraded_in_place(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE daily_counters (day VARCHAR(10) NOT NULL, service VARCHAR(8) NOT NULL,
            last_seq INTEGER NOT NULL, PRIMARY KEY (day, service));
        CREATE TABLE tickets (id VARCHAR(32) PRIMARY KEY, day VARCHAR(10) NOT NULL,
            service VARCHAR(8) NOT NULL, seq INTEGER NOT NULL, number VARCHAR(12) NOT NULL,
            lang VARCHAR(8) NOT NULL, issued_at VARCHAR(32) NOT NULL,
            status VARCHAR(20) NOT NULL, print_error TEXT, served_at VARCHAR(32),
            CONSTRAINT uq_ticket_number UNIQUE (day, service, seq));
        INSERT INTO daily_counters VALUES ('2026-11-28', 'A', 7);
    """)
    old.close()
    store = open_store(path)
    ticket = store.allocate("A", "vi", datetime(2026, 11, 28, 15, tzinfo=HCM), "ab" * 32)
    assert ticket.number == "A008"  # the sequence goes on
    assert store.get(ticket.id).person_hash == "ab" * 32


def test_a_read_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    writer_store = open_store(path)
    ticket = writer_store.allocate("A", "vi", datetime(2026, 11, 28, 9, 0, tzinfo=HCM))
    # Another process's reader, which would give up after a tenth of a second of waiting.
    reader = TicketStore(open_database(sqlite_url(path), busy_timeout=0.1))
    with writer_store.engine.begin() as writing:  # a write transaction held open
        writing.execute(update(tickets).values(print_error="being written"))
        assert reader.get(ticket.id).print_error is None  # the last committed state
        assert reader.people_ahead(ticket) == 0


def test_issuing_from_many_threads_is_gap_free(any_db_url: str, together) -> None:
    """Several terminals issuing at once on one database (threads here, each with its own
    connection; processes on SQLite above): no number twice, none skipped."""
    engine = open_database(any_db_url)
    now = datetime(2026, 11, 28, 10, 0, tzinfo=HCM)

    def issue(_i: int) -> None:
        store = TicketStore(engine)
        for _ in range(15):
            store.allocate("A", "vi", now)
            store.allocate("B", "vi", now)

    together(6, issue)
    records = TicketStore(engine).tickets_of_day(now.date())
    for service in "AB":
        numbers = [r.number for r in records if r.service == service]
        assert numbers == [format_number(service, n) for n in range(1, 91)]
    issued = [e for e in TicketStore(engine).events_after(0, 1000) if e.kind == "issued"]
    assert sorted(e.ticket_id for e in issued) == sorted(r.id for r in records)
    engine.dispose()


def test_issuing_and_printing_outcomes_are_events(any_db_url: str) -> None:
    engine = open_database(any_db_url)
    store = TicketStore(engine)
    now = datetime(2026, 11, 28, 9, 0, tzinfo=HCM)
    printed, shown, killed = (store.allocate("A", "vi", now, origin=o)
                              for o in (None, "kiosk-2", None))
    store.mark_printed(printed.id, now)
    store.mark_shown_not_printed(shown.id, "paper out", now)
    later = now.replace(hour=10)
    assert [r.id for r in store.resolve_interrupted(later)] == [killed.id]
    got = [(e.number, e.kind, e.terminal, e.detail, e.at) for e in store.events_after(0, 100)]
    assert got == [
        ("A001", "issued", None, None, now),
        ("A002", "issued", "kiosk-2", None, now),
        ("A003", "issued", None, None, now),
        ("A001", "printed", None, None, now),
        ("A002", "not_printed", "kiosk-2", "paper out", now),
        ("A003", "interrupted", None, None, later),
    ]
    assert store.get(shown.id).origin == "kiosk-2"
    engine.dispose()
