"""Events to the province: the outbox (kiosk/centre/province.py) delivering the centre's
events through the fault proxy (drivers/sim/net_proxy.py) to the reference receiver
(kiosk/centre/receiver.py), on real sockets, a real uvicorn server and real SQLite files."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from province_world import DAY_START, World

from drivers.sim.net_proxy import Faults, NetProxy
from kiosk.centre.province import (
    RETRY_AFTER_CAP,
    DeliveryFailed,
    ProvinceOutbox,
    _Stream,
    idempotency_key,
    parse_retry_after,
    start_outbox,
)
from kiosk.centre.receiver import EVENT_FIELDS, BadBatch, Receiver, ReceiverServer, parse_batch
from kiosk.config import ConfigError, ProvinceSettings, load_config
from kiosk.store import sqlite_url
from kiosk.store.province import EVENTS, RATINGS, ProvinceCursor

CENTRE = "ld01"
HERE = Path(__file__).resolve().parent


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    world = World(sqlite_url(tmp_path / "centre.sqlite3"))
    world.fill(40)  # 120 ticket events, 8 ratings
    yield world
    world.engine.dispose()


@pytest.fixture
def any_world(any_db_url: str) -> Iterator[World]:
    """The centre on SQLite and on PostgreSQL."""
    world = World(any_db_url)
    world.fill(40)
    yield world
    world.engine.dispose()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[ReceiverServer]:
    with ReceiverServer(Receiver(tmp_path / "province.sqlite3")) as server:
        yield server
    server.receiver.close()


@pytest.fixture
def proxy(receiver: ReceiverServer) -> Iterator[NetProxy]:
    with NetProxy((receiver.host, receiver.port), seed=11, keep_requests=True) as proxy:
        yield proxy


def _settings(url: str, **kw: object) -> ProvinceSettings:
    values: dict = dict(url=url, centre_id=CENTRE, batch=10, max_backoff=0.05,
                        poll_interval=0.05, timeout=2.0)
    return ProvinceSettings(**{**values, **kw})


def _outbox(world: World, url: str, **kw: object) -> ProvinceOutbox:
    options = {k: kw.pop(k) for k in ("wall_clock", "rng") if k in kw}
    return ProvinceOutbox(world.engine, _settings(url, **kw), base_backoff=0.001, **options)


@dataclass
class Run:
    batches: int = 0
    failures: int = 0


def deliver_all(outbox: ProvinceOutbox, bound: int = 2000) -> Run:
    """send_next until nothing is left, retrying failures at once (the waits are the run
    loop's business, tested apart)."""
    run = Run()
    for _ in range(bound):
        try:
            if outbox.send_next() == 0:
                return run
            run.batches += 1
        except DeliveryFailed:
            run.failures += 1
    raise AssertionError(f"not delivered after {bound} attempts")


def _check_exactly_once(world: World, receiver: Receiver) -> None:
    expected = world.uids(CENTRE)
    kept = receiver.uids()
    assert sorted(kept) == sorted(expected)  # each once, none missing, none extra
    assert receiver.stats()["duplicates"] == 0


FAULT_CASES = {
    "drop_before": Faults(drop_before=0.5),
    "drop_after": Faults(drop_after=0.5),
    "reset": Faults(reset=0.5),
    "http_500": Faults(http_500=0.5),
    "delay": Faults(delay=0.3, delay_seconds=1.0),  # longer than the outbox's timeout
    "all": Faults(drop_before=0.15, drop_after=0.15, reset=0.1, http_500=0.1),
}


@pytest.mark.parametrize("fault", FAULT_CASES)
def test_every_event_arrives_exactly_once_through_each_fault(
        fault: str, world: World, receiver: ReceiverServer, proxy: NetProxy) -> None:
    proxy.set_faults(FAULT_CASES[fault])
    run = deliver_all(_outbox(world, proxy.url + "/events", timeout=0.5))
    _check_exactly_once(world, receiver.receiver)
    assert run.failures > 0 and fault in {*proxy.counts(), "all"}
    assert ProvinceCursor(world.engine).positions() == {EVENTS: world.count(), RATINGS: 8}


def test_every_event_arrives_exactly_once_from_either_database(
        any_world: World, receiver: ReceiverServer, proxy: NetProxy) -> None:
    proxy.set_faults(FAULT_CASES["all"])
    deliver_all(_outbox(any_world, proxy.url + "/events", timeout=0.5))
    _check_exactly_once(any_world, receiver.receiver)


def test_a_batch_the_receiver_kept_but_the_sender_lost_is_replayed_not_kept_again(
        world: World, receiver: ReceiverServer, proxy: NetProxy) -> None:
    proxy.set_faults(drop_after=1.0)
    outbox = _outbox(world, proxy.url + "/events")
    with pytest.raises(DeliveryFailed):
        outbox.send_next()
    proxy.set_faults(Faults())
    assert outbox.send_next() == 10
    first, again = receiver.receiver.requests()
    assert first.key == again.key == f"{CENTRE}:e1..{CENTRE}:e10/10"
    assert first.body == again.body
    assert len(receiver.receiver.uids()) == 10


def test_the_cursor_survives_a_new_outbox_on_the_same_database(
        any_world: World, receiver: ReceiverServer, proxy: NetProxy) -> None:
    world = any_world
    url = proxy.url + "/events"
    first = _outbox(world, url)
    assert first.send_next() == 10 and first.send_next() == 10
    # The first outbox stops (a restart); a new one, on a new engine, goes on from there.
    restarted = World(world.url)
    second = ProvinceOutbox(restarted.engine, _settings(url))
    assert second.send_next() == 10
    keys = [r.key for r in receiver.receiver.requests()]
    assert keys == [f"{CENTRE}:e{a}..{CENTRE}:e{a + 9}/10" for a in (1, 11, 21)]
    deliver_all(second)
    _check_exactly_once(world, receiver.receiver)


def test_an_outbox_killed_at_random_moments_delivers_everything_once(
        any_world: World, receiver: ReceiverServer, proxy: NetProxy) -> None:
    """Processes of their own, killed with SIGKILL while batches are in flight (half the
    answers lost after the receiver kept the batch), then started again."""
    world = any_world
    proxy.set_faults(drop_after=0.5)
    total = len(world.uids(CENTRE))
    script = [sys.executable, str(HERE / "province_world.py"), "run-outbox", world.url,
              proxy.url + "/events", CENTRE, "7"]
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    for step in range(4):
        child = subprocess.Popen(script, env=env, stdout=subprocess.PIPE)
        try:
            assert child.stdout is not None and child.stdout.readline() == b"running\n"
            if step < 3:
                receiver.receiver.wait_for_events(min(total, 30 * (step + 1)), 30)
            else:
                assert receiver.receiver.wait_for_events(total, 60)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(10)
            child.stdout.close()  # type: ignore[union-attr]
    _check_exactly_once(world, receiver.receiver)


class _Seen(logging.Handler):
    """Sets `event` when a record containing `text` is logged (from any thread)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text, self.event = text, threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


def test_the_outbox_outlives_postgresql_stopping(pg_cluster, db_url: str,
                                                 receiver: ReceiverServer) -> None:
    if not pg_cluster.restartable:
        pytest.skip("KIOSK_TEST_PG_URL names a server these tests cannot stop")
    world = World(db_url)
    world.fill(10)
    outbox = _outbox(world, receiver.url)
    seen = _Seen("the database could not be read")
    logger = logging.getLogger("kiosk.centre.province")
    logger.addHandler(seen)
    stop = threading.Event()
    thread = threading.Thread(target=outbox.run, args=(stop,), daemon=True)
    pg_cluster.stop_server()
    try:
        thread.start()
        assert seen.event.wait(30)  # it met the database down, and goes on
    finally:
        pg_cluster.start_server()
        logger.removeHandler(seen)
    try:
        assert receiver.receiver.wait_for_events(len(world.uids(CENTRE)), 60)
    finally:
        stop.set()
        thread.join(10)
    _check_exactly_once(world, receiver.receiver)
    world.engine.dispose()


def test_retry_after_seconds_is_waited_for(world: World, receiver: ReceiverServer) -> None:
    receiver.receiver.refuse_next(429, retry_after="1")
    outbox = _outbox(world, receiver.url)
    stop = threading.Event()
    thread = threading.Thread(target=outbox.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert receiver.receiver.wait_for_events(10, 30)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    refused, accepted = receiver.receiver.requests()[:2]
    assert (refused.status, accepted.status) == (429, 200)
    assert refused.key == accepted.key
    assert accepted.at - refused.at >= 1.0  # waited at least what was asked


def test_retry_after_as_an_http_date_sets_the_next_wait(world: World,
                                                       receiver: ReceiverServer) -> None:
    now = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    receiver.receiver.refuse_next(503, retry_after=format_datetime(now + timedelta(minutes=2),
                                                                   usegmt=True))
    outbox = _outbox(world, receiver.url, wall_clock=lambda: now, max_backoff=1.0)
    with pytest.raises(DeliveryFailed) as failed:
        outbox.send_next()
    assert failed.value.retry_after == 120
    assert all(outbox.retry_delay(attempt, failed.value) >= 120 for attempt in range(1, 9))
    assert outbox.send_next() == 10  # the same batch, once the province has room


def test_the_run_loop_wakes_for_new_events_and_stops_when_told(
        tmp_path: Path, receiver: ReceiverServer) -> None:
    world = World(sqlite_url(tmp_path / "quiet.sqlite3"))
    outbox = _outbox(world, receiver.url, poll_interval=3600)
    stop = threading.Event()
    thread = threading.Thread(target=outbox.run, args=(stop,), daemon=True)
    thread.start()
    world.visit("A", 1)
    outbox.wake()  # what the centre does after a change; else the next poll, an hour away
    assert receiver.receiver.wait_for_events(3, 30)
    stop.set()
    thread.join(10)
    assert not thread.is_alive()


def test_no_personal_data_leaves_the_centre(any_world: World, receiver: ReceiverServer,
                                           proxy: NetProxy) -> None:
    world = any_world
    proxy.set_faults(Faults(drop_after=0.3))
    deliver_all(_outbox(world, proxy.url + "/events"))
    with world.engine.connect() as conn:
        secrets = {v for row in conn.exec_driver_sql("SELECT id, person_hash FROM tickets")
                   for v in row if v}
    assert len(secrets) == 80  # 40 ticket ids and 40 person hashes
    wire = proxy.requests + [r.body for r in receiver.receiver.requests()]
    for data in wire:
        assert not any(secret.encode() in data for secret in secrets)
        assert b"person_hash" not in data and b"ticket_id" not in data
    for event in receiver.receiver.events():
        assert set(event) <= EVENT_FIELDS


def test_events_say_what_happened_without_who(world: World, receiver: ReceiverServer) -> None:
    deliver_all(_outbox(world, receiver.url, batch=200))
    events = {e["uid"]: e for e in receiver.receiver.events()}
    assert events[f"{CENTRE}:e1"] == {"uid": f"{CENTRE}:e1", "kind": "issued", "number": "A001",
                                      "service": "A", "counter": None, "day": "2026-11-30",
                                      "at": "2026-11-30T07:30:37+07:00"}
    assert events[f"{CENTRE}:e3"]["kind"] == "served"
    rating = events[f"{CENTRE}:r1"]
    assert rating["kind"] == "rated" and rating["level"] == "very_satisfied"
    assert rating["at"].endswith(":00:00+07:00")  # to the hour, as stored
    assert {e["kind"] for e in events.values()} == {"issued", "called", "served", "no_show",
                                                    "rated"}


def test_a_batch_too_large_for_the_endpoint_goes_in_halves(world: World,
                                                         tmp_path: Path) -> None:
    with ReceiverServer(Receiver(tmp_path / "small.sqlite3", max_body=900)) as server:
        outbox = _outbox(world, server.url)
        with pytest.raises(DeliveryFailed, match="413"):
            outbox.send_next()
        deliver_all(outbox)
        _check_exactly_once(world, server.receiver)
        assert all(len(r.body) <= 900 for r in server.receiver.requests())
        server.receiver.close()


def test_a_refused_token_keeps_the_events(world: World, tmp_path: Path) -> None:
    with ReceiverServer(Receiver(tmp_path / "p.sqlite3", token="s3cret")) as server:
        with pytest.raises(DeliveryFailed, match="401"):
            _outbox(world, server.url, token="wrong").send_next()
        assert ProvinceCursor(world.engine).positions() == {EVENTS: 0, RATINGS: 0}
        deliver_all(_outbox(world, server.url, token="s3cret"))
        _check_exactly_once(world, server.receiver)
        server.receiver.close()


def test_a_missing_id_waits_for_its_transaction_then_is_passed() -> None:
    rows = [SimpleNamespace(id=i) for i in (1, 2, 4, 5)]
    stream = _Stream("events", lambda after, n: [r for r in rows if r.id > after][:n],
                     lambda r: {"uid": f"c:e{r.id}"})
    first = stream.next_batch(0, 10, now=100.0, grace=30)
    assert first is not None and first.last_id == 2  # 3 may still commit
    assert stream.next_batch(2, 10, now=110.0, grace=30) is None
    late = stream.next_batch(2, 10, now=131.0, grace=30)
    assert late is not None and [e["uid"] for e in late.events] == ["c:e4", "c:e5"]


def test_an_event_committed_after_a_later_one_is_not_passed_over(
        db_url: str, receiver: ReceiverServer) -> None:
    """PostgreSQL takes an event's id at INSERT: a transaction still open holds a lower id
    than events committed after it began. The outbox must wait for it, not move past it."""
    from kiosk.store.db import ticket_events

    world = World(db_url)
    world.visit("A", 1)  # events 1-3
    slow = world.engine.connect()
    slow_work = slow.begin()
    slow.execute(ticket_events.insert().values(  # event 4, not yet committed
        day="2026-11-30", number=None, service=None, kind="paused", at=DAY_START.isoformat(),
        counter=9))
    world.visit("B", 2)  # events 5-7, committed
    outbox = _outbox(world, receiver.url)
    deliver_all(outbox)
    assert sorted(receiver.receiver.uids()) == [f"{CENTRE}:e{i}" for i in (1, 2, 3)]
    slow_work.commit()
    slow.close()
    deliver_all(outbox)
    _check_exactly_once(world, receiver.receiver)
    world.engine.dispose()


def test_the_centre_starts_no_outbox_without_a_url(world: World) -> None:
    handle = start_outbox(load_config(), world.engine)
    assert handle.outbox is None
    handle.stop()


def test_the_centre_starts_and_stops_its_outbox(world: World, receiver: ReceiverServer) -> None:
    config = replace(load_config(), province=_settings(receiver.url))
    with start_outbox(config, world.engine):
        assert receiver.receiver.wait_for_events(len(world.uids(CENTRE)), 60)
    _check_exactly_once(world, receiver.receiver)


# -- the receiver --------------------------------------------------------------------------

def _post(url: str, body: object, key: str | None = "k1", **headers: str) -> httpx.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    if key is not None:
        headers["Idempotency-Key"] = key
    return httpx.post(url, content=data, headers=headers, timeout=10)


BATCH = {"centre": "c1", "events": [{"uid": "c1:e1", "kind": "issued", "at": "t"},
                                    {"uid": "c1:e2", "kind": "called", "counter": 3}]}


def test_the_receiver_replays_the_answer_to_a_repeated_key(receiver: ReceiverServer) -> None:
    first = _post(receiver.url, BATCH)
    again = _post(receiver.url, BATCH)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {"accepted": 2, "duplicates": 0}
    assert again.headers["idempotent-replayed"] == "true"
    other = _post(receiver.url, {**BATCH, "events": BATCH["events"][:1]})
    assert other.status_code == 422
    new_key = _post(receiver.url, BATCH, key="k2")
    assert new_key.json() == {"accepted": 0, "duplicates": 2}
    assert receiver.receiver.stats()["events"] == 2
    assert receiver.receiver.stats()["redelivered"] == 2


@pytest.mark.parametrize("body, key, message", [
    (b"{not json", "k", "not JSON"),
    ({"centre": "c1", "events": []}, "k", "events must be"),
    ({"centre": "c1", "events": [{"uid": "c1:e1", "kind": "x", "person_hash": "ab"}]}, "k",
     "unknown field 'person_hash'"),
    ({"centre": "c1", "events": [{"uid": "c2:e1", "kind": "x"}]}, "k", "uid"),
    (BATCH, None, "Idempotency-Key"),
])
def test_the_receiver_refuses_bad_batches_in_one_sentence(
        receiver: ReceiverServer, body: object, key: str | None, message: str) -> None:
    answer = _post(receiver.url, body, key=key)
    assert answer.status_code == 400
    assert message in answer.json()["error"]
    assert receiver.receiver.stats()["events"] == 0


def test_the_receiver_command_serves_and_refuses_bad_input(tmp_path: Path) -> None:
    kiosk = [sys.executable, "-m", "kiosk"]
    bad = subprocess.run([*kiosk, "centre", "receiver", "--listen", "nowhere", "--data",
                          str(tmp_path / "r.sqlite3")], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "kiosk: error: --listen 'nowhere': expected HOST:PORT, e.g. 127.0.0.1:8090"]
    server = subprocess.Popen([*kiosk, "centre", "receiver", "--listen", "127.0.0.1:0",
                               "--data", str(tmp_path / "r.sqlite3")], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        url = line.split("POST ", 1)[1].split(",", 1)[0]
        assert _post(url, BATCH).json() == {"accepted": 2, "duplicates": 0}
    finally:
        server.terminate()
        server.wait(10)
        server.stdout.close()  # type: ignore[union-attr]


# -- parsers, fuzzed -----------------------------------------------------------------------

NOW = datetime(2026, 11, 30, 1, 2, 3, tzinfo=UTC)


@given(st.text(max_size=60))
def test_any_retry_after_is_a_bounded_wait_or_ignored(value: str) -> None:
    wait = parse_retry_after(value, NOW)
    assert wait is None or 0 <= wait <= RETRY_AFTER_CAP


@given(st.integers(min_value=0, max_value=10**15))
def test_retry_after_seconds(seconds: int) -> None:
    assert parse_retry_after(f" {seconds} ", NOW) == min(seconds, RETRY_AFTER_CAP)


@given(st.integers(min_value=-10**6, max_value=RETRY_AFTER_CAP))
def test_retry_after_http_date(offset: int) -> None:
    date = format_datetime(NOW + timedelta(seconds=offset), usegmt=True)
    assert parse_retry_after(date, NOW) == max(offset, 0)


def test_retry_after_old_date_forms() -> None:
    # RFC 9110 asks recipients to read the obsolete RFC 850 and asctime forms too.
    assert parse_retry_after("Mon, 30 Nov 2026 01:04:03 GMT", NOW) == 120
    assert parse_retry_after("Mon Nov 30 01:04:03 2026", NOW) == 120
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after("-5", NOW) is None


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_any_body_is_a_batch_or_one_refusal(body: bytes) -> None:
    try:
        batch = parse_batch(body)
    except BadBatch as exc:
        assert "\n" not in str(exc)
        return
    assert batch.events


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=10)


@settings(max_examples=300)
@given(st.dictionaries(st.sampled_from(sorted(EVENT_FIELDS | {"extra"})), _JSON, max_size=6))
def test_any_json_event_is_kept_or_refused(event: dict) -> None:
    body = json.dumps({"centre": "c", "events": [event]}).encode()
    try:
        batch = parse_batch(body)
    except BadBatch:
        return
    assert batch.events[0]["uid"].startswith("c:")


def test_the_idempotency_key_names_the_range() -> None:
    assert idempotency_key(["c:e5", "c:e6", "c:e9"]) == "c:e5..c:e9/3"


# -- configuration --------------------------------------------------------------------------

def _config(tmp_path: Path, text: str) -> ProvinceSettings:
    path = tmp_path / "centre.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path).province


def test_province_settings_default_to_nothing_pushed(tmp_path: Path) -> None:
    assert load_config().province == ProvinceSettings()
    got = _config(tmp_path, '[province]\nurl = "https://tinh.example/api/events"\n'
                            'centre_id = "24847"\nbatch = 50\ntoken = "t0k"\n')
    assert (got.url, got.centre_id, got.batch, got.token) == (
        "https://tinh.example/api/events", "24847", 50, "t0k")
    assert got.gap_grace == 30.0  # a transaction may take a while to commit
    assert _config(tmp_path, '[province]\ngap_grace = 2.5\n').gap_grace == 2.5


@pytest.mark.parametrize("text, key", [
    ('[province]\nurl = "ftp://x/y"\ncentre_id = "c"\n', "province.url"),
    ('[province]\nurl = "http://x:port/y"\ncentre_id = "c"\n', "province.url"),
    ('[province]\nurl = "http://x/y"\n', "province.centre_id"),
    ('[province]\ncentre_id = "a:b"\n', "province.centre_id"),
    ('[province]\nbatch = 0\n', "province.batch"),
    ('[province]\nmax_backoff = "1m"\n', "province.max_backoff"),
    ('[province]\ngap_grace = 0\n', "province.gap_grace"),
    ('[province]\nbatchsize = 5\n', "province.batchsize"),
])
def test_bad_province_settings_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        _config(tmp_path, text)
    assert err.value.key == key


# -- the migration ---------------------------------------------------------------------------

def test_a_centre_database_gains_the_cursor_table_and_can_lose_it(any_db_url: str) -> None:
    from sqlalchemy import inspect

    from kiosk.store import open_database
    from kiosk.store.db import SCHEMA_HEAD, schema_revision
    from kiosk.store.migrations import run_downgrade

    engine = open_database(any_db_url)
    ProvinceCursor(engine).advance(EVENTS, 7, NOW)
    with engine.begin() as conn:
        run_downgrade(conn, "0002_centre_queue")
    assert "province_cursor" not in inspect(engine).get_table_names()
    engine.dispose()
    engine = open_database(any_db_url)  # a centre at 0002 upgrades by itself
    assert schema_revision(engine) == SCHEMA_HEAD
    assert ProvinceCursor(engine).positions() == {EVENTS: 0, RATINGS: 0}
    engine.dispose()
