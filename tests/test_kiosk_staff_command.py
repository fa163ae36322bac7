"""`kiosk staff add|remove|list|audit` on the kiosk's own SQLite file, through the CLI."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.cli import main
from kiosk.paths import ROOT
from kiosk.pins import verify_pin
from kiosk.staff_mode import StaffSession
from kiosk.store import open_database_file
from kiosk.store.audit import StaffAudit
from kiosk.store.staff import StaffStore


def run(monkeypatch, capsys, data: Path, argv: list[str], stdin: str = "") -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["staff", *argv, "--data-dir", str(data)])
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_remove_and_the_audit(monkeypatch, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    assert run(monkeypatch, capsys, data, ["add", "Nguyễn Thị  Lan"], "4817\n") == (
        0, "added Nguyễn Thị Lan\n", "")
    assert run(monkeypatch, capsys, data, ["add", "Hùng"], "90210\n")[0] == 0
    code, out, _ = run(monkeypatch, capsys, data, ["list", "--json"])
    assert json.loads(out) == [{"name": "Hùng"}, {"name": "Nguyễn Thị Lan"}]
    assert run(monkeypatch, capsys, data, ["list"])[1] == "Hùng\nNguyễn Thị Lan\n"
    engine = open_database_file(data / "kiosk.sqlite3")
    member = StaffStore(engine).get("nguyen thi lan")
    assert member is not None and verify_pin("4817", member.pin_hash)
    # The PIN just added opens staff mode on this kiosk.
    session = StaffSession(StaffStore(engine), StaffAudit(engine))
    session.start()
    session.sign_in("Nguyễn Thị Lan", "4817")
    session.act("test_print", "printer ready")
    session.leave()
    assert run(monkeypatch, capsys, data, ["remove", "hung"]) == (0, "removed hung\n", "")
    code, out, _ = run(monkeypatch, capsys, data, ["audit", "--json", "--limit", "4"])
    entries = json.loads(out)
    assert [(e["staff_name"], e["action"], e["detail"]) for e in entries] == [
        ("Nguyễn Thị Lan", "sign_in", ""), ("Nguyễn Thị Lan", "test_print", "printer ready"),
        ("Nguyễn Thị Lan", "sign_out", "leave"), (entries[3]["staff_name"], "staff_remove",
                                                   "hung")]
    assert entries[3]["staff_name"].startswith("cli:")
    assert datetime.fromisoformat(entries[0]["at"]).tzinfo == UTC
    code, out, _ = run(monkeypatch, capsys, data, ["audit"])
    lines = out.splitlines()
    assert len(lines) == 6 and lines[0].split("\t")[2:] == ["staff_add", "Nguyễn Thị Lan"]
    assert lines[3].split("\t")[1:] == ["Nguyễn Thị Lan", "test_print", "printer ready"]


@pytest.mark.parametrize(("argv", "stdin", "message"), [
    (["add", "Lan"], "0000\n", "one repeated digit"),
    (["add", "Lan"], "", "no PIN on standard input"),
    (["add", "   "], "4817\n", "cannot be empty"),
    (["add", "x" * 65], "4817\n", "at most 64 characters"),
    (["add", "Lan", "--counters", "1"], "4817\n", "unrecognized arguments: --counters"),
    (["remove", "Nobody"], "", "no staff member named 'Nobody'"),
    (["audit", "--limit", "0"], "", "expected a number of entries from 1 to 100000"),
    (["audit", "--limit", "x"], "", "expected a number of entries from 1 to 100000"),
    (["list", "--url", "sqlite://"], "", "unrecognized arguments: --url"),
    (["lost"], "", "invalid choice: 'lost'"),
])
def test_bad_input_is_one_line_and_exit_2(monkeypatch, capsys, tmp_path: Path, argv, stdin,  # type: ignore[no-untyped-def]
                                          message: str) -> None:
    code, out, err = run(monkeypatch, capsys, tmp_path / "data", argv, stdin)
    assert code == 2 and out == ""
    assert err.startswith("kiosk: error:") and message in err and err.count("\n") == 1


def test_a_duplicate_name_and_a_broken_database(monkeypatch, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    run(monkeypatch, capsys, data, ["add", "Lan"], "4817\n")
    code, _, err = run(monkeypatch, capsys, data, ["add", "LAN"], "5821\n")
    assert code == 2 and "already exists" in err and err.count("\n") == 1
    other = tmp_path / "other"
    other.mkdir()
    (other / "kiosk.sqlite3").write_bytes(b"not a database, just text" * 100)
    code, _, err = run(monkeypatch, capsys, other, ["list"])
    assert code == 2 and err.count("\n") == 1 and "kiosk.sqlite3" in err


def test_the_pin_is_never_an_argument_nor_echoed(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "kiosk", "staff", "add", "Lan", "--data-dir",
                           str(tmp_path)], input="4817\n", capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "added Lan\n", "")
    engine = open_database_file(tmp_path / "kiosk.sqlite3")
    assert StaffAudit(engine).recent(1)[0].action == "staff_add"
    done = subprocess.run([sys.executable, "-m", "kiosk", "staff", "add", "Hùng", "5821",
                           "--data-dir", str(tmp_path)], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 2 and "unrecognized arguments" in done.stderr
    assert StaffStore(engine).get("Hùng") is None


NOT_AN_OPTION = st.text(max_size=80).filter(lambda t: not t.startswith("-"))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.tuples(st.sampled_from(["add", "remove", "audit --limit"]), NOT_AN_OPTION))
def test_fuzzed_arguments_never_trace(monkeypatch, capsys, tmp_path: Path, case) -> None:  # type: ignore[no-untyped-def]
    action, value = case
    argv = [*action.split(), value]
    code, _, err = run(monkeypatch, capsys, tmp_path / "data", argv, "4817\n")
    assert (code, "Traceback" in err) in ((0, False), (2, False))
    assert code == 0 or err.count("\n") == 1
