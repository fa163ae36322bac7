"""The centre's JSON API doing the queue's work: kiosks issuing, counters calling, the
display reading, over real TLS; retries applied once; request bodies fuzzed
(docs/architecture.md, Centre)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from centre_support import RunningCentre, centre_config, running_centre
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.centre.app import make_app
from kiosk.centre.client import CentreClient, CentreRefused, new_request_id
from kiosk.centre.estimate import wait_minutes

# Starlette's test client asks for httpx2 when imported; httpx (already a dependency)
# works the same for it.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


@pytest.fixture
def centre(tmp_path: Path, any_db_url: str) -> Iterator[RunningCentre]:
    with running_centre(centre_config(tmp_path, db_url=any_db_url)) as running:
        yield running


@pytest.fixture
def kiosk(centre: RunningCentre) -> Iterator[CentreClient]:
    with centre.enrolled("kiosk", "kiosk-1") as client:
        yield client


@pytest.fixture
def desk(centre: RunningCentre) -> Iterator[CentreClient]:
    with centre.enrolled("counter", "counter-pc-1") as client:
        yield client


def issue(kiosk: CentreClient, service: str = "A", **extra: Any) -> dict[str, Any]:
    return kiosk.post("/api/tickets", {"request_id": new_request_id(), "service": service,
                                       "lang": "vi", **extra})


def act(desk: CentreClient, counter: int, action: str, **extra: Any) -> dict[str, Any]:
    return desk.post(f"/api/counters/{counter}/{action}",
                     {"request_id": new_request_id(), **extra})


def test_a_kiosk_issues_numbers_in_order_with_people_ahead(
        centre: RunningCentre, kiosk: CentreClient) -> None:
    first, second = issue(kiosk), issue(kiosk)
    assert (first["number"], first["people_ahead"]) == ("A001", 0)
    assert (second["number"], second["people_ahead"]) == ("A002", 1)
    assert second["wait_minutes"] is None  # nothing served yet today: no estimate
    assert issue(kiosk, "B")["number"] == "B001"
    stored = centre.ctx.store.get(second["id"])
    assert stored is not None and stored.origin == "kiosk-1"  # which kiosk issued it
    status = kiosk.get(f"/api/tickets/{first['id']}")
    assert (status["queue_state"], status["people_ahead"]) == ("waiting", 0)


def test_a_retried_issue_gets_the_same_number_even_while_the_first_is_running(
        centre: RunningCentre, kiosk: CentreClient) -> None:
    body = {"request_id": "kiosk-1-issue-000001", "service": "A", "lang": "en"}
    first = kiosk.post("/api/tickets", body)
    again = kiosk.post("/api/tickets", body)
    assert again["replayed"] and again["id"] == first["id"] and again["number"] == "A001"
    # Four copies at once (a kiosk retrying while the centre is slow): one ticket.
    racing = {**body, "request_id": "kiosk-1-issue-000002"}
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: kiosk.post("/api/tickets", racing), range(4)))
    assert {a["number"] for a in answers} == {"A002"}
    assert sum(not a["replayed"] for a in answers) == 1
    day = centre.ctx.config.now().date()
    assert [t.number for t in centre.ctx.store.tickets_of_day(day)] == ["A001", "A002"]
    # Another kiosk cannot take over a request id.
    with centre.enrolled("kiosk", "kiosk-2") as other, \
            pytest.raises(CentreRefused, match="another terminal"):
        other.post("/api/tickets", body)


def test_the_kiosks_time_counts_only_when_recent(centre: RunningCentre,
                                                 kiosk: CentreClient) -> None:
    now = centre.ctx.config.now()
    asked = now - timedelta(minutes=2)
    assert issue(kiosk, issued_at=asked.isoformat())["issued_at"] == asked.isoformat()
    future = issue(kiosk, issued_at=(now + timedelta(hours=1)).isoformat())["issued_at"]
    assert now.isoformat() <= future < (now + timedelta(minutes=5)).isoformat()


def test_the_issuing_kiosk_reports_the_printing_once(centre: RunningCentre,
                                                     kiosk: CentreClient) -> None:
    printed, jammed = issue(kiosk), issue(kiosk)
    report = {"request_id": new_request_id(), "printed": True}
    first = kiosk.post(f"/api/tickets/{printed['id']}/outcome", report)
    again = kiosk.post(f"/api/tickets/{printed['id']}/outcome", report)
    assert (first["status"], first["replayed"], again["replayed"]) == ("printed", False, True)
    failed = kiosk.post(f"/api/tickets/{jammed['id']}/outcome", {
        "request_id": new_request_id(), "printed": False, "problem": "paper out"})
    assert failed["status"] == "shown_not_printed"
    assert centre.ctx.store.get(jammed["id"]).print_error == "paper out"  # type: ignore[union-attr]
    kinds = [e.kind for e in centre.ctx.store.events_after(0, 100)]
    assert kinds.count("printed") == 1 and kinds.count("not_printed") == 1
    with centre.enrolled("kiosk", "kiosk-2") as other, \
            pytest.raises(CentreRefused, match="was issued for this kiosk"):
        other.post(f"/api/tickets/{printed['id']}/outcome", report)
    with pytest.raises(CentreRefused, match="printed: expected true or false"):
        kiosk.post(f"/api/tickets/{printed['id']}/outcome", {**report, "printed": "yes"})


@pytest.mark.parametrize(("body", "expected"), [
    ({"service": "Z", "lang": "vi"}, "not a service of this centre"),
    ({"service": "A", "lang": "fr"}, "not offered"),
    ({"service": "A", "lang": "vi", "request_id": "short"}, "request_id: expected"),
    ({"service": "A", "lang": "vi", "issued_at": "yesterday"}, "ISO 8601"),
    ({"service": "A", "lang": "vi", "issued_at": "2026-11-30T08:00:00"}, "UTC offset"),
    ({"service": ["A"], "lang": "vi"}, "service: expected"),
])
def test_a_bad_issue_request_is_refused_with_the_field_named(
        kiosk: CentreClient, body: dict[str, Any], expected: str) -> None:
    with pytest.raises(CentreRefused, match=expected) as refused:
        kiosk.post("/api/tickets", {"request_id": new_request_id(), **body})
    assert refused.value.status == 400


def test_counters_call_serve_and_the_display_follows(
        centre: RunningCentre, kiosk: CentreClient, desk: CentreClient) -> None:
    a1, a2, b1 = issue(kiosk, "A"), issue(kiosk, "A"), issue(kiosk, "B")
    called = act(desk, 1, "call")
    assert (called["number"], called["counter"], called["replayed"]) == ("A001", 1, False)
    assert kiosk.get(f"/api/tickets/{a1['id']}")["queue_state"] == "called"
    assert kiosk.get(f"/api/tickets/{a2['id']}")["people_ahead"] == 0
    assert act(desk, 1, "recall")["calls"] == 2
    assert act(desk, 1, "start")["queue_state"] == "serving"
    assert act(desk, 1, "served")["queue_state"] == "served"
    assert act(desk, 3, "call")["number"] == "B001"  # counter 3 serves B only
    with centre.enrolled("display", "tv-1") as tv:
        state = tv.get("/api/display/state")
    assert (state["now"]["number"], state["now"]["counter"]) == ("B001", 3)
    assert [r["number"] for r in state["recent"]] == ["A001"]
    assert state["waiting"] == {"A": 1, "B": 0, "C": 0, "D": 0, "E": 0}
    assert kiosk.get(f"/api/tickets/{b1['id']}")["counter"] == 3


def test_counter_refusals_are_sentences(kiosk: CentreClient, desk: CentreClient) -> None:
    with pytest.raises(CentreRefused, match="no one waiting") as refused:
        act(desk, 1, "call")
    assert refused.value.status == 409
    with pytest.raises(CentreRefused, match="counter 99 is not one of") as refused:
        act(desk, 99, "call")
    assert refused.value.status == 404
    with pytest.raises(CentreRefused, match="unknown counter action") as refused:
        act(desk, 1, "dance")
    assert refused.value.status == 404
    issue(kiosk, "A")
    with pytest.raises(CentreRefused, match="after a call"):
        act(desk, 1, "no-show")
    act(desk, 1, "call")
    with pytest.raises(CentreRefused, match="still has A001"):
        act(desk, 1, "call")
    with pytest.raises(CentreRefused, match="to_service: 'Q' is not a service") as refused:
        act(desk, 1, "transfer", to_service="Q")
    assert refused.value.status == 400
    moved = act(desk, 1, "transfer", to_service="B")
    assert (moved["number"], moved["service"], moved["queue_state"]) == ("A001", "B", "waiting")
    act(desk, 3, "pause")
    with pytest.raises(CentreRefused, match="paused"):
        act(desk, 3, "call")
    act(desk, 3, "resume")
    assert act(desk, 3, "call")["number"] == "A001"  # it kept its place, in B's queue


def test_a_retried_counter_click_is_applied_once(kiosk: CentreClient,
                                                 desk: CentreClient) -> None:
    issue(kiosk), issue(kiosk)
    click = {"request_id": "counter-1-click-0001"}
    first = desk.post("/api/counters/1/call", click)
    again = desk.post("/api/counters/1/call", click)
    assert (first["number"], first["replayed"]) == ("A001", False)
    assert (again["number"], again["replayed"]) == ("A001", True)
    served = {"request_id": "counter-1-click-0002"}
    desk.post("/api/counters/1/served", served)
    assert desk.post("/api/counters/1/served", served)["replayed"]
    assert act(desk, 1, "call")["number"] == "A002"


def test_wait_estimates_need_enough_served_tickets_today() -> None:
    assert wait_minutes([4.0] * 4, ahead=3, counters=1) is None
    assert wait_minutes([4.0, 6.0, 5.0, 5.0, 100.0], ahead=3, counters=2) == 8  # median 5
    assert wait_minutes([5.0] * 5, ahead=3, counters=0) is None


# --- fuzzing the request bodies ------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12)
fields = st.sampled_from(["request_id", "service", "lang", "issued_at", "code", "kind",
                          "name", "to_service", "day", "size", "tickets", "printed",
                          "problem"])
bodies = st.dictionaries(fields, json_values, max_size=6) | json_values


@pytest.fixture
def in_process(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The same app without sockets (speed for hypothesis), with a token of each kind."""
    with running_centre(centre_config(tmp_path)) as centre:
        tokens = {}
        for kind in ("kiosk", "counter", "display"):
            code, _ = centre.terminals.new_code(kind, f"{kind}-fuzz")
            tokens[kind] = centre.terminals.enrol(code, kind).token
        with TestClient(make_app(centre.ctx), raise_server_exceptions=False) as client:
            yield client, tokens


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/api/enrol", "/api/tickets", "/api/counters/1/call",
                             "/api/counters/3/transfer", "/api/counters/2/no-show",
                             "/api/leases", "/api/tickets/import",
                             "/api/tickets/0123456789abcdef/outcome"]),
       body=bodies, raw=st.none() | st.binary(max_size=200))
def test_any_request_body_gets_an_answer_or_a_one_sentence_refusal(
        in_process: tuple[TestClient, dict[str, str]], path: str, body: object,
        raw: bytes | None) -> None:
    client, tokens = in_process
    kind = "counter" if path.startswith("/api/counters/") else "kiosk"
    content = raw if raw is not None else json.dumps(body).encode()
    reply = client.post(path, content=content, headers={
        "content-type": "application/json", "authorization": f"Bearer {tokens[kind]}"})
    assert reply.status_code in (200, 400, 403, 404, 409), (reply.status_code, reply.text)
    answer = reply.json()
    if reply.status_code != 200:
        assert isinstance(answer["error"], str) and answer["error"].isprintable()


def test_a_counter_click_during_a_database_restart_completes_once(
        tmp_path: Path, db_url: str, pg_cluster) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL goes down mid-day: the click is answered 503 (retry), not applied; sent
    again with its request id once the database is back, it calls one ticket, once."""
    if not pg_cluster.restartable:
        pytest.skip("KIOSK_TEST_PG_URL names a server the tests cannot stop")
    with running_centre(centre_config(tmp_path, db_url=db_url)) as centre, \
            centre.enrolled("kiosk", "kiosk-1") as kiosk, \
            centre.enrolled("counter", "counter-pc-1") as desk:
        issue(kiosk), issue(kiosk)
        click = {"request_id": "click-during-restart-1"}
        pg_cluster.stop_server()
        try:
            reply = desk._client().post("/api/counters/1/call", json=click, headers={
                "authorization": f"Bearer {desk.token}"})
        finally:
            pg_cluster.start_server()
        assert reply.status_code == 503 and reply.headers["retry-after"] == "1"
        assert "try again" in reply.json()["error"]
        first = desk.post("/api/counters/1/call", click)
        assert (first["number"], first["replayed"]) == ("A001", False)
        assert desk.post("/api/counters/1/call", click)["replayed"]
        day = centre.ctx.config.now().date()
        assert [(t.number, t.queue_state) for t in centre.ctx.store.tickets_of_day(day)] == [
            ("A001", "called"), ("A002", "waiting")]


# --- leases and imports: a kiosk issuing while the centre is unreachable -----------------

def lease(kiosk: CentreClient, centre: RunningCentre, service: str = "A", size: int = 10,
          **extra: Any) -> dict[str, Any]:
    day = centre.ctx.config.now().date().isoformat()
    return kiosk.post("/api/leases", {"request_id": new_request_id(), "service": service,
                                      "day": day, "size": size, **extra})


def offline_ticket(centre: RunningCentre, seq: int, minutes_ago: float,
                   service: str = "A") -> dict[str, Any]:
    import secrets

    at = centre.ctx.config.now() - timedelta(minutes=minutes_ago)
    return {"id": secrets.token_hex(8), "service": service, "seq": seq, "lang": "vi",
            "issued_at": at.isoformat(), "status": "printed"}


def test_a_lease_is_a_block_apart_from_live_numbers_and_a_retry_gets_the_same(
        centre: RunningCentre, kiosk: CentreClient) -> None:
    issue(kiosk)
    body = {"request_id": "lease-A-000001", "service": "A", "size": 50,
            "day": centre.ctx.config.now().date().isoformat()}
    block = kiosk.post("/api/leases", body)
    assert (block["first"], block["last"]) == (500, 549)
    assert kiosk.post("/api/leases", body) == block  # the answer was lost: the same block
    assert (lease(kiosk, centre)["first"], issue(kiosk)["number"]) == (550, "A002")
    with centre.enrolled("kiosk", "kiosk-2") as other:
        assert lease(other, centre)["first"] == 560


@pytest.mark.parametrize(("body", "expected"), [
    ({"size": 0}, "size: expected a whole number from 1 to 1000"),
    ({"size": "10"}, "size: expected"),
    ({"service": "Q"}, "not a service of this centre"),
    ({"day": "2020-01-01"}, "today"),
    ({"day": "soon"}, "day: expected a day"),
])
def test_a_bad_lease_request_is_refused(centre: RunningCentre, kiosk: CentreClient,
                                        body: dict[str, Any], expected: str) -> None:
    with pytest.raises(CentreRefused, match=expected) as refused:
        lease(kiosk, centre, **body)
    assert refused.value.status == 400


def test_offline_tickets_join_the_queue_by_issue_time_once(
        centre: RunningCentre, kiosk: CentreClient, desk: CentreClient) -> None:
    block = lease(kiosk, centre)
    early = offline_ticket(centre, block["first"], minutes_ago=8)
    later = offline_ticket(centre, block["first"] + 1, minutes_ago=1)
    live = issue(kiosk, issued_at=(centre.ctx.config.now()
                                   - timedelta(minutes=4)).isoformat())
    answer = kiosk.post("/api/tickets/import", {"tickets": [early, later]})
    assert answer == {"imported": [early["id"], later["id"]], "replayed": [], "refused": []}
    again = kiosk.post("/api/tickets/import", {"tickets": [early, later]})
    assert again["replayed"] == [early["id"], later["id"]] and not again["imported"]
    # The counter calls them in the order the citizens came, whichever way they got in.
    assert act(desk, 1, "call")["number"] == "A500"
    act(desk, 1, "served")
    assert act(desk, 1, "call")["number"] == live["number"]
    act(desk, 1, "served")
    assert act(desk, 1, "call")["number"] == "A501"


def test_an_import_outside_the_kiosks_own_blocks_is_refused_alone(
        centre: RunningCentre, kiosk: CentreClient) -> None:
    mine = lease(kiosk, centre)
    with centre.enrolled("kiosk", "kiosk-2") as other:
        theirs = lease(other, centre)
    good = offline_ticket(centre, mine["first"], 2)
    stolen = offline_ticket(centre, theirs["first"], 2)
    answer = kiosk.post("/api/tickets/import", {"tickets": [
        good, stolen, {"id": "nope"}, "not a ticket",
        {**offline_ticket(centre, mine["first"] + 1, 2), "issued_at": "noon"}]})
    assert answer["imported"] == [good["id"]]
    errors = [r["error"] for r in answer["refused"]]
    assert len(errors) == 4 and "not in a block leased to kiosk-1" in errors[0]
    assert all(isinstance(e, str) and "\n" not in e for e in errors)
    with pytest.raises(CentreRefused, match="1 to 500 tickets"):
        kiosk.post("/api/tickets/import", {"tickets": []})


ticket_fields = st.sampled_from(["id", "service", "seq", "lang", "issued_at", "status",
                                 "print_error"])


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(st.dictionaries(ticket_fields, json_values | st.sampled_from(
    ["A", "vi", "printed", "2026-11-30T08:00:00+07:00", "0123456789abcdef", 500])),
    min_size=1, max_size=5))
def test_any_import_batch_is_answered_ticket_by_ticket(
        in_process: tuple[TestClient, dict[str, str]], items: list[dict[str, Any]]) -> None:
    client, tokens = in_process
    reply = client.post("/api/tickets/import", json={"tickets": items},
                        headers={"authorization": f"Bearer {tokens['kiosk']}"})
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert len(answer["imported"]) + len(answer["replayed"]) + len(answer["refused"]) \
        == len(items)


def test_two_centre_processes_answering_one_request_issue_one_number(
        any_engine, together) -> None:  # type: ignore[no-untyped-def]
    """Two issuers on one database (two service processes) get the same request id at
    once: one number is committed with the request, the other attempt's number is rolled
    back with its refused request id, and both answer with the one ticket."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from kiosk.centre.issuing import TicketIssuer
    from kiosk.store import TicketStore

    store = TicketStore(any_engine)
    issuers = [TicketIssuer(any_engine, store) for _ in range(2)]
    at = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    answers = together(2, lambda i: issuers[i].issue("kiosk-1", "request-0001", "A", "vi",
                                                     at))
    assert {ticket.number for ticket, _ in answers} == {"A001"}
    assert sorted(replayed for _, replayed in answers) == [False, True]
    assert [t.number for t in store.tickets_of_day(at.date())] == ["A001"]
    # The next request gets the next number: nothing was left behind by the loser.
    assert issuers[0].issue("kiosk-1", "request-0002", "A", "vi", at)[0].number == "A002"


def test_a_change_made_through_the_centre_wakes_the_display_at_once(
        centre: RunningCentre, kiosk: CentreClient, desk: CentreClient) -> None:
    """The display's streams are woken by the request that changed the queue, not by the
    next poll of the database (SQLite polls every half second); a replay wakes nothing."""
    from kiosk.centre.live import Notifier

    watching = Notifier(centre.ctx.engine)  # never started: only the centre's own bumps
    centre.ctx.notifier = watching
    issue(kiosk)
    assert watching.version == 1
    call = {"request_id": new_request_id()}
    desk.post("/api/counters/1/call", call)
    assert watching.version == 2
    assert desk.post("/api/counters/1/call", call)["replayed"] is True
    assert watching.version == 2


def test_a_past_days_unused_leased_numbers_are_void_once_the_centre_starts(
        tmp_path: Path, any_db_url: str) -> None:
    """A kiosk leased A500-A504 yesterday and used A500 only: when the centre starts (or
    its date changes) the four others become void tickets, for the statistics; a second
    pass finds nothing more to do."""
    from datetime import datetime

    from kiosk.centre.day_end import DayCloser
    from kiosk.store import VOID, TicketStore, open_database
    from kiosk.store.leases import ImportedTicket, LeaseStore

    config = centre_config(tmp_path, db_url=any_db_url)
    now = config.now()
    yesterday = now.date() - timedelta(days=1)
    engine = open_database(any_db_url)
    leases = LeaseStore(engine)
    lease = leases.lease_block(yesterday, "A", "kiosk-1", 5, now)
    used = datetime.combine(yesterday, now.timetz()).replace(hour=9, minute=0)
    leases.import_ticket(ImportedTicket("a" * 16, "A", lease.first, "vi", used), "kiosk-1",
                         now)
    engine.dispose()
    with running_centre(config) as centre:
        states = {t.number: t.queue_state for t in centre.ctx.store.tickets_of_day(yesterday)}
        assert states == {"A500": "waiting", "A501": VOID, "A502": VOID, "A503": VOID,
                          "A504": VOID}
        assert DayCloser(centre.ctx).close_past_days() == 0  # done already: nothing twice
        assert len(TicketStore(centre.ctx.engine).tickets_of_day(yesterday)) == 5
