"""The kiosk against a real centre (CORE's app under uvicorn over TLS, on SQLite and on
PostgreSQL): numbers through the centre, from the lease while it is down, the outbox
delivered once it is back, each ticket exactly once, in issue-time order at the counters,
and nothing lost or doubled when a kiosk is killed or two issue at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.centre_link import OFFLINE, ONLINE, CentreLink
from kiosk.paths import ROOT
from kiosk.store import TicketStore, open_database, sqlite_url
from kiosk.store.db import tickets
from kiosk.store.link import LinkStore
from kiosk.tickets import TicketService
from tests.centre_server import SERVICES, TZ, Centre, make_centre

SYNC_BOUND = 60.0  # seconds an outbox may take to reach a centre that is back


@pytest.fixture
def centre(tmp_path: Path, any_db_url: str) -> Iterator[Centre]:
    running = make_centre(tmp_path / "centre", any_db_url)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        running.engine.dispose()


def kiosk_engine(folder: Path):  # type: ignore[no-untyped-def]
    folder.mkdir(parents=True, exist_ok=True)
    return open_database(sqlite_url(folder / "kiosk.sqlite3"))


def centre_tickets(centre: Centre) -> list:
    """Every ticket the centre holds, as (id, day, service, seq, issued_at)."""
    with centre.engine.connect() as conn:
        return conn.execute(select(tickets.c.id, tickets.c.day, tickets.c.service,
                                   tickets.c.seq, tickets.c.issued_at)).all()


def no_number_twice(rows: list) -> None:
    numbers = Counter((r.day, r.service, r.seq) for r in rows)
    assert [n for n, times in numbers.items() if times > 1] == []
    assert len({r.id for r in rows}) == len(rows)


def drained(link: CentreLink) -> bool:
    return link.links.outbox_size() == 0 and link.state.kind == ONLINE


def test_online_a_number_comes_from_the_centre_and_prints_here(centre: Centre, config,
                                                               sim_printer) -> None:
    engine = kiosk_engine(config.data_dir)
    link = centre.kiosk_link(engine, "kiosk-1")
    service = TicketService(config, TicketStore(engine), link=link)
    first = service.issue_ticket("A", "vi")
    second = service.issue_ticket("A", "en")
    assert (first.number, second.number) == ("A001", "A002")
    assert (first.people_ahead, second.people_ahead) == (0, 1)
    assert first.printed and not first.from_lease and first.wait_minutes is None
    assert sim_printer.wait_for_jobs(2, timeout=10)
    held = {r.id: r for r in centre_tickets(centre)}
    assert set(held) == {first.id, second.id}  # the centre holds them, under their ids
    assert TicketStore(engine).get(first.id).status == "printed"  # printing recorded here
    for thread in threading.enumerate():  # ... and reported to the centre, off the way
        if thread.name == "centre-outcome":
            thread.join(30)
    assert TicketStore(centre.engine).get(first.id).status == "printed"
    assert link.state.kind == ONLINE
    state = service.ticket_state(second.id)
    assert state.live and (state.number, state.people_ahead) == ("A002", 1)


def test_centre_down_the_kiosk_issues_from_its_lease_then_delivers_once(
        centre: Centre, config, sim_printer) -> None:
    engine = kiosk_engine(config.data_dir)
    link = centre.kiosk_link(engine, "kiosk-1")
    assert link.sync_once()  # leases taken ahead of need, for every service
    day = link._now().date().isoformat()
    assert all(link.links.remaining(day, s) == 20 for s in SERVICES)
    service = TicketService(config, TicketStore(engine), link=link)
    live = service.issue_ticket("B", "vi")
    centre.stop()
    offline = [service.issue_ticket("B", "vi") for _ in range(3)]
    assert [t.number for t in offline] == ["B500", "B501", "B502"]
    assert all(t.from_lease and t.printed for t in offline)
    assert sim_printer.wait_for_jobs(4, timeout=10)  # printed all the same
    assert link.state.kind == OFFLINE and link.links.outbox_size() == 3
    assert [r.id for r in centre_tickets(centre)] == [live.id]
    centre.start()
    link.start()
    try:
        assert link.wait_synced(lambda: drained(link), SYNC_BOUND)
        # A replay of the same outbox (a lost 2xx) changes nothing at the centre.
        link.api.import_tickets([{"id": t.id, "day": day, "service": "B", "seq": 500 + i,
                                  "number": t.number, "lang": "vi",
                                  "issued_at": t.issued_at.isoformat()}
                                 for i, t in enumerate(offline)])
    finally:
        link.stop()
    rows = centre_tickets(centre)
    no_number_twice(rows)
    assert sorted(r.id for r in rows) == sorted([live.id] + [t.id for t in offline])
    # The counter calls them by issue time: the live one first, then the lease's in order.
    from kiosk.store.calls import CounterDesk

    desk = CounterDesk(centre.engine)
    called = []
    for i in range(4):
        result = desk.call_next(3, ["B"], datetime.now(TZ), f"call-lease-{i}")
        called.append(result.ticket.number)
        desk.served(3, datetime.now(TZ), f"served-lease-{i}")
    assert called == [live.number] + [t.number for t in offline]


def test_leases_are_topped_up_before_they_run_out(centre: Centre, tmp_path: Path) -> None:
    engine = kiosk_engine(tmp_path / "kiosk")
    link = centre.kiosk_link(engine, "kiosk-1", lease_size=6, low_water=3)
    assert link.sync_once()
    day = link._now().date().isoformat()
    centre.stop()
    now = datetime.now(TZ)
    for _ in range(4):
        assert link.issue("C", "vi", now).from_lease
    assert link.links.remaining(day, "C") == 2  # below low water
    centre.start()
    assert link.sync_once()
    assert link.links.remaining(day, "C") == 8  # a new block of 6 before the first ran out
    assert link.links.outbox_size() == 0


def test_two_kiosks_at_once_never_issue_one_number_twice(centre: Centre,
                                                         tmp_path: Path) -> None:
    links = [centre.kiosk_link(kiosk_engine(tmp_path / f"k{i}"), f"kiosk-{i}")
             for i in range(2)]
    for link in links:
        assert link.sync_once()
    issued: list[list[str]] = [[], []]
    down = threading.Event()
    # Both stop asking before the centre stops: a request it was still answering while it
    # stopped would be a number issued there that the kiosk, timed out, never held (left
    # for later; see issue 13's closing note).
    both_at_ten = threading.Barrier(2, timeout=60)

    def issue(i: int) -> None:
        for n in range(30):
            if n == 10:
                both_at_ten.wait()
                if i == 0:
                    centre.stop()
                    down.set()
                down.wait(30)
            issued[i].append(links[i].issue(SERVICES[n % 2], "vi", datetime.now(TZ)).record.id)

    threads = [threading.Thread(target=issue, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    centre.start()
    for link in links:
        link.start()
    try:
        for link in links:
            assert link.wait_synced(lambda link=link: drained(link), SYNC_BOUND)
    finally:
        for link in links:
            link.stop()
    rows = centre_tickets(centre)
    no_number_twice(rows)
    assert sorted(r.id for r in rows) == sorted(issued[0] + issued[1])


KIOSK_PROCESS = textwrap.dedent("""
    import sys
    from datetime import datetime
    from kiosk.store import open_database, sqlite_url
    from kiosk.link_http import ClientCentreApi
    from kiosk.centre_link import CentreLink
    from tests.centre_server import SERVICES, TZ, fast_settings

    url, token, ca, db = sys.argv[1:5]
    api = ClientCentreApi(url, token, ca_pem=open(ca).read(), timeout=0.5)
    link = CentreLink(open_database(sqlite_url(db)), api, SERVICES,
                      lambda: datetime.now(TZ), fast_settings(timeout=0.5))
    link.sync_once()
    print("leased", flush=True)
    sys.stdin.readline()  # the centre is down now: every number comes from the lease
    n = 0
    while True:
        link.issue("D", "vi", datetime.now(TZ))
        n += 1
        if n == 5:
            print("issuing", flush=True)
""")


def test_a_kiosk_killed_mid_way_loses_and_doubles_nothing(centre: Centre,
                                                          tmp_path: Path) -> None:
    db = tmp_path / "kiosk" / "kiosk.sqlite3"
    kiosk_engine(db.parent)
    ca = tmp_path / "ca.pem"
    ca.write_text(centre.ca_pem)
    token = centre.token("kiosk-9")
    proc = subprocess.Popen([sys.executable, "-c", KIOSK_PROCESS, centre.url, token,
                             str(ca), str(db)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "leased"
        # Stopped before the kiosk asks again: a request the centre was still answering
        # while it stopped would be a number issued there that the kiosk, timed out,
        # never held (left for later; see issue 13's closing note).
        centre.stop()
        assert proc.stdin is not None
        proc.stdin.write("go\n")  # it goes on from its lease ...
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "issuing"
        os.kill(proc.pid, signal.SIGKILL)  # ... and is killed in the middle of it
    finally:
        proc.kill()
        proc.wait(30)
    centre.start()
    engine = open_database(sqlite_url(db))
    link = centre.kiosk_link(engine, "kiosk-9", token)  # the same kiosk, started again
    assert link.sync_once() and link.links.outbox_size() == 0
    with engine.connect() as conn:
        local = conn.execute(select(tickets.c.id, tickets.c.seq)
                             .where(tickets.c.service == "D")).all()
    rows = [r for r in centre_tickets(centre) if r.service == "D"]
    no_number_twice(rows)
    assert sorted(r.id for r in rows) == sorted(r.id for r in local)  # none lost, none twice
    assert len(local) >= 5


def test_what_a_lease_leaves_unused_is_void_at_day_end(centre: Centre, tmp_path: Path) -> None:
    from kiosk.store.leases import LeaseStore

    engine = kiosk_engine(tmp_path / "kiosk")
    link = centre.kiosk_link(engine, "kiosk-1", lease_size=5, low_water=1)
    assert link.sync_once()
    day = link._now().date()
    centre.stop()
    used = [link.issue("E", "vi", datetime.now(TZ)).record for _ in range(2)]
    centre.start()
    assert link.sync_once()
    end_of_day = datetime.now(TZ)
    voided = LeaseStore(centre.engine).void_unused(day, end_of_day)
    assert voided == 5 * len(SERVICES) - 2  # every leased number no ticket holds
    assert LeaseStore(centre.engine).void_unused(day, end_of_day) == 0  # once only
    rows = [r for r in centre_tickets(centre) if r.service == "E"]
    assert sorted(r.seq for r in rows) == list(range(500, 505))
    assert {u.id for u in used} <= {r.id for r in rows}
    assert LinkStore(engine).outbox_size() == 0


@pytest.fixture
def sqlite_centre(tmp_path: Path) -> Iterator[Centre]:
    running = make_centre(tmp_path / "centre")
    running.start()
    try:
        yield running
    finally:
        running.stop()
        running.engine.dispose()


def test_kiosk_enrol_keeps_its_token_private_and_the_link_uses_it(
        sqlite_centre: Centre, tmp_path: Path, capsys, sim_printer) -> None:
    from kiosk.centre.terminals import Terminals
    from kiosk.cli import main

    data = tmp_path / "kiosk-data"
    code, _ = Terminals(sqlite_centre.engine).new_code("kiosk", "lobby-2")
    assert main(["enrol", "--data-dir", str(data), "--centre", sqlite_centre.url,
                 "--fingerprint", sqlite_centre.fingerprint.upper(), "--code", code]) == 0
    out = capsys.readouterr().out
    assert "enrolled as kiosk 'lobby-2'" in out and sqlite_centre.fingerprint in out
    for name in ("centre_token", "centre_ca.pem"):
        assert (data / name).stat().st_mode & 0o777 == 0o600
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[kiosk]\ndata_dir = "{data}"\n[devices]\nprinter = "{sim_printer.url}"\n'
                      f'[centre_link]\nurl = "{sqlite_centre.url}"\n'
                      f'ca_fingerprint = "{sqlite_centre.fingerprint}"\n', encoding="utf-8")
    assert main(["ticket", "--config", str(config), "--service", "A", "--json"]) == 0
    assert '"number": "A001"' in capsys.readouterr().out  # through the centre
    assert [r.service for r in centre_tickets(sqlite_centre)] == ["A"]


@pytest.mark.parametrize(("change", "expected"), [
    ({"--fingerprint": "ab" * 32}, "--fingerprint: "),
    ({"--fingerprint": "not-hex"}, "--fingerprint 'not-hex': expected the 64 hex digits"),
    ({"--code": "WRONG-CODE-0000"}, "--code: "),
    ({"--centre": "http://127.0.0.1:1"}, "(the link is always encrypted)"),
])
def test_kiosk_enrol_refuses_bad_input_in_one_line(sqlite_centre: Centre, tmp_path: Path,
                                                   capsys, change: dict,
                                                   expected: str) -> None:
    from kiosk.cli import main

    args = {"--centre": sqlite_centre.url, "--fingerprint": sqlite_centre.fingerprint,
            "--code": "ABCD-EFGH-JKMN-PQRS", **change}
    assert main(["enrol", "--data-dir", str(tmp_path / "d"),
                 *[x for pair in args.items() for x in pair]]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "d" / "centre_token").exists()


def test_kiosk_enrol_with_the_centre_down_changes_nothing(tmp_path: Path, capsys) -> None:
    from kiosk.cli import main
    from tests.centre_server import free_port

    assert main(["enrol", "--data-dir", str(tmp_path / "d"), "--centre",
                 f"https://127.0.0.1:{free_port()}", "--fingerprint", "ab" * 32,
                 "--code", "ABCD-EFGH-JKMN-PQRS"]) == 1
    err = capsys.readouterr().err
    assert "cannot be reached" in err and "nothing was changed" in err
    assert not (tmp_path / "d").exists()
