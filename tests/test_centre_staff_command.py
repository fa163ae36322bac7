"""`kiosk centre staff add|remove|list` against a real SQLite file."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.cli import main
from kiosk.pins import verify_pin
from kiosk.store.db import make_engine
from kiosk.store.staff import StaffStore


@pytest.fixture
def url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path / 'centre.sqlite3'}"


def run(monkeypatch, capsys, argv: list[str], stdin: str = "") -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_remove(monkeypatch, capsys, url: str) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(monkeypatch, capsys, ["centre", "staff", "add", "Nguyễn Thị Lan",
                                             "--counters", "1,2", "--url", url], "4817\n")
    assert code == 0 and out == "added Nguyễn Thị Lan (counters 1, 2)\n"
    run(monkeypatch, capsys, ["centre", "staff", "add", "Hùng", "--url", url], "90210\n")
    code, out, _ = run(monkeypatch, capsys, ["centre", "staff", "list", "--json", "--url", url])
    assert json.loads(out) == [{"name": "Hùng", "counters": None},
                               {"name": "Nguyễn Thị Lan", "counters": [1, 2]}]
    member = StaffStore(make_engine(url)).get("nguyen thi lan")
    assert member is not None and verify_pin("4817", member.pin_hash)
    assert "4817" not in member.pin_hash
    code, out, _ = run(monkeypatch, capsys, ["centre", "staff", "remove", "Hùng", "--url", url])
    assert code == 0 and out.startswith("removed Hùng")
    code, out, _ = run(monkeypatch, capsys, ["centre", "staff", "list", "--url", url])
    assert out == "Nguyễn Thị Lan\tcounters 1, 2\n"


@pytest.mark.parametrize("argv, stdin, message", [
    (["add", "Lan"], "0000\n", "one repeated digit"),
    (["add", "Lan"], "1234\n", "running digits"),
    (["add", "Lan"], "12\n", "4 to 8 digits"),
    (["add", "Lan"], "", "no PIN on standard input"),
    (["add", "Lan", "--counters", "1,x"], "4817\n", "expected counter numbers like 1,2"),
    (["add", "Lan", "--counters", "99"], "4817\n", "counter 99 serves no service"),
    (["add", "   "], "4817\n", "cannot be empty"),
    (["add", "L\x07n"], "4817\n", "control characters"),
    (["add", "x" * 65], "4817\n", "at most 64 characters"),
    (["remove", "Nobody"], "", "no staff member named 'Nobody'"),
])
def test_bad_input_is_one_line_and_exit_2(monkeypatch, capsys, url: str, argv: list[str],  # type: ignore[no-untyped-def]
                                          stdin: str, message: str) -> None:
    code, out, err = run(monkeypatch, capsys, ["centre", "staff", *argv, "--url", url], stdin)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err, err


def test_a_second_person_with_the_same_name_is_refused(monkeypatch, capsys, url: str) -> None:  # type: ignore[no-untyped-def]
    run(monkeypatch, capsys, ["centre", "staff", "add", "Hùng", "--url", url], "90210\n")
    code, _, err = run(monkeypatch, capsys, ["centre", "staff", "add", "HUNG", "--url", url],
                       "58213\n")
    assert code == 2 and "already exists" in err


def test_unreachable_database_is_one_line(monkeypatch, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'c.sqlite3'}"
    code, _, err = run(monkeypatch, capsys, ["centre", "staff", "list", "--url", bad])
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err


def test_pin_from_a_pipe_in_a_real_process(url: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "kiosk", "centre", "staff", "add", "Lan",
                           "--url", url], input="5821\n", capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "5821" not in proc.stdout + proc.stderr


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=80), counters=st.text(max_size=12))
def test_fuzzed_names_and_counters_never_trace(monkeypatch, capsys, url: str, name: str,  # type: ignore[no-untyped-def]
                                               counters: str) -> None:
    if name.startswith("-") or counters.startswith("-"):
        return  # argparse would read them as options
    code, _, err = run(monkeypatch, capsys, ["centre", "staff", "add", name, "--counters",
                                             counters, "--url", url], "4817\n")
    assert code in (0, 2)
    assert "Traceback" not in err
    if code == 2:
        assert err.count("\n") == 1


def test_the_default_database_is_the_centres(monkeypatch, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Without --url: the centre's database named by the config (beside --data-dir)."""
    from kiosk.config import load_config

    code, out, err = run(monkeypatch, capsys, ["centre", "staff", "add", "Lan", "--data-dir",
                                               str(tmp_path)], "4817\n")
    assert code == 0, err
    url = load_config(data_dir=tmp_path).centre_database_url
    assert StaffStore(make_engine(url)).get("Lan") is not None


@pytest.mark.parametrize("again, code, says", [(b"5821", 0, b"added Lan"),
                                               (b"5812", 2, b"the two PINs differ")])
def test_pin_asked_twice_at_a_terminal(url: str, again: bytes, code: int, says: bytes) -> None:
    """At a terminal the PIN is asked twice without echo (getpass on a real pty)."""
    import fcntl
    import os
    import pty
    import termios

    def read_until(fd: int, text: bytes) -> bytes:
        seen = b""
        while text not in seen:
            chunk = os.read(fd, 1024)  # blocks until the prompt arrives
            assert chunk, seen
            seen += chunk
        return seen

    leader, follower = pty.openpty()

    def own_terminal() -> None:
        os.setsid()
        fcntl.ioctl(follower, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "centre", "staff", "add", "Lan",
                             "--url", url], stdin=follower, stdout=follower, stderr=follower,
                            preexec_fn=own_terminal, close_fds=True)
    os.close(follower)
    try:
        read_until(leader, b"PIN (4-8 digits): ")
        os.write(leader, b"5821\n")
        read_until(leader, b"PIN again: ")
        os.write(leader, again + b"\n")
        output = read_until(leader, says)
        assert proc.wait(timeout=60) == code
    finally:
        os.close(leader)
        if proc.poll() is None:
            proc.kill()
    assert b"5821" not in output  # never echoed
    from kiosk.store import open_database

    member = StaffStore(open_database(url)).get("Lan")
    assert (member is not None and verify_pin("5821", member.pin_hash)) == (code == 0)
