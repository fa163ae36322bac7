"""Leased blocks of numbers on both databases: where blocks start, live numbers jumping
over them, no overlap under concurrency, importing what a kiosk issued offline, and voiding
what a block left unused."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, update

from kiosk.store import TicketStore
from kiosk.store.calls import CounterDesk
from kiosk.store.db import daily_counters
from kiosk.store.leases import (
    ImportConflict,
    ImportedTicket,
    ImportRefused,
    LeaseStore,
    NotLeased,
    NumberLease,
    check_import,
)
from kiosk.store.requests import InvalidRequest

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NINE = datetime(2026, 11, 28, 9, 0, tzinfo=HCM)
DAY = NINE.date()
_ids = itertools.count(1)


@pytest.fixture
def leases(any_engine: Engine) -> LeaseStore:
    return LeaseStore(any_engine)


@pytest.fixture
def store(any_engine: Engine) -> TicketStore:
    return TicketStore(any_engine)


def offline(seq: int, at: datetime = NINE, service: str = "A", **kw) -> ImportedTicket:
    """A ticket as a kiosk issued it from its block while the centre was unreachable."""
    return ImportedTicket(id=f"{next(_ids):016x}", service=service, seq=seq, lang="vi",
                          issued_at=at, **kw)


def live_counter_at(engine: Engine, service: str, last_seq: int) -> None:
    """The live sequence as if `last_seq` numbers had been issued today."""
    TicketStore(engine).allocate(service, "vi", NINE)
    with engine.begin() as conn:
        conn.execute(update(daily_counters).where(daily_counters.c.service == service)
                     .values(last_seq=last_seq))


def test_blocks_start_at_500_and_follow_each_other(leases) -> None:
    got = [leases.lease_block(DAY, s, t, n, NINE) for s, t, n in
           (("A", "kiosk-1", 20), ("A", "kiosk-2", 10), ("B", "kiosk-1", 5),
            ("A", "kiosk-1", 20))]
    assert [(x.service, x.terminal, x.first, x.last) for x in got] == [
        ("A", "kiosk-1", 500, 519), ("A", "kiosk-2", 520, 529), ("B", "kiosk-1", 500, 504),
        ("A", "kiosk-1", 530, 549)]
    assert leases.lease_block(DAY + timedelta(days=1), "A", "kiosk-1", 3, NINE).first == 500
    assert leases.leases_of(DAY, "kiosk-2") == [NumberLease("2026-11-28", "A", "kiosk-2",
                                                            520, 529)]
    assert len(leases.leases_of(DAY)) == 4


def test_live_numbers_jump_over_blocks(any_engine, leases, store) -> None:
    live_counter_at(any_engine, "A", 498)
    leases.lease_block(DAY, "A", "kiosk-1", 10, NINE)  # 500-509
    leases.lease_block(DAY, "A", "kiosk-2", 10, NINE)  # 510-519
    assert [store.allocate("A", "vi", NINE).number for _ in range(3)] == [
        "A499", "A520", "A521"]
    # The next block starts past the live numbers.
    assert leases.lease_block(DAY, "A", "kiosk-1", 5, NINE).first == 522


def test_a_block_taken_after_the_live_numbers_passed_500(any_engine, leases) -> None:
    live_counter_at(any_engine, "A", 600)
    assert (leases.lease_block(DAY, "A", "kiosk-1", 50, NINE).first) == 601


def test_blocks_and_live_numbers_never_overlap_at_once(any_engine, leases, store,
                                                       together) -> None:
    live_counter_at(any_engine, "A", 480)

    def work(i: int) -> list[tuple[int, int]]:
        if i % 2:
            return [(lease.first, lease.last) for lease in
                    (leases.lease_block(DAY, "A", f"kiosk-{i}", 7, NINE) for _ in range(5))]
        return [(t.seq, t.seq) for t in (store.allocate("A", "vi", NINE) for _ in range(15))]

    ranges = sorted(r for got in together(4, work) for r in got)
    for (_a, end), (start, _b) in itertools.pairwise(ranges):
        assert end < start, ranges
    assert sum(b - a + 1 for a, b in ranges) == 2 * 5 * 7 + 2 * 15
    assert len(store.tickets_of_day(DAY)) == 1 + 30  # the ticket live_counter_at made


def test_a_lease_request_repeated_gets_the_same_block(leases) -> None:
    first = leases.lease_block(DAY, "A", "kiosk-1", 10, NINE, request_id="lease-0001")
    again = leases.lease_block(DAY, "A", "kiosk-1", 10, NINE, request_id="lease-0001")
    assert again == first
    assert leases.lease_block(DAY, "A", "kiosk-1", 10, NINE).first == 510
    with pytest.raises(InvalidRequest, match="already used"):
        leases.lease_block(DAY, "B", "kiosk-1", 10, NINE, request_id="lease-0001")


@pytest.mark.parametrize("size", [0, -1, 1001, True, 2.5, "10"])
def test_a_lease_of_a_bad_size_is_refused(leases, size) -> None:
    with pytest.raises(InvalidRequest, match="size must be a whole number from 1 to 1000"):
        leases.lease_block(DAY, "A", "kiosk-1", size, NINE)


def test_imported_tickets_join_the_queue_in_issue_time_order(leases, store) -> None:
    early = store.allocate("A", "vi", NINE)  # A001 at 09:00
    leases.lease_block(DAY, "A", "kiosk-1", 20, NINE)
    late = store.allocate("A", "vi", NINE + timedelta(minutes=10))  # A002 at 09:10
    record, replayed = leases.import_ticket(offline(512, NINE + timedelta(minutes=5)),
                                            "kiosk-1", NINE + timedelta(minutes=30))
    assert not replayed
    assert (record.number, record.queue_state, record.origin, record.status) == (
        "A512", "waiting", "kiosk-1", "printed")
    assert store.people_ahead(late) == 2 and store.people_ahead(record) == 1
    desk = CounterDesk(store.engine)
    called = []
    for n in range(3):
        called.append(desk.call_next(1, ["A"], NINE, f"call-{n:04d}").ticket.number)
        desk.served(1, NINE, f"done-{n:04d}")
    assert called == ["A001", "A512", "A002"]
    imported = [e for e in store.events_after(0, 100) if e.kind == "imported"]
    assert [(e.number, e.terminal) for e in imported] == [("A512", "kiosk-1")]
    assert early.number == "A001"


def test_an_import_replayed_is_stored_once(leases, store) -> None:
    leases.lease_block(DAY, "A", "kiosk-1", 20, NINE)
    ticket = offline(503, status="shown_not_printed", print_error="paper out")
    first, replayed_first = leases.import_ticket(ticket, "kiosk-1", NINE)
    again, replayed_again = leases.import_ticket(ticket, "kiosk-1", NINE)
    assert (replayed_first, replayed_again) == (False, True)
    assert again == first and first.print_error == "paper out"
    assert len(store.tickets_of_day(DAY)) == 1
    assert [e.kind for e in store.events_after(0, 100)] == ["imported"]


def test_imports_outside_a_lease_or_over_another_ticket_are_refused(leases, store) -> None:
    leases.lease_block(DAY, "A", "kiosk-1", 10, NINE)  # 500-509
    leases.lease_block(DAY, "A", "kiosk-2", 10, NINE)  # 510-519
    with pytest.raises(NotLeased, match="A512 of 2026-11-28 is not in a block leased to "
                                        "kiosk-1"):
        leases.import_ticket(offline(512), "kiosk-1", NINE)
    with pytest.raises(NotLeased):
        leases.import_ticket(offline(520), "kiosk-1", NINE)
    with pytest.raises(NotLeased):  # no lease for B
        leases.import_ticket(offline(500, service="B"), "kiosk-1", NINE)
    with pytest.raises(NotLeased):  # the next day
        leases.import_ticket(offline(500, NINE + timedelta(days=1)), "kiosk-1", NINE)
    taken = offline(505)
    leases.import_ticket(taken, "kiosk-1", NINE)
    with pytest.raises(ImportConflict, match="A505 of 2026-11-28 is another ticket"):
        leases.import_ticket(offline(505), "kiosk-1", NINE)  # another id, same number
    moved = ImportedTicket(taken.id, "A", 506, "vi", NINE)  # same id, another number
    with pytest.raises(ImportConflict, match=f"ticket id {taken.id} is already A505"):
        leases.import_ticket(moved, "kiosk-1", NINE)
    assert [t.number for t in store.tickets_of_day(DAY)] == ["A505"]


def test_unused_leased_numbers_become_void_once(leases, store) -> None:
    leases.lease_block(DAY, "A", "kiosk-1", 5, NINE)  # 500-504
    leases.lease_block(DAY, "B", "kiosk-2", 2, NINE)  # 500-501
    for seq in (501, 503):
        leases.import_ticket(offline(seq), "kiosk-1", NINE)
    evening = NINE.replace(hour=17)
    assert leases.void_unused(DAY, evening) == 3 + 2
    assert leases.void_unused(DAY, evening) == 0
    day = {(t.number, t.status, t.queue_state, t.origin)
           for t in store.tickets_of_day(DAY)}
    assert day == {("A500", "void", "void", "kiosk-1"), ("A501", "printed", "waiting",
                                                         "kiosk-1"),
                   ("A502", "void", "void", "kiosk-1"), ("A503", "printed", "waiting",
                                                         "kiosk-1"),
                   ("A504", "void", "void", "kiosk-1"), ("B500", "void", "void", "kiosk-2"),
                   ("B501", "void", "void", "kiosk-2")}
    voids = [e.number for e in store.events_after(0, 100) if e.kind == "void"]
    assert sorted(voids) == ["A500", "A502", "A504", "B500", "B501"]
    assert CounterDesk(store.engine).waiting_counts(DAY) == {"A": 2}
    # The kiosk comes back late with A502 after all: the real ticket replaces the void.
    late = offline(502, NINE + timedelta(minutes=3))
    record, _ = leases.import_ticket(late, "kiosk-1", evening)
    assert (record.id, record.number, record.queue_state) == (late.id, "A502", "waiting")
    assert [t.id for t in store.tickets_of_day(DAY) if t.number == "A502"] == [late.id]
    assert leases.void_unused(DAY, evening) == 0


_BAD_FIELDS = {
    "id": st.one_of(st.text(max_size=40), st.integers()),
    "service": st.one_of(st.text(max_size=3), st.none()),
    "seq": st.one_of(st.integers(max_value=0), st.booleans(), st.floats(), st.text()),
    "lang": st.one_of(st.text(max_size=5), st.integers()),
    "issued_at": st.one_of(st.datetimes(), st.text(max_size=30)),
    "status": st.text(max_size=20),
}


@given(st.sampled_from(sorted(_BAD_FIELDS)).flatmap(
    lambda field: st.tuples(st.just(field), _BAD_FIELDS[field])))
def test_malformed_imports_are_refused_naming_the_field(field_value) -> None:
    field, value = field_value
    good = {"id": "0123456789abcdef", "service": "A", "seq": 500, "lang": "vi",
            "issued_at": NINE, "status": "printed"}
    ticket = ImportedTicket(**{**good, field: value})
    try:
        check_import(ticket)
    except ImportRefused as exc:
        assert str(exc).startswith(field)
    else:  # the value drawn happens to be a valid one
        assert getattr(ticket, field) == value
