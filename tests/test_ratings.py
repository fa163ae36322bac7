"""Satisfaction ratings on a real SQLite file: recording, validation, anonymity, summary."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, select

from kiosk.ratings import (
    DISSATISFACTION_REASONS,
    LEVEL_CODES,
    RATING_LEVELS,
    REASON_CODES,
    RatingService,
    format_summary_table,
    summary_json,
)
from kiosk.store import TicketStore, open_database, sqlite_url
from kiosk.store.db import ratings
from kiosk.store.ratings import RatingRecord, RatingStore, split_reasons

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
COLUMNS = {"id", "day", "rated_at", "level", "reasons", "ticket_id", "service", "counter",
           "lang"}


def stored(store: RatingStore, rating_id: int) -> RatingRecord:
    """One rating as the database holds it (the kiosk itself only reads counts back)."""
    with store.engine.connect() as conn:
        r = conn.execute(select(ratings).where(ratings.c.id == rating_id)).one()
    return RatingRecord(r.id, r.day, datetime.fromisoformat(r.rated_at), r.level,
                        split_reasons(r.reasons), r.ticket_id, r.service, r.counter, r.lang)


class Clock:
    """A settable clock, so ratings land on chosen local days."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at


def make_service(path: Path, clock: Callable[[], datetime]) -> RatingService:
    return RatingService(RatingStore(open_database(sqlite_url(path))), "Asia/Ho_Chi_Minh",
                         now=clock)


def test_levels_are_the_three_of_the_one_stop_shop_best_first() -> None:
    assert LEVEL_CODES == ("very_satisfied", "satisfied", "unsatisfied")
    assert [lv.vi for lv in RATING_LEVELS] == ["Rất hài lòng", "Hài lòng", "Không hài lòng"]
    assert len({lv.face for lv in RATING_LEVELS}) == 3
    assert all("," not in code for code in REASON_CODES)  # stored as a comma list
    assert len(set(REASON_CODES)) == len(DISSATISFACTION_REASONS)


def test_a_rating_is_stored_and_read_back(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=HCM))
    svc = make_service(tmp_path / "k.sqlite3", clock)
    rec = svc.record("unsatisfied", ["documents_again", "waiting_time", "waiting_time"],
                     ticket_id="00ab12cd34ef5678", counter=3, service="A", lang="kpm")
    # Canonical order, no repeats, the hour only (with the counter, a finer time could tell
    # staff who rated), local day; the ticket's id is not kept (it may carry a person link).
    assert rec.reasons == ("waiting_time", "documents_again")
    assert rec.rated_at.isoformat() == "2026-11-28T09:00:00+07:00"
    assert rec.ticket_id is None
    assert rec.day == "2026-11-28"
    again = stored(RatingStore(open_database(sqlite_url(tmp_path / "k.sqlite3"))), rec.id)
    assert again == rec


def test_a_rating_after_a_ticket_scan_takes_the_ticket_service(tmp_path: Path) -> None:
    path = tmp_path / "k.sqlite3"
    now = datetime(2026, 11, 28, 10, 0, tzinfo=HCM)
    ticket = TicketStore(open_database(sqlite_url(path))).allocate("B", "vi", now)
    rec = make_service(path, Clock(now)).record("satisfied", ticket_id=ticket.id, lang="vi")
    assert rec.service == "B" and rec.ticket_id is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": "happy"}, "unknown rating level 'happy'; expected one of very_satisfied"),
        ({"level": ""}, "unknown rating level ''"),
        ({"level": "unsatisfied", "reasons": ["rude"]}, "unknown reason 'rude'"),
        ({"level": "unsatisfied", "reasons": "waiting_time"}, "not one string"),
        ({"level": "satisfied", "reasons": ["waiting_time"]}, "only when not satisfied"),
        ({"level": "satisfied", "ticket_id": "Nguyen Van A"}, "ticket_id must be"),
        ({"level": "satisfied", "service": "AB"}, "service must be one capital letter"),
        ({"level": "satisfied", "counter": 0}, "counter must be"),
        ({"level": "satisfied", "counter": True}, "counter must be"),
        ({"level": "satisfied", "lang": "Tiếng Việt"}, "lang must be"),
    ],
)
def test_invalid_input_is_rejected_with_a_clear_error(tmp_path: Path, kwargs: dict,
                                                      message: str) -> None:
    svc = make_service(tmp_path / "k.sqlite3", Clock(datetime(2026, 11, 28, 9, tzinfo=HCM)))
    args = {"lang": "vi", **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        svc.record(args.pop("level"), **args)
    with svc.store.engine.connect() as conn:
        assert conn.execute(select(ratings)).all() == []  # nothing half-written


def test_rows_hold_only_the_listed_columns_and_nothing_personal(tmp_path: Path) -> None:
    path = tmp_path / "k.sqlite3"
    svc = make_service(path, Clock(datetime(2026, 11, 28, 9, tzinfo=HCM)))
    svc.record("very_satisfied", lang="vi")
    svc.record("unsatisfied", ["other"], service="A", counter=2, lang="en")
    assert {c["name"] for c in inspect(svc.store.engine).get_columns("ratings")} == COLUMNS
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT * FROM ratings ORDER BY id").fetchall()
    # Every stored value is a code, a number, a date or a time: no person hash, no text.
    assert [r[1:] for r in rows] == [
        ("2026-11-28", "2026-11-28T09:00:00+07:00", "very_satisfied", "", None, None, None,
         "vi"),
        ("2026-11-28", "2026-11-28T09:00:00+07:00", "unsatisfied", "other", None, "A", 2,
         "en"),
    ]


def test_the_table_is_added_to_a_database_made_before_it_existed(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    # The schema of the version before ratings: tickets and counters only, with a ticket.
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE daily_counters (day VARCHAR(10) NOT NULL, service VARCHAR(8) NOT NULL,
                last_seq INTEGER NOT NULL, PRIMARY KEY (day, service));
            CREATE TABLE tickets (id VARCHAR(32) PRIMARY KEY, day VARCHAR(10) NOT NULL,
                service VARCHAR(8) NOT NULL, seq INTEGER NOT NULL, number VARCHAR(12) NOT NULL,
                lang VARCHAR(8) NOT NULL, issued_at VARCHAR(32) NOT NULL,
                status VARCHAR(20) NOT NULL, print_error TEXT, served_at VARCHAR(32),
                person_hash VARCHAR(64), CONSTRAINT uq_ticket_number UNIQUE (day, service, seq));
            INSERT INTO tickets VALUES ('0123456789abcdef', '2026-11-27', 'C', 1, 'C001', 'vi',
                '2026-11-27T08:00:00+07:00', 'printed', NULL, NULL, NULL);
            """
        )
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'ratings'").fetchall() == []
    svc = make_service(path, Clock(datetime(2026, 11, 28, 9, tzinfo=HCM)))
    assert "ratings" in inspect(svc.store.engine).get_table_names()
    rec = svc.record("satisfied", ticket_id="0123456789abcdef", lang="vi")
    assert rec.service == "C"
    assert TicketStore(svc.store.engine).get("0123456789abcdef").number == "C001"


def test_summary_per_local_day_and_service(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 27, 10, 0, tzinfo=HCM))
    svc = make_service(tmp_path / "k.sqlite3", clock)
    svc.record("very_satisfied", service="A", lang="vi")
    svc.record("unsatisfied", ["waiting_time"], service="A", lang="vi")
    # 23:59:59 local is still the 27th; one second later (17:00 UTC, still the 27th in UTC)
    # is the 28th locally, and counts for the 28th.
    clock.at = datetime(2026, 11, 27, 23, 59, 59, tzinfo=HCM)
    svc.record("satisfied", service="B", lang="en")
    clock.at = datetime(2026, 11, 27, 17, 0, 0, tzinfo=UTC)  # = 00:00 on the 28th local
    svc.record("satisfied", service="B", lang="vi")
    svc.record("unsatisfied", ["waiting_time", "staff_attitude"], lang="vi")
    clock.at = datetime(2026, 11, 28, 9, 0, tzinfo=HCM)
    svc.record("unsatisfied", ["staff_attitude"], service="B", lang="vi")
    svc.record("very_satisfied", service="A", lang="vi")
    clock.at = datetime(2026, 11, 30, 9, 0, tzinfo=HCM)  # outside the range asked
    svc.record("very_satisfied", service="A", lang="vi")

    rows = svc.summary(date(2026, 11, 27), date(2026, 11, 28))
    got = [(r.day.isoformat(), r.service, r.counts, r.total, r.satisfied_share, r.reasons)
           for r in rows]
    assert got == [
        ("2026-11-27", "A", {"very_satisfied": 1, "satisfied": 0, "unsatisfied": 1}, 2, 0.5,
         {"waiting_time": 1}),
        ("2026-11-27", "B", {"very_satisfied": 0, "satisfied": 1, "unsatisfied": 0}, 1, 1.0,
         {}),
        ("2026-11-28", "A", {"very_satisfied": 1, "satisfied": 0, "unsatisfied": 0}, 1, 1.0,
         {}),
        ("2026-11-28", "B", {"very_satisfied": 0, "satisfied": 1, "unsatisfied": 1}, 2, 0.5,
         {"staff_attitude": 1}),
        ("2026-11-28", None, {"very_satisfied": 0, "satisfied": 0, "unsatisfied": 1}, 1, 0.0,
         {"waiting_time": 1, "staff_attitude": 1}),
    ]

    data = summary_json(rows, date(2026, 11, 27), date(2026, 11, 28))
    assert json.loads(json.dumps(data)) == data  # plain JSON types only
    assert data["totals"]["counts"] == {"very_satisfied": 2, "satisfied": 2, "unsatisfied": 3}
    assert data["totals"]["total"] == 7
    assert data["totals"]["satisfied_share"] == round(4 / 7, 4)
    assert data["totals"]["reasons"]["staff_attitude"] == 2
    assert data["rows"][4]["service"] is None

    table = format_summary_table(rows).splitlines()
    assert table[0].split() == ["Day", "Service", "Very", "satisfied", "Satisfied", "Not",
                                "satisfied", "Total", "Share", "satisfied"]
    assert table[2].split() == ["2026-11-27", "A", "1", "0", "1", "2", "50%"]
    assert table[6].split() == ["2026-11-28", "-", "0", "0", "1", "1", "0%"]


def test_summary_of_an_empty_period_and_a_reversed_one(tmp_path: Path) -> None:
    svc = make_service(tmp_path / "k.sqlite3", Clock(datetime(2026, 11, 28, 9, tzinfo=HCM)))
    assert svc.summary(date(2026, 1, 1), date(2026, 1, 31)) == []
    assert "No ratings in this period." in format_summary_table([])
    empty = summary_json([], date(2026, 1, 1), date(2026, 1, 31))
    assert empty["totals"]["total"] == 0 and empty["totals"]["satisfied_share"] is None
    with pytest.raises(ValueError, match="after day_to"):
        svc.summary(date(2026, 2, 1), date(2026, 1, 31))


def test_table_headings_are_translated_by_the_caller(tmp_path: Path) -> None:
    from kiosk.i18n import translate

    svc = make_service(tmp_path / "k.sqlite3", Clock(datetime(2026, 11, 28, 9, tzinfo=HCM)))
    svc.record("satisfied", service="A", lang="vi")
    text = format_summary_table(svc.summary(date(2026, 11, 28), date(2026, 11, 28)),
                                lambda m: translate("vi", m))
    assert "2026-11-28" in text  # works whether or not the catalogue has the msgids yet


text_or_none = st.none() | st.text(max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    level=st.sampled_from(LEVEL_CODES) | st.text(max_size=20),
    reasons=st.lists(st.sampled_from(REASON_CODES) | st.text(max_size=20), max_size=6),
    ticket_id=st.none() | st.text("0123456789abcdef", min_size=1, max_size=32) | text_or_none,
    service=st.none() | st.sampled_from("ABC") | st.text(max_size=3),
    counter=st.none() | st.integers(-3, 40),
    lang=st.sampled_from(["vi", "en", "kpm"]) | st.text(max_size=5),
    seconds=st.integers(0, 3 * 86400),
)
def test_record_either_stores_exactly_the_rating_or_raises_value_error(
    tmp_path_factory: pytest.TempPathFactory, new_sqlite: Callable[[Path], str],
    level: str, reasons: list[str],
    ticket_id: str | None, service: str | None, counter: int | None, lang: str, seconds: int,
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "k.sqlite3"
    new_sqlite(path)  # each example on a new database, copied rather than made (~50 ms)
    at = datetime(2026, 11, 27, 0, 0, tzinfo=HCM) + timedelta(seconds=seconds)
    svc = make_service(path, Clock(at))
    try:
        rec = svc.record(level, reasons, ticket_id=ticket_id, counter=counter,
                         service=service, lang=lang)
    except ValueError:
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT count(*) FROM ratings").fetchone() == (0,)
        return
    assert level in LEVEL_CODES and set(reasons) <= set(REASON_CODES)
    assert rec.reasons == tuple(c for c in REASON_CODES if c in reasons)
    assert rec.day == at.date().isoformat()
    rows = svc.summary(at.date(), at.date())
    assert [(r.service, r.total, r.counts[level]) for r in rows] == [(service, 1, 1)]
    assert stored(svc.store, rec.id) == rec
    svc.store.engine.dispose()


@settings(max_examples=200, deadline=None)
@given(
    level=st.sampled_from(LEVEL_CODES),
    reasons=st.lists(st.sampled_from(REASON_CODES), max_size=8),
    ticket_id=st.none() | st.text("0123456789abcdef", min_size=16, max_size=16),
    service=st.none() | st.sampled_from("ABCZ"),
    counter=st.none() | st.integers(1, 99),
    lang=st.sampled_from(["vi", "en", "kpm", "rad"]),
    seconds=st.integers(0, 3 * 86400),
)
def test_every_valid_rating_is_stored_and_counted_once(
    tmp_path_factory: pytest.TempPathFactory, new_sqlite: Callable[[Path], str],
    level: str, reasons: list[str],
    ticket_id: str | None, service: str | None, counter: int | None, lang: str, seconds: int,
) -> None:
    path = tmp_path_factory.mktemp("valid") / "k.sqlite3"
    new_sqlite(path)  # each example on a new database, copied rather than made (~50 ms)
    at = datetime(2026, 11, 27, 0, 0, tzinfo=HCM) + timedelta(seconds=seconds)
    svc = make_service(path, Clock(at))
    given_reasons = reasons if level == "unsatisfied" else []
    rec = svc.record(level, given_reasons, ticket_id=ticket_id, counter=counter,
                     service=service, lang=lang)
    assert stored(svc.store, rec.id) == rec
    assert rec.reasons == tuple(c for c in REASON_CODES if c in given_reasons)
    (row,) = svc.summary(at.date(), at.date())
    assert (row.service, row.total, row.counts[level]) == (service, 1, 1)
    assert row.reasons == dict.fromkeys(rec.reasons, 1)
    svc.store.engine.dispose()


def test_a_ticket_is_rated_once_and_the_rating_stays_anonymous(tmp_path: Path) -> None:
    from kiosk.store.ratings import TicketAlreadyRated

    path = tmp_path / "k.sqlite3"
    now = datetime(2026, 11, 27, 10, 0, tzinfo=HCM)
    ticket = TicketStore(open_database(sqlite_url(path))).allocate("B", "vi", now)
    other = TicketStore(open_database(sqlite_url(path))).allocate("B", "vi", now)
    svc = make_service(path, Clock(now))
    tickets = TicketStore(svc.store.engine)
    assert not tickets.get(ticket.id).rated
    svc.record("satisfied", ticket_id=ticket.id, lang="vi")
    assert tickets.get(ticket.id).rated and not tickets.get(other.id).rated
    with pytest.raises(TicketAlreadyRated):
        svc.record("unsatisfied", ["other"], ticket_id=ticket.id, lang="vi")
    svc.record("very_satisfied", ticket_id=other.id, lang="vi")  # another ticket: counts
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT level, service, ticket_id FROM ratings ORDER BY id"
                          ).fetchall() == [("satisfied", "B", None), ("very_satisfied", "B", None)]
        # Nothing in the ticket's row says when it was rated or how.
        rated = db.execute("SELECT rated FROM tickets ORDER BY seq").fetchall()
        assert rated == [(1,), (1,)]
