"""Dossier status: the service against the reference provider over a real socket, the
provider's command, the [dossier] config, and the visit's dossier steps."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from kiosk.cli import build_parser, main
from kiosk.config import ConfigError, load_config
from kiosk.dossier import (
    OUTCOME_MESSAGES,
    STATUS_ICONS,
    STATUS_WORDS,
    DossierStatus,
    DossierStatusService,
    Outcome,
)
from kiosk.dossier_ref import DEMO_DOSSIERS, FAULTS, DataFileError, ReferenceProvider
from kiosk.paths import ICONS, ROOT
from kiosk.session import Feature, Screen, Session

ICT = timezone(timedelta(hours=7))
IN_PROGRESS = "H42.123.45-251103-AB0012"  # DEMO_DOSSIERS: in progress, with a procedure
RETURNED = "H42.123.45-251015-AB0003"  # DEMO_DOSSIERS: returned, no procedure
NOT_KNOWN = "000.00.15.H42-251231-9999"


class Clock:
    """The service's monotonic clock and wall clock, moved by hand."""

    def __init__(self) -> None:
        self.seconds = 100.0
        self.wall = datetime(2025, 11, 30, 9, 12, tzinfo=ICT)

    def __call__(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return self.wall

    def pass_minutes(self, minutes: float) -> None:
        self.seconds += minutes * 60
        self.wall += timedelta(minutes=minutes)


@pytest.fixture
def provider():  # type: ignore[no-untyped-def]
    with ReferenceProvider(slow_seconds=5) as running:
        yield running


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(provider: ReferenceProvider, clock: Clock):  # type: ignore[no-untyped-def]
    svc = DossierStatusService(provider.url, timeout=0.5, cache_minutes=10, clock=clock,
                               now=clock.now)
    yield svc
    svc.close()


def test_every_status_of_the_provider_is_read(service: DossierStatusService) -> None:
    for record in DEMO_DOSSIERS:
        result = service.lookup(record["code"])
        assert result.outcome is Outcome.FOUND and not result.stale, record["code"]
        answer = result.answer
        assert answer.status is DossierStatus(record["status"])
        assert answer.updated_at == datetime.fromisoformat(record["updated_at"])
        assert answer.procedure == record.get("procedure")
    assert {DossierStatus(r["status"]) for r in DEMO_DOSSIERS} == set(DossierStatus)


def test_every_status_has_words_and_a_pictogram() -> None:
    assert set(STATUS_WORDS) == set(STATUS_ICONS) == set(DossierStatus)
    for icon in STATUS_ICONS.values():
        assert (ICONS / f"{icon}.png").is_file(), icon


def test_a_code_is_found_however_the_citizen_typed_it(service: DossierStatusService) -> None:
    result = service.lookup("  h42.123.45 - 251103 - ab0012 ")
    assert result.outcome is Outcome.FOUND and result.answer.code == IN_PROGRESS


def test_an_unknown_code_gets_a_calm_message(service: DossierStatusService) -> None:
    result = service.lookup(NOT_KNOWN)
    assert result.outcome is Outcome.UNKNOWN and result.answer is None
    assert result.message == OUTCOME_MESSAGES[Outcome.UNKNOWN]


def test_a_malformed_code_is_not_sent(service: DossierStatusService,
                                      provider: ReferenceProvider) -> None:
    before = provider.requests
    for text in ("", "hello", "0123456789abcdef", "H42.123.45-251399-AB0012",
                 "../../admin", "000.00.15.H42-251231-12"):
        result = service.lookup(text)
        assert result.outcome is Outcome.MALFORMED, text
        assert result.message == OUTCOME_MESSAGES[Outcome.MALFORMED]
    assert provider.requests == before


@pytest.mark.parametrize("fault", ["down", "slow", "500", "garbage"])
def test_without_the_provider_the_last_answer_is_shown_with_its_time(
        service: DossierStatusService, provider: ReferenceProvider, clock: Clock,
        fault: str) -> None:
    first = service.lookup(IN_PROGRESS)
    assert first.outcome is Outcome.FOUND and not first.stale
    clock.pass_minutes(4)
    provider.set_fault(fault)
    result = service.lookup(IN_PROGRESS)
    assert result.outcome is Outcome.FOUND and result.stale
    assert result.answer.status is DossierStatus.IN_PROGRESS
    assert result.answer.fetched_at.strftime("%H:%M") == "09:12"  # "as of 09:12"
    # A dossier never asked before has no last answer: a calm message instead.
    other = service.lookup(RETURNED)
    assert other.outcome is Outcome.UNREACHABLE and other.answer is None
    assert other.message == OUTCOME_MESSAGES[Outcome.UNREACHABLE]
    provider.set_fault(None)
    assert service.lookup(RETURNED).outcome is Outcome.FOUND


def test_a_provider_answering_garbage_is_logged_for_staff(
        service: DossierStatusService, provider: ReferenceProvider,
        caplog: pytest.LogCaptureFixture) -> None:
    provider.set_fault("garbage")
    with caplog.at_level(logging.WARNING, logger="kiosk.dossier"):
        result = service.lookup(IN_PROGRESS)
    assert result.outcome is Outcome.UNREACHABLE
    assert "dossier provider answered garbage: answer is not JSON" in caplog.text
    assert IN_PROGRESS not in caplog.text  # the dossier's code stays out of the log


def test_answers_are_forgotten_after_the_cache_life(
        service: DossierStatusService, provider: ReferenceProvider, clock: Clock) -> None:
    assert service.lookup(IN_PROGRESS).outcome is Outcome.FOUND
    assert service.cached() == 1
    clock.pass_minutes(9.9)
    assert service.cached() == 1
    clock.pass_minutes(0.2)
    assert service.cached() == 0  # gone from memory, even with no lookup to ask for it
    provider.set_fault("down")
    assert service.lookup(IN_PROGRESS).outcome is Outcome.UNREACHABLE


def test_a_dossier_the_provider_no_longer_knows_is_forgotten(tmp_path: Path,
                                                             clock: Clock) -> None:
    data = tmp_path / "dossiers.json"
    data.write_text(json.dumps(DEMO_DOSSIERS), encoding="utf-8")
    with ReferenceProvider(data) as provider:
        service = DossierStatusService(provider.url, timeout=0.5, clock=clock, now=clock.now)
        assert service.lookup(IN_PROGRESS).answer.status is DossierStatus.IN_PROGRESS
        # Staff move the dossier along in the file: the provider reads it again.
        moved = [dict(r, status="ready") if r["code"] == IN_PROGRESS else r
                 for r in DEMO_DOSSIERS]
        data.write_text(json.dumps(moved), encoding="utf-8")
        os.utime(data, (1, 1))  # a different modification time whatever the clock's grain
        assert service.lookup(IN_PROGRESS).answer.status is DossierStatus.READY
        data.write_text(json.dumps([r for r in moved if r["code"] != IN_PROGRESS]),
                        encoding="utf-8")
        assert service.lookup(IN_PROGRESS).outcome is Outcome.UNKNOWN
        provider.set_fault("down")
        assert service.lookup(IN_PROGRESS).outcome is Outcome.UNREACHABLE
        service.close()


def test_the_provider_comes_back_on_the_same_port(provider: ReferenceProvider) -> None:
    url = f"{provider.url}/dossiers/{IN_PROGRESS}"
    provider.set_fault("down")
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)
    provider.set_fault(None)
    assert httpx.get(url, timeout=2).json()["status"] == "in_progress"


@pytest.mark.parametrize("records, problem", [
    ({"code": IN_PROGRESS}, "expected a JSON list of dossiers"),
    (["x"], "dossier 0: expected an object"),
    ([{"code": "h42.123.45-251103-ab0012", "status": "ready", "updated_at": "2025-11-03"}],
     "dossier 0: code is not a dossier code in upper case"),
    ([{"code": IN_PROGRESS, "status": "lost", "updated_at": "2025-11-03"}],
     "dossier 0: status must be one of received, in_progress"),
    ([{"code": IN_PROGRESS, "status": "ready"}], "dossier 0: updated_at must be"),
    ([{"code": IN_PROGRESS, "status": "ready", "updated_at": "x", "procedure": 3}],
     "dossier 0: procedure must be text"),
])
def test_a_bad_data_file_is_refused_in_one_line(tmp_path: Path, records: object,
                                                problem: str) -> None:
    data = tmp_path / "d.json"
    data.write_text(json.dumps(records), encoding="utf-8")
    with pytest.raises(DataFileError, match=problem) as caught:
        ReferenceProvider(data)
    assert "\n" not in str(caught.value)


def test_the_command_refuses_bad_input_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    for args, expected in (
            (["--data", str(tmp_path / "bad.json")], "bad.json: not valid JSON"),
            (["--data", str(tmp_path / "none.json")], "none.json: file not found"),
            (["--listen", "nowhere"], "--listen 'nowhere': expected HOST:PORT"),
            (["--slow-seconds", "0"], "--slow-seconds 0: expected more than 0"),
            (["--fault", "melt"], "invalid choice: 'melt'")):
        assert main(["dossier-provider", *args]) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("kiosk: error: ") and expected in err, (args, err)
        assert err.count("\n") == 1


def test_the_command_offers_the_providers_faults() -> None:
    parser = build_parser()
    args = parser.parse_args(["dossier-provider"])
    assert args.listen == "127.0.0.1:8765"
    sub = next(a for a in parser._actions if a.dest == "command")
    fault = next(a for a in sub.choices["dossier-provider"]._actions if a.dest == "fault")
    assert tuple(fault.choices) == FAULTS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_command_serves_a_file_and_takes_faults_typed_in(tmp_path: Path) -> None:
    data = tmp_path / "dossiers.json"
    data.write_text(json.dumps(DEMO_DOSSIERS), encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "dossier-provider", "--listen", f"127.0.0.1:{port}",
         "--data", str(data)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()  # type: ignore[union-attr]
        assert first.startswith(f"dossier provider on http://127.0.0.1:{port} serving "), first
        url = f"http://127.0.0.1:{port}/dossiers/{RETURNED}"
        assert httpx.get(url, timeout=5).json()["status"] == "returned"
        assert httpx.get(url.replace(RETURNED, NOT_KNOWN), timeout=5).status_code == 404
        proc.stdin.write("500\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
        assert proc.stdout.readline().strip() == "dossier provider: 500"  # type: ignore[union-attr]
        assert httpx.get(url, timeout=5).status_code == 500
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err, err


# -- config ------------------------------------------------------------------------------
def test_no_provider_by_default() -> None:
    cfg = load_config()
    assert cfg.dossier_provider == "" and cfg.dossier_timeout == 3
    assert cfg.dossier_cache_minutes == 10


def test_the_provider_is_read_from_the_config(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[dossier]\nprovider = "https://dvc.example.vn/api/"\ntimeout = 2.5\n'
                    'cache_minutes = 0\n', encoding="utf-8")
    cfg = load_config(path)
    assert cfg.dossier_provider == "https://dvc.example.vn/api"
    assert (cfg.dossier_timeout, cfg.dossier_cache_minutes) == (2.5, 0)


@pytest.mark.parametrize("text, key", [
    ('provider = "ftp://x"', "dossier.provider"),
    ('provider = "dvc.example.vn"', "dossier.provider"),
    ('provider = "http://x/api?key=1"', "dossier.provider"),
    ('provider = "http://x:99999"', "dossier.provider"),
    ("provider = 3", "dossier.provider"),
    ("timeout = 0", "dossier.timeout"),
    ('timeout = "3"', "dossier.timeout"),
    ("cache_minutes = -1", "dossier.cache_minutes"),
    ("cache_minutes = true", "dossier.cache_minutes"),
    ("cache_time = 3", "dossier.cache_time"),
])
def test_a_bad_dossier_setting_names_its_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f"[dossier]\n{text}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == key and "\n" not in str(caught.value)


# -- the visit ---------------------------------------------------------------------------
def found(code: str = IN_PROGRESS):  # type: ignore[no-untyped-def]
    from kiosk.dossier import DossierAnswer, DossierResult

    now = datetime(2025, 11, 30, 9, 12, tzinfo=ICT)
    return DossierResult(code, Outcome.FOUND,
                         DossierAnswer(code, DossierStatus.READY, now, None, now))


def visit(dossier: bool = True) -> Session:
    session = Session(("vi", "en"))
    session.dossier_available = dossier
    session.start()
    session.choose_language("en")
    return session


def test_the_tile_leads_to_the_code_screen_only_with_a_provider() -> None:
    without = visit(dossier=False)
    without.open_feature(Feature.DOSSIER)
    assert without.screen is Screen.UNAVAILABLE
    session = visit()
    session.open_feature(Feature.DOSSIER)
    assert session.screen is Screen.DOSSIER_CODE


def test_a_code_is_checked_once_then_its_status_shows() -> None:
    from kiosk.dossier import DossierResult

    session = visit()
    session.open_feature(Feature.DOSSIER)
    session.type_dossier_code(IN_PROGRESS)
    asked = session.dossier_lookup_started(IN_PROGRESS)
    assert asked == session.visit and session.data.dossier_checking
    assert session.dossier_lookup_started(IN_PROGRESS) is None  # a second tap: not again
    session.dossier_looked_up(DossierResult(NOT_KNOWN, Outcome.UNKNOWN), asked)
    assert session.screen is Screen.DOSSIER_CODE
    assert session.data.dossier_message == OUTCOME_MESSAGES[Outcome.UNKNOWN]
    session.type_dossier_code(IN_PROGRESS[:-1])  # typing again clears the message
    assert session.data.dossier_message == ""
    asked = session.dossier_lookup_started(IN_PROGRESS)
    session.dossier_looked_up(found(), asked)
    assert session.screen is Screen.DOSSIER_STATUS
    session.back()
    assert session.screen is Screen.DOSSIER_CODE


def test_a_scanned_receipt_starts_a_visit_and_a_late_answer_is_dropped() -> None:
    session = Session(("vi", "en"))
    session.dossier_available = True
    asked = session.dossier_lookup_started(IN_PROGRESS)  # scanned on the attract screen
    assert session.screen is Screen.DOSSIER_CODE and session.data.dossier_code == IN_PROGRESS
    session.end()  # the citizen walked away before the answer
    assert session.dossier_looked_up(found(), asked) is False
    assert session.screen is Screen.ATTRACT and session.data.dossier_result is None
    assert session.data.dossier_code == ""


def test_an_answer_does_not_pull_back_a_citizen_who_moved_on() -> None:
    session = visit()
    session.open_feature(Feature.DOSSIER)
    asked = session.dossier_lookup_started(IN_PROGRESS)
    session.home()
    assert session.dossier_looked_up(found(), asked) is True
    assert session.screen is Screen.HOME and not session.data.dossier_checking
