"""The kiosk's side of the centre link that needs no centre: its config block, the lease
and outbox in its own SQLite (one transaction each, even under SIGKILL), and issuing when
the centre's port answers nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kiosk.centre_link import (
    OFFLINE,
    CentreLink,
    LinkNotEnrolled,
    LinkSettings,
    NoNumberLeft,
    link_from_config,
)
from kiosk.cli import main
from kiosk.config import ConfigError, load_config
from kiosk.link_http import ClientCentreApi
from kiosk.paths import ROOT
from kiosk.store import TicketStore, open_database, sqlite_url
from kiosk.store.db import tickets
from kiosk.store.link import LinkStore, link_outbox

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FP = "ab" * 32


def at(hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, 11, 30, hour, minute, tzinfo=TZ)


def closed_port() -> int:
    """A port nothing listens on: connections are refused at once (a centre that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- config ---------------------------------------------------------------------------
def test_without_a_centre_the_kiosk_stands_alone() -> None:
    link = load_config().centre_link
    assert not link.enabled and (link.lease_size, link.low_water) == (20, 5)


def test_a_centre_block_is_read_whole(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, f"[centre_link]\nurl = 'https://centre.lan:8443/'\n"
                                      f"ca_fingerprint = '{FP.upper()}'\nlease_size = 50\n"
                                      f"low_water = 10\ntimeout = 1.5\n"))
    link = cfg.centre_link
    assert link.enabled and link.url == "https://centre.lan:8443"
    assert link.ca_fingerprint == FP and (link.lease_size, link.low_water) == (50, 10)
    assert link.timeout == 1.5


@pytest.mark.parametrize(("text", "key", "expected"), [
    ("url = 'http://centre.lan'\nca_fingerprint = '" + FP + "'", "centre_link.url",
     "always encrypted"),
    ("url = 'https://centre.lan'", "centre_link.ca_fingerprint", "64 hex digits"),
    ("url = 'https://centre.lan:port'\nca_fingerprint = '" + FP + "'", "centre_link.url",
     "https://centre.local:8443"),
    ("lease_size = 0", "centre_link.lease_size", "from 1 to 500"),
    ("lease_size = 10\nlow_water = 10", "centre_link.low_water", "fewer than lease_size"),
    ("timeout = 'soon'", "centre_link.timeout", "number of seconds"),
    ("retry_min = 10\nretry_max = 5", "centre_link.retry_max", "from 10 to 3600"),
    ("urll = 'x'", "centre_link.urll", "unknown key"),
])
def test_a_bad_centre_block_is_one_line_naming_the_key(tmp_path: Path, text: str, key: str,
                                                       expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, "[centre_link]\n" + text + "\n"))
    message = str(err.value)
    assert f": {key}: " in message and expected in message and "\n" not in message


values = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                   st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=80))
keys = st.sampled_from(["url", "ca_fingerprint", "lease_size", "low_water", "timeout",
                        "retry_min", "retry_max", "other"])


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, values, max_size=5))
def test_any_centre_block_loads_or_is_refused_in_one_line(block: dict) -> None:
    from kiosk.config_checks import Checker
    from kiosk.config_links import centre_link_settings

    try:
        link = centre_link_settings(Checker(Path("kiosk.toml")),
                            {"centre_link": {k: v for k, v in block.items() if v is not None}})
    except ConfigError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("kiosk.toml: ")
    else:
        assert link.low_water < link.lease_size


def test_a_centre_kiosk_not_enrolled_refuses_to_issue_alone(tmp_path: Path, capsys) -> None:
    """Issuing locally instead would repeat the centre's numbers: refused, one line."""
    path = write(tmp_path, f"[centre_link]\nurl = 'https://centre.lan'\n"
                           f"ca_fingerprint = '{FP}'\n[kiosk]\ndata_dir = '{tmp_path / 'd'}'\n")
    cfg = load_config(path)
    with pytest.raises(LinkNotEnrolled):
        link_from_config(cfg, open_database(sqlite_url(tmp_path / "x.sqlite3")))
    assert main(["ticket", "--config", str(path), "--service", "A"]) == 2
    err = capsys.readouterr().err
    assert "not enrolled with https://centre.lan" in err and err.count("\n") == 1


# -- the kiosk's own lease and outbox ---------------------------------------------------------
@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    return open_database(sqlite_url(tmp_path / "kiosk.sqlite3"))


def test_a_lease_hands_out_its_numbers_once_each_with_an_outbox_row(engine) -> None:
    links = LinkStore(engine)
    request = links.next_lease_request("2026-11-30", "A")
    assert links.add_lease("2026-11-30", "A", 500, 502, request)
    assert not links.add_lease("2026-11-30", "A", 500, 502, request)  # a replay stores nothing
    assert links.next_lease_request("2026-11-30", "A") != request
    issued = [links.issue_from_lease("A", "vi", at(9, i)) for i in range(4)]
    assert [r.number for r in issued[:3]] == ["A500", "A501", "A502"]
    assert issued[3] is None  # used up: never a number outside the lease
    assert links.remaining("2026-11-30", "A") == 0
    out = links.outbox()
    assert [item.ticket["number"] for item in out] == ["A500", "A501", "A502"]
    assert "person_hash" not in out[0].ticket
    TicketStore(engine).mark_printed(issued[0].id)  # the outcome known since goes too
    assert [item.ticket["status"] for item in links.outbox()] == ["printed", "allocated",
                                                                   "allocated"]
    out = links.outbox()
    links.acknowledged(out[:2], {out[1].ticket_id: "A501 is another ticket"}, at(10))
    assert [item.ticket["number"] for item in links.outbox()] == ["A502"]
    assert links.refused() == [(out[1].ticket_id, "A501 is another ticket")]  # for staff


def test_a_new_database_never_asks_for_an_old_ones_lease(tmp_path: Path) -> None:
    first = LinkStore(open_database(sqlite_url(tmp_path / "one.sqlite3")))
    second = LinkStore(open_database(sqlite_url(tmp_path / "two.sqlite3")))
    assert (first.next_lease_request("2026-11-30", "A")
            != second.next_lease_request("2026-11-30", "A"))


def offline_link(engine, **kwargs) -> CentreLink:  # type: ignore[no-untyped-def]
    api = ClientCentreApi(f"https://127.0.0.1:{closed_port()}", "token",
                          ca_fingerprint="ab" * 32, timeout=0.5)
    return CentreLink(engine, api, ["A", "B"], lambda: at(),
                      LinkSettings(timeout=0.5, **kwargs))


def test_with_the_centre_down_the_kiosk_issues_from_its_lease(engine) -> None:
    LinkStore(engine).add_lease("2026-11-30", "A", 520, 539, "r1")
    link = offline_link(engine)
    seen = []
    link.subscribe(seen.append)
    first = link.issue("A", "vi", at(9, 1))
    second = link.issue("A", "en", at(9, 2))
    assert (first.from_lease, first.record.number, second.record.number) == (True, "A520", "A521")
    assert first.wait_minutes is None  # no estimate offline
    assert second.people_ahead == 1  # what this kiosk knows: its own earlier ticket
    assert link.state.kind == OFFLINE and link.state.pending == 2
    assert seen and seen[-1].kind == OFFLINE
    with pytest.raises(NoNumberLeft):
        link.issue("B", "vi", at(9, 3))  # no lease for B: nothing to issue, nothing doubled
    assert not link.sync_once()  # the centre is still down: the outbox stays
    assert LinkStore(engine).outbox_size() == 2


def test_a_scanned_ticket_offline_shows_what_the_kiosk_knows(engine) -> None:
    LinkStore(engine).add_lease("2026-11-30", "A", 500, 519, "r1")
    link = offline_link(engine)
    record = link.issue("A", "vi", at(9, 1)).record
    state = link.ticket_state(record.id)
    assert state is not None and not state.live
    assert (state.number, state.queue_state, state.people_ahead) == ("A500", "waiting", 0)
    assert link.ticket_state("f" * 16) is None


KILLED_ISSUER = textwrap.dedent("""
    import sys
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo
    from kiosk.store import TicketStore, open_database, sqlite_url
    from kiosk.store.link import LinkStore

    links = LinkStore(open_database(sqlite_url(sys.argv[1])))
    start = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    i = 0
    while links.issue_from_lease("A", "vi", start + timedelta(seconds=i)) is not None:
        i += 1
        if i == 5:
            print("issuing", flush=True)
""")


def test_a_kiosk_killed_while_issuing_loses_and_doubles_nothing(tmp_path: Path) -> None:
    """SIGKILL in the middle of issuing from a lease: every ticket the database holds has
    its outbox row and the reverse, numbers distinct and consecutive from the lease."""
    path = tmp_path / "kiosk.sqlite3"
    links = LinkStore(open_database(sqlite_url(path)))
    links.add_lease("2026-11-30", "A", 500, 4999, "big")
    proc = subprocess.Popen([sys.executable, "-c", KILLED_ISSUER, str(path)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "issuing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    engine = open_database(sqlite_url(path))
    with engine.connect() as conn:
        seqs = sorted(conn.execute(select(tickets.c.seq)).scalars())
        outbox = set(conn.execute(select(link_outbox.c.ticket_id)).scalars())
        ids = set(conn.execute(select(tickets.c.id)).scalars())
        assert conn.execute(select(func.count()).select_from(link_outbox)).scalar_one() == len(ids)
    assert outbox == ids and len(seqs) >= 5
    assert seqs == list(range(500, 500 + len(seqs)))  # none lost, none twice
    # The kiosk goes on from where the killed one stopped.
    after = LinkStore(engine).issue_from_lease("A", "vi", at(10))
    assert after is not None and after.seq == 500 + len(seqs)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4), max_leaves=10)
answer_keys = st.sampled_from(["id", "number", "service", "seq", "issued_at", "queue_state",
                               "counter", "people_ahead", "wait_minutes", "first", "last"])


@settings(max_examples=300, deadline=None)
@example({"number": "A001", "service": "A", "people_ahead": float("inf")})  # found so
@given(st.one_of(json_values, st.dictionaries(answer_keys, json_values, max_size=11)))
def test_any_centre_answer_is_read_or_refused_as_malformed(answer: object) -> None:
    """Whatever the centre (or something posing as it) answers, the kiosk reads a ticket,
    a state or a block from it, or treats it as no answer: never a traceback."""
    from kiosk.centre_link import (
        MalformedAnswer,
        block_from_answer,
        record_from_answer,
        state_from_answer,
    )

    for read in (lambda a: record_from_answer(a, "vi", None),
                 lambda a: state_from_answer(a, None), block_from_answer):
        try:
            read(answer)
        except MalformedAnswer as exc:
            assert "\n" not in str(exc)


def test_a_well_formed_answer_is_read() -> None:
    from kiosk.link_answers import block_from_answer, record_from_answer, state_from_answer

    record = record_from_answer({"id": "ab" * 8, "number": "A007", "service": "A", "seq": 7,
                                  "issued_at": "2026-11-30T09:00:00+07:00"}, "vi", None)
    assert (record.number, record.day, record.seq) == ("A007", "2026-11-30", 7)
    state = state_from_answer({"number": "A007", "service": "A", "queue_state": "called",
                                "counter": 3, "people_ahead": 0, "wait_minutes": None,
                                "issued_at": "2026-11-30T09:00:00+07:00"}, None)
    assert (state.queue_state, state.counter, state.day) == ("called", 3, "2026-11-30")
    assert block_from_answer({"first": 500, "last": 519}) == (500, 519)
