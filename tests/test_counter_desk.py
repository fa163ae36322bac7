"""Counter operations on both databases (a SQLite file, a PostgreSQL database): the order
numbers are called in, every operation's rules and refusals, replays of one request,
transfer keeping the place, events, and two counters calling at once."""

from __future__ import annotations

import itertools
import string
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from kiosk.store import TicketStore, open_database
from kiosk.store.calls import (
    AlreadyStarted,
    CounterBusy,
    CounterDesk,
    CounterPaused,
    InvalidRequest,
    NotCalledYet,
    NothingCalled,
    QueueEmpty,
    RequestReused,
    UnknownService,
    check_counter,
    check_request_id,
    check_service,
)
from kiosk.store.db import applied_requests, ticket_events

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NINE = datetime(2026, 11, 28, 9, 0, tzinfo=HCM)
_ids = itertools.count(1)


def rid() -> str:
    """A fresh request id, as a counter page makes one per click."""
    return f"request-{next(_ids):06d}"


@pytest.fixture
def store(any_engine: Engine) -> TicketStore:
    return TicketStore(any_engine)


@pytest.fixture
def desk(any_engine: Engine) -> CounterDesk:
    return CounterDesk(any_engine, services="ABC")


def issue(store: TicketStore, services: str, start: datetime = NINE,
          step: timedelta = timedelta(minutes=1)) -> list:
    return [store.allocate(s, "vi", start + i * step) for i, s in enumerate(services)]


def events(store: TicketStore) -> list[tuple]:
    return [(e.number, e.kind, e.counter, e.service) for e in store.events_after(0, 1000)
            if e.kind != "issued"]


def test_calls_the_oldest_waiting_of_the_counters_services(store, desk) -> None:
    issue(store, "BAAB")  # B001 09:00, A001 09:01, A002 09:02, B002 09:03
    got = [desk.call_next(c, ["A"] if c == 1 else ["A", "B"], NINE, rid()).ticket.number
           for c in (1, 2)]
    assert got == ["A001", "B001"]
    for counter in (1, 2):
        desk.served(counter, NINE, rid())
    assert desk.call_next(1, ["A"], NINE, rid()).ticket.number == "A002"
    assert desk.call_next(2, ["A", "B"], NINE, rid()).ticket.number == "B002"
    desk.served(2, NINE, rid())
    with pytest.raises(QueueEmpty) as refused:
        desk.call_next(2, ["A", "B"], NINE, rid())
    assert str(refused.value) == "no one waiting"


def test_a_call_sets_state_counter_time_and_count(store, desk) -> None:
    (a1,) = issue(store, "A")
    result = desk.call_next(3, ["A"], NINE + timedelta(minutes=5), rid())
    t = result.ticket
    assert (result.action, result.counter, result.replayed) == ("call", 3, False)
    assert (t.id, t.queue_state, t.counter, t.calls) == (a1.id, "called", 3, 1)
    assert t.called_at == NINE + timedelta(minutes=5)
    assert desk.current(3, NINE.date()) == t == store.get(a1.id)


def test_only_todays_tickets_are_called(store, desk) -> None:
    issue(store, "A", start=NINE - timedelta(days=1))
    with pytest.raises(QueueEmpty):
        desk.call_next(1, ["A"], NINE, rid())


def test_a_counter_with_a_ticket_must_finish_it_before_calling(store, desk) -> None:
    issue(store, "AA")
    desk.call_next(1, ["A"], NINE, rid())
    with pytest.raises(CounterBusy, match="counter 1 still has A001"):
        desk.call_next(1, ["A"], NINE, rid())
    desk.start(1, NINE, rid())
    with pytest.raises(CounterBusy):
        desk.call_next(1, ["A"], NINE, rid())
    with pytest.raises(AlreadyStarted, match="A001 is already being served"):
        desk.no_show(1, NINE, rid())
    desk.served(1, NINE, rid())
    assert desk.call_next(1, ["A"], NINE, rid()).ticket.number == "A002"


def test_recall_announces_again_and_moves_the_call_time(store, desk) -> None:
    issue(store, "A")
    with pytest.raises(NothingCalled, match="counter 4 has no number called"):
        desk.recall(4, NINE, rid())
    desk.call_next(4, ["A"], NINE, rid())
    later = NINE + timedelta(minutes=2)
    t = desk.recall(4, later, rid()).ticket
    assert (t.calls, t.called_at, t.queue_state) == (2, later, "called")
    desk.start(4, later, rid())
    t = desk.recall(4, later + timedelta(minutes=1), rid()).ticket  # serving: still allowed
    assert (t.calls, t.queue_state) == (3, "serving")


def test_start_served_and_no_show_follow_their_rules(store, desk) -> None:
    issue(store, "AAA")
    with pytest.raises(NothingCalled):
        desk.start(1, NINE, rid())
    with pytest.raises(NothingCalled):
        desk.served(1, NINE, rid())
    with pytest.raises(NotCalledYet, match="a no-show comes after a call"):
        desk.no_show(1, NINE, rid())
    # called → serving → served
    desk.call_next(1, ["A"], NINE, rid())
    started = desk.start(1, NINE + timedelta(minutes=1), rid()).ticket
    assert (started.queue_state, started.started_at) == ("serving",
                                                         NINE + timedelta(minutes=1))
    with pytest.raises(AlreadyStarted):
        desk.start(1, NINE, rid())
    served = desk.served(1, NINE + timedelta(minutes=6), rid()).ticket
    assert (served.queue_state, served.served_at, served.counter) == (
        "served", NINE + timedelta(minutes=6), 1)
    assert desk.current(1, NINE.date()) is None
    # called → served directly
    desk.call_next(1, ["A"], NINE, rid())
    assert desk.served(1, NINE, rid()).ticket.queue_state == "served"
    # called → no-show
    desk.call_next(1, ["A"], NINE, rid())
    assert desk.no_show(1, NINE, rid()).ticket.queue_state == "no_show"
    assert [t.queue_state for t in store.tickets_of_day(NINE.date())] == [
        "served", "served", "no_show"]


def test_transfer_keeps_the_place_by_issue_time(store, desk) -> None:
    a1, b1, b2 = issue(store, "ABB")  # A001 09:00, B001 09:01, B002 09:02
    desk.call_next(1, ["A"], NINE, rid())
    moved = desk.transfer(1, "B", NINE + timedelta(minutes=10), rid()).ticket
    assert (moved.id, moved.queue_state, moved.queue, moved.counter) == (
        a1.id, "waiting", "B", None)
    assert desk.current(1, NINE.date()) is None
    assert desk.waiting_counts(NINE.date()) == {"B": 3}
    # Issued first, it is first in B's queue: one ahead of B001, two ahead of B002.
    assert [store.people_ahead(t) for t in (a1, b1, b2)] == [0, 1, 2]
    assert desk.call_next(2, ["B"], NINE, rid()).ticket.number == "A001"
    assert desk.call_next(3, ["B"], NINE, rid()).ticket.number == "B001"
    with pytest.raises(UnknownService, match="'Z' is not a service here; expected A, B, C"):
        desk.transfer(2, "Z", NINE, rid())
    with pytest.raises(NothingCalled):
        desk.transfer(1, "A", NINE, rid())


def test_a_paused_counter_calls_no_one(store, desk) -> None:
    issue(store, "AA")
    desk.call_next(1, ["A"], NINE, rid())
    assert desk.pause(1, NINE, rid()).ticket is None
    assert desk.is_paused(1) and not desk.is_paused(2)
    desk.served(1, NINE, rid())  # it may finish what it has
    with pytest.raises(CounterPaused, match="counter 1 is paused"):
        desk.call_next(1, ["A"], NINE, rid())
    desk.pause(1, NINE, rid())  # already paused: no change, no second event
    desk.resume(1, NINE + timedelta(minutes=3), rid())
    assert not desk.is_paused(1)
    assert desk.call_next(1, ["A"], NINE, rid()).ticket.number == "A002"
    pauses = [(e.kind, e.ticket_id, e.counter, e.day) for e in store.events_after(0, 100)
              if e.kind in ("paused", "resumed")]
    assert pauses == [("paused", None, 1, "2026-11-28"), ("resumed", None, 1, "2026-11-28")]


@pytest.mark.parametrize("operation", ["call", "recall", "start", "served", "no_show",
                                       "transfer", "pause", "resume"])
def test_the_same_request_twice_changes_once(store, desk, any_engine,
                                             operation: str) -> None:
    issue(store, "AAA")
    setup = {"recall": ["call"], "start": ["call"], "served": ["call"], "no_show": ["call"],
             "transfer": ["call"], "resume": ["pause"]}.get(operation, [])
    run = {
        "call": lambda r: desk.call_next(1, ["A"], NINE, r),
        "recall": lambda r: desk.recall(1, NINE, r),
        "start": lambda r: desk.start(1, NINE, r),
        "served": lambda r: desk.served(1, NINE, r),
        "no_show": lambda r: desk.no_show(1, NINE, r),
        "transfer": lambda r: desk.transfer(1, "B", NINE, r),
        "pause": lambda r: desk.pause(1, NINE, r),
        "resume": lambda r: desk.resume(1, NINE, r),
    }
    for step in setup:
        run[step](rid())
    request = rid()
    first = run[operation](request)
    before = (events(store), store.tickets_of_day(NINE.date()), desk.is_paused(1))
    again = run[operation](request)
    assert again.replayed and not first.replayed
    assert (again.action, again.ticket, again.counter) == (first.action, first.ticket, 1)
    assert (events(store), store.tickets_of_day(NINE.date()), desk.is_paused(1)) == before
    with any_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(applied_requests)
                            .where(applied_requests.c.request_id == request)).scalar() == 1


def test_a_request_id_used_for_another_action_is_refused(store, desk) -> None:
    issue(store, "A")
    request = rid()
    desk.call_next(1, ["A"], NINE, request)
    with pytest.raises(RequestReused, match="already used for call at counter 1"):
        desk.served(1, NINE, request)
    with pytest.raises(RequestReused):
        desk.call_next(2, ["A"], NINE, request)
    assert desk.current(1, NINE.date()).queue_state == "called"


def test_a_refused_request_can_be_retried_once_it_can_succeed(store, desk) -> None:
    request = rid()
    with pytest.raises(QueueEmpty):
        desk.call_next(1, ["A"], NINE, request)
    issue(store, "A")
    assert desk.call_next(1, ["A"], NINE, request).ticket.number == "A001"


def test_every_change_is_an_event_appended_in_order(store, desk, any_engine) -> None:
    a1, _a2 = issue(store, "AA")
    store.mark_printed(a1.id, NINE)
    store.mark_shown_not_printed(_a2.id, "paper out", NINE)
    seen: list = []

    def appended_only() -> None:
        now = store.events_after(0, 1000)
        assert now[:len(seen)] == seen  # earlier rows unchanged, none removed
        seen[:] = now

    for op in (lambda: desk.call_next(2, ["A"], NINE, rid()),
               lambda: desk.recall(2, NINE, rid()),
               lambda: desk.start(2, NINE, rid()),
               lambda: desk.transfer(2, "B", NINE, rid()),
               lambda: desk.call_next(5, ["B"], NINE, rid()),
               lambda: desk.served(5, NINE, rid()),
               lambda: desk.call_next(2, ["A"], NINE, rid()),
               lambda: desk.no_show(2, NINE, rid()),
               lambda: desk.pause(2, NINE, rid())):
        op()
        appended_only()
    assert [(e.number, e.kind, e.counter, e.service, e.detail) for e in seen] == [
        ("A001", "issued", None, "A", None),
        ("A002", "issued", None, "A", None),
        ("A001", "printed", None, "A", None),
        ("A002", "not_printed", None, "A", "paper out"),
        ("A001", "called", 2, "A", None),
        ("A001", "recalled", 2, "A", None),
        ("A001", "started", 2, "A", None),
        ("A001", "transferred", 2, "B", "from A"),
        ("A001", "called", 5, "B", None),
        ("A001", "served", 5, "B", None),
        ("A002", "called", 2, "A", None),
        ("A002", "no_show", 2, "A", None),
        (None, "paused", 2, None, None),
    ]
    assert [e.id for e in seen] == sorted({e.id for e in seen})
    assert store.events_after(seen[5].id, 2) == seen[6:8]  # a reader's cursor
    assert store.last_event_id() == seen[-1].id
    with any_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ticket_events)).scalar() == 13


def test_queries_for_the_counter_page_and_the_display(store, desk) -> None:
    issue(store, "AABBC")
    for counter, services, minutes in ((1, "A", 0), (2, "B", 1), (3, "A", 2)):
        desk.call_next(counter, list(services), NINE + timedelta(minutes=minutes), rid())
    assert desk.waiting_counts(NINE.date()) == {"B": 1, "C": 1}
    assert [t.number for t in desk.recent_calls(NINE.date(), 2)] == ["A002", "B001"]
    desk.served(1, NINE + timedelta(minutes=4), rid())
    desk.start(3, NINE + timedelta(minutes=3), rid())
    desk.served(3, NINE + timedelta(minutes=12), rid())
    assert desk.service_minutes(NINE.date(), "A") == [4.0, 10.0]
    assert desk.service_minutes("2026-11-28", "B") == []
    assert desk.current(2, NINE.date()).number == "B001"
    assert desk.current(2, NINE.date() + timedelta(days=1)) is None


def test_people_ahead_counts_only_those_still_waiting(store, desk) -> None:
    a1, a2, b1, a3 = issue(store, "AABA")
    assert [store.people_ahead(t) for t in (a1, a2, b1, a3)] == [0, 1, 0, 2]
    desk.call_next(1, ["A"], NINE, rid())
    assert [desk.people_ahead(t) for t in (a1, a2, a3)] == [0, 0, 1]


def test_two_counters_calling_at_once_never_get_one_ticket(store, any_engine,
                                                           together) -> None:
    tickets = issue(store, "AB" * 15, step=timedelta(seconds=1))

    def work(i: int) -> list[str]:
        counter, counter_desk, got = i + 1, CounterDesk(any_engine), []
        while True:
            try:
                result = counter_desk.call_next(counter, ["A", "B"], NINE, rid())
            except QueueEmpty:
                return got
            got.append(result.ticket.id)
            counter_desk.served(counter, NINE, rid())

    called = [i for ids in together(6, work) for i in ids]
    assert sorted(called) == sorted(t.id for t in tickets)  # each exactly once
    assert len([e for e in store.events_after(0, 1000) if e.kind == "called"]) == 30


def test_a_call_retried_across_a_database_restart_completes_once(pg_cluster,
                                                                  db_url: str) -> None:
    """PostgreSQL restarts between a click's attempts: after the restart the retry gets
    the first answer; a click made while it is down fails whole and completes once when
    retried after."""
    from sqlalchemy.exc import OperationalError

    if not pg_cluster.restartable:
        pytest.skip("KIOSK_TEST_PG_URL names a server these tests cannot restart")
    engine = open_database(db_url)
    store, desk = TicketStore(engine), CounterDesk(engine)
    issue(store, "AA")
    click = rid()
    first = desk.call_next(1, ["A"], NINE, click)  # committed; say its answer was lost
    pg_cluster.restart()
    again = desk.call_next(1, ["A"], NINE, click)
    assert again.replayed and again.ticket == first.ticket
    click = rid()
    pg_cluster.stop_server()
    try:
        with pytest.raises(OperationalError):
            desk.served(1, NINE, click)
    finally:
        pg_cluster.start_server()
    assert not desk.served(1, NINE, click).replayed
    assert desk.served(1, NINE, click).replayed
    assert events(store) == [("A001", "called", 1, "A"), ("A001", "served", 1, "A")]
    assert store.get(first.ticket.id).queue_state == "served"
    engine.dispose()


def test_bad_requests_are_refused_before_the_database(desk) -> None:
    with pytest.raises(InvalidRequest, match="request_id must be 8 to 64"):
        desk.call_next(1, ["A"], NINE, "short")
    with pytest.raises(InvalidRequest, match="counter must be a whole number above 0"):
        desk.recall(0, NINE, rid())
    with pytest.raises(InvalidRequest, match="time zone"):
        desk.start(1, datetime(2026, 11, 28, 9), rid())
    with pytest.raises(UnknownService):
        desk.call_next(1, [], NINE, rid())
    with pytest.raises(UnknownService, match="'a' is not a service here"):
        desk.call_next(1, ["a"], NINE, rid())
    with pytest.raises(UnknownService):
        desk.call_next(1, "AB", NINE, rid())  # a string, not a list of letters


_ALLOWED = set(string.ascii_letters + string.digits + "_.:-")


@given(st.one_of(st.text(max_size=80), st.integers(), st.none(), st.binary(max_size=20)))
def test_request_ids_are_checked(value: object) -> None:
    ok = isinstance(value, str) and 8 <= len(value) <= 64 and set(value) <= _ALLOWED
    if ok:
        assert check_request_id(value) == value
    else:
        with pytest.raises(InvalidRequest):
            check_request_id(value)


@given(st.one_of(st.text(max_size=3), st.integers(), st.none()))
def test_service_letters_are_checked(value: object) -> None:
    known = frozenset("ABC")
    if isinstance(value, str) and value in known:
        assert check_service(value, known) == value
    else:
        with pytest.raises(UnknownService) as refused:
            check_service(value, known)
        assert "expected A, B, C" in str(refused.value)


@given(st.one_of(st.integers(), st.booleans(), st.floats(), st.text(max_size=3)))
def test_counters_are_checked(value: object) -> None:
    if type(value) is int and value >= 1:
        assert check_counter(value) == value
    else:
        with pytest.raises(InvalidRequest):
            check_counter(value)
