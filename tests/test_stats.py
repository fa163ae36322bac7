"""Statistics of a day made through the real store operations, on SQLite and PostgreSQL:
the figures a staff member reads (counts, medians, p90, per hour), and the parsing of the
days asked for."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.ratings import format_summary_table
from kiosk.stats import (
    MAX_DAYS,
    Durations,
    Figures,
    build_report,
    display_width,
    format_report,
    p90,
    parse_day,
    parse_day_range,
    read_report,
    report_csv,
    report_json,
    ticket_facts,
)
from kiosk.store import open_database
from kiosk.store.queue import SERVED, VOID, WAITING
from tests.stats_day import DAY, TZ, at, simulate_day


@pytest.fixture
def day(any_db_url: str):  # type: ignore[no-untyped-def]
    engine = open_database(any_db_url)
    try:
        yield simulate_day(engine)
    finally:
        engine.dispose()


def test_the_day_counts_what_became_of_each_service_s_tickets(day) -> None:  # type: ignore[no-untyped-def]
    report = read_report(day.engine, DAY, DAY, TZ, ["A", "B", "C", "D"])
    a, b, c = (report.by_service[s] for s in "ABC")
    assert (a.issued, a.served, a.no_show, a.transferred, a.void, a.interrupted,
            a.shown_not_printed, a.open) == (6, 3, 1, 1, 0, 1, 1, 2)
    # B: one number issued offline from kiosk-1's lease, the 4 others of the block void.
    assert (b.issued, b.served, b.open, b.void, b.wait) == (1, 0, 1, 4, Durations(0, None, None))
    assert (c.issued, c.served, c.no_show, c.transferred, c.open) == (2, 2, 0, 0, 0)
    o = report.overall
    assert (o.issued, o.served, o.no_show, o.transferred, o.void, o.interrupted,
            o.shown_not_printed, o.open) == (9, 5, 1, 1, 4, 1, 1, 3)
    assert report.by_service["D"] == Figures()  # configured, nobody came: shown as zeros


def test_waiting_counts_to_the_last_call_and_service_from_start_or_call(day) -> None:  # type: ignore[no-untyped-def]
    report = read_report(day.engine, DAY, DAY, TZ, ["A", "C"])
    a, c = report.by_service["A"], report.by_service["C"]
    # A waits 10, 20 (recalled: the last call), 10 (no-show), 20 (transferred to C).
    assert a.wait == Durations(4, 15.0, 20.0)
    # A services 8, 15 (never started: from the last call), 19 (at C's counter).
    assert a.service_time == Durations(3, 15.0, 19.0)
    assert c.wait == Durations(2, 24.0, 43.0)
    assert c.service_time == Durations(2, 15.0, 20.0)
    assert report.overall.wait == Durations(6, 15.0, 43.0)
    assert report.overall.service_time == Durations(5, 15.0, 20.0)


def test_tickets_per_hour_and_service(day) -> None:  # type: ignore[no-untyped-def]
    report = read_report(day.engine, DAY, DAY, TZ, ["A", "C"])
    assert report.issued_per_hour() == {8: {"A": 3, "B": 1}, 9: {"A": 3, "C": 2}}
    assert [(r.hour, r.service) for r in report.hours] == [
        (8, "A"), (8, "B"), (9, "A"), (9, "C"), (None, "B")]  # the void numbers last
    rows = {(r.hour, r.service): r.figures for r in report.hours}
    assert rows[(8, "A")].wait == Durations(3, 10.0, 20.0)
    assert (rows[(9, "A")].issued, rows[(9, "A")].interrupted, rows[(9, "A")].open) == (3, 1, 2)


def test_ratings_come_from_the_ratings_summary(day) -> None:  # type: ignore[no-untyped-def]
    report = read_report(day.engine, DAY, DAY, TZ, ["A", "C"])
    counts = {row.service: row.counts for row in report.ratings}
    assert counts["A"] == {"very_satisfied": 1, "satisfied": 0, "unsatisfied": 1}
    assert counts["C"] == {"very_satisfied": 0, "satisfied": 1, "unsatisfied": 0}
    assert report_json(report)["ratings"]["totals"]["reasons"]["waiting_time"] == 1


def test_no_ticket_id_or_person_hash_in_any_output(day) -> None:  # type: ignore[no-untyped-def]
    report = read_report(day.engine, DAY, DAY, TZ, ["A", "C"])
    outputs = [json.dumps(report_json(report)), report_csv(report),
               format_report(report, format_summary_table)]
    for secret in day.secrets:
        assert all(secret not in out for out in outputs)
    # Numbers only: no ticket's number either.
    assert all("A001" not in out for out in outputs)


def test_other_days_are_not_counted_and_a_range_sums_them(any_db_url: str) -> None:
    engine = open_database(any_db_url)
    try:
        simulate_day(engine)
        assert read_report(engine, DAY + timedelta(days=1), DAY + timedelta(days=1), TZ
                           ).overall == Figures()
        week = read_report(engine, DAY - timedelta(days=3), DAY + timedelta(days=3), TZ)
        assert week.overall.issued == 9 and week.days == 7
        assert [r.day for r in week.hours] == [DAY] * 5
    finally:
        engine.dispose()


def test_void_numbers_count_apart_from_the_issued() -> None:
    void = ticket_facts(day=DAY, service="A", issued_at=at("17:00"), status=VOID,
                        queue_state=VOID, called_at=None, started_at=None, served_at=None,
                        transferred=False, tz=TZ)
    served = ticket_facts(day=DAY, service="A", issued_at=at("08:00"), status="printed",
                          queue_state=SERVED, called_at=at("08:30"), started_at=None,
                          served_at=at("08:36"), transferred=False, tz=TZ)
    assert void.hour is None and served.hour == 8
    figures = Figures.of([void, void, served])
    assert (figures.issued, figures.void, figures.served, figures.open) == (1, 2, 1, 0)
    assert figures.wait == Durations(1, 30.0, 30.0)
    assert figures.service_time == Durations(1, 6.0, 6.0)
    report = build_report([void, served, void], DAY, DAY, ["A"])
    assert [(r.hour, r.figures.issued, r.figures.void) for r in report.hours] == [
        (8, 1, 0), (None, 0, 2)]
    assert report.issued_per_hour() == {8: {"A": 1}}
    assert [line.split(",")[1:5] for line in report_csv(report).splitlines()[1:]] == [
        ["08:00", "A", "1", "1"], ["", "A", "0", "0"]]


def test_a_transferred_ticket_waiting_again_has_no_wait_yet_and_skew_is_left_out() -> None:
    waiting = ticket_facts(day=DAY, service="A", issued_at=at("08:00"), status="printed",
                           queue_state=WAITING, called_at=at("08:10"), started_at=None,
                           served_at=None, transferred=True, tz=TZ)
    assert waiting.wait_minutes is None and waiting.transferred
    # Issued offline on a kiosk whose clock ran ahead of the centre's.
    skewed = ticket_facts(day=DAY, service="A", issued_at=at("08:05"), status="printed",
                          queue_state=SERVED, called_at=at("08:03"), started_at=None,
                          served_at=at("08:09"), transferred=False, tz=TZ)
    assert skewed.wait_minutes is None and skewed.service_minutes == 6.0


def test_an_hour_is_the_centre_s_local_hour() -> None:
    from datetime import UTC, datetime

    facts = ticket_facts(day=DAY, service="A", issued_at=datetime(2026, 11, 27, 1, 30,
                                                                  tzinfo=UTC),
                         status="printed", queue_state=WAITING, called_at=None,
                         started_at=None, served_at=None, transferred=False, tz=TZ)
    assert facts.hour == 8


@pytest.mark.parametrize(("values", "expected"), [
    ([5.0], 5.0), ([1.0, 2.0], 2.0), ([float(i) for i in range(1, 11)], 9.0),
    ([float(i) for i in range(1, 12)], 10.0), ([3.0, 1.0, 2.0], 3.0)])
def test_p90_is_a_value_nine_in_ten_do_not_exceed(values: list[float], expected: float) -> None:
    assert p90(values) == expected


@given(st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False), min_size=1))
def test_p90_nine_in_ten_at_most_and_it_was_observed(values: list[float]) -> None:
    value = p90(values)
    assert value in values
    assert sum(v <= value for v in values) >= 0.9 * len(values)
    assert sum(v < value for v in values) < 0.9 * len(values)


def test_an_empty_report_has_no_times() -> None:
    report = build_report([], DAY, DAY, ["A"])
    assert report.overall.wait == Durations(0, None, None)
    assert report_json(report)["overall"]["wait_median"] is None
    assert report_csv(report).splitlines()[1:] == []


# --- the days asked for ------------------------------------------------------------------

@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_a_day_reads_back_as_written(day: date) -> None:
    assert parse_day(day.isoformat()) == day


@given(st.text(max_size=20))
def test_any_text_is_a_day_or_one_sentence(text: str) -> None:
    try:
        day = parse_day(text)
    except ValueError as exc:
        assert "\n" not in str(exc) and str(exc)
    else:
        assert day.isoformat() == text


@pytest.mark.parametrize("text", ["20261127", "2026-W48-5", "2026-11-27T08:00", " 2026-11-27",
                                  "2026-02-30", "٢٠٢٦-١١-٢٧", "2026-11-27\n", ""])
def test_only_yyyy_mm_dd_is_a_day(text: str) -> None:
    with pytest.raises(ValueError):
        parse_day(text)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
       st.integers(min_value=-400, max_value=400))
def test_a_range_is_forward_and_at_most_a_year(first: date, span: int) -> None:
    last = first + timedelta(days=span)
    if 0 <= span < MAX_DAYS:
        assert parse_day_range(first.isoformat(), last.isoformat()) == (first, last)
    else:
        with pytest.raises(ValueError) as refused:
            parse_day_range(first.isoformat(), last.isoformat())
        assert "\n" not in str(refused.value)


def test_one_day_without_to() -> None:
    assert parse_day_range("2026-11-27") == (DAY, DAY)
    assert parse_day_range("2026-11-27", "") == (DAY, DAY)


def test_width_of_vietnamese_and_k_ho_text() -> None:
    assert display_width("Đã phục vụ") == 10
    assert display_width("ê\u0306") == 1  # K'Ho ê̆: a letter and a combining breve
    assert display_width("Phu\u031bo\u031b\u0300ng") == 6  # decomposed "Phường"
