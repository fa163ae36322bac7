"""A staff mistake with the data folder, the database or a command's input: one line on
stderr and exit code 2, never a traceback (README, "Staff commands")."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.paths import ROOT

# Run as root, the command loses the powers that pass over file modes, so that they bite.
WITHOUT_ROOTS_POWERS = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def kiosk(*args: str, stdin: bytes = b"", modes_bite: bool = False,
          file_size_limit: int | None = None) -> subprocess.CompletedProcess[str]:
    """`kiosk ARGS` in a fresh process, as a staff member would run it."""
    def limit_file_size() -> None:
        # A full disk: writes past the limit fail with EFBIG instead of killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    prefix = WITHOUT_ROOTS_POWERS if modes_bite and os.geteuid() == 0 else []
    return subprocess.run(
        [*prefix, sys.executable, "-m", "kiosk", *args], input=stdin, cwd=ROOT,
        capture_output=True, timeout=120,
        preexec_fn=limit_file_size if file_size_limit is not None else None)


def assert_staff_mistake(result: subprocess.CompletedProcess, *words: str) -> str:
    err = result.stderr.decode()
    assert "Traceback" not in err, err
    assert result.returncode == 2, err
    assert err.startswith("kiosk: error: ") and err.count("\n") == 1, err
    for word in words:
        assert word in err, err
    return err


def issue(data_dir: Path, **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    # An unreachable printer: the number is issued, not printed (exit 1), quickly.
    return kiosk("--data-dir", str(data_dir), "ticket", "--service", "A",
                 "--printer", "tcp://127.0.0.1:9", **kw)


def test_a_data_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    assert_staff_mistake(issue(tmp_path / "data"), str(tmp_path / "data"))


def test_a_data_dir_that_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    assert_staff_mistake(issue(tmp_path / "file" / "data"), "data")


def test_an_unwritable_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o555)
    data.chmod(0o555)
    assert_staff_mistake(issue(data, modes_bite=True), str(data))


def test_an_unreadable_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0)
    assert_staff_mistake(issue(data, modes_bite=True), str(data))


def test_a_read_only_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert issue(data).returncode == 1  # made, by its owner: one number, not printed
    for f in data.iterdir():
        f.chmod(0o444)
    data.chmod(0o555)
    assert_staff_mistake(issue(data, modes_bite=True), "database")


def test_a_database_of_garbage_bytes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "kiosk.sqlite3").write_bytes(os.urandom(8192))
    assert_staff_mistake(issue(data), "kiosk.sqlite3", "not a database")


def test_a_database_of_another_schema(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "kiosk.sqlite3") as db:
        db.execute("CREATE TABLE tickets (id TEXT PRIMARY KEY, colour TEXT)")
    assert_staff_mistake(issue(data), "kiosk.sqlite3", "tickets")


def test_a_full_disk(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert issue(data).returncode == 1
    db = data / "kiosk.sqlite3"
    assert_staff_mistake(issue(data, file_size_limit=4096), "kiosk.sqlite3")
    # The database is still whole: one number, from the first run.
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM tickets").fetchone() == (1,)


def test_a_nul_in_the_configured_data_dir(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[kiosk]\ndata_dir = "/tmp/a\\u0000b"\n')
    assert_staff_mistake(kiosk("--config", str(config), "ticket", "--service", "A"),
                         "kiosk.data_dir")


def test_sim_printer_jobs_in_a_folder_that_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    assert_staff_mistake(kiosk("sim", "printer", "--listen", "127.0.0.1:0",
                               "--jobs", str(tmp_path / "file" / "jobs")), "--jobs")


def test_decode_a_broken_url() -> None:
    result = kiosk("decode", stdin=b"http://[x")
    assert result.returncode == 0, result.stderr
    assert b"unknown" in result.stdout


def test_print_preview_of_a_zero_size_raster(tmp_path: Path) -> None:
    job = tmp_path / "zero.bin"
    job.write_bytes(b"\x1dv0\x03\x01\x00\x00\x00")
    assert_staff_mistake(kiosk("print-preview", str(job), "--png", str(tmp_path / "z.png")),
                         "zero.bin")


def next_number(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Issues one ticket (printer unreachable: not printed) and returns its number. In this
    process: only the bad URL's answer needs a fresh one (a second each under load)."""
    assert main(["--data-dir", str(data_dir), "ticket", "--service", "A", "--json",
                 "--printer", "tcp://127.0.0.1:9"]) == 1
    return json.loads(capsys.readouterr().out)["number"]


@pytest.mark.parametrize("url", ["nonsense", "tcp://", ":99999", "ftp://x",
                                 "tcp://127.0.0.1:99999"])
def test_a_bad_printer_url_uses_up_no_number(tmp_path: Path, url: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    assert next_number(data, capsys) == "A001"
    assert_staff_mistake(kiosk("--data-dir", str(data), "ticket", "--service", "A",
                               "--printer", url), "--printer")
    assert next_number(data, capsys) == "A002"


def test_the_data_is_private_to_the_kiosk_user(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    # In this process, so that the database stays open with its -wal and -shm files.
    assert main(["--data-dir", str(data), "ticket", "--service", "A",
                 "--printer", "tcp://127.0.0.1:9"]) == 1
    assert "A001" in capsys.readouterr().err
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in data.iterdir()}
    assert {"kiosk.sqlite3", "kiosk.sqlite3-wal", "kiosk.sqlite3-shm"} <= modes.keys()
    assert modes == dict.fromkeys(modes, 0o600)


def test_a_ticket_killed_before_its_outcome_is_resolved_at_the_next_start(
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    # A printer that takes the connection and never answers: the process is stuck after
    # the number is committed (write-ahead: before the printer is asked) and is killed.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        silent.settimeout(60)
        stuck = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "--data-dir", str(data), "ticket", "--service",
             "A", "--printer", f"tcp://127.0.0.1:{silent.getsockname()[1]}"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        connection = None
        try:
            connection, _ = silent.accept()
        finally:
            # Killed while the connection is still open: closing it first would let the
            # process see the printer go and record "shown_not_printed" before the kill.
            stuck.send_signal(signal.SIGKILL)
            stuck.wait(30)
            if connection is not None:
                connection.close()
    with sqlite3.connect(data / "kiosk.sqlite3") as db:
        assert db.execute("SELECT number, status FROM tickets").fetchall() == [
            ("A001", "allocated")]
    result = kiosk("--data-dir", str(data), "ticket", "--service", "A", "--json",
                   "--printer", "tcp://127.0.0.1:9")
    ticket = json.loads(result.stdout)
    # Nobody may be holding A001: it is not counted ahead of A002.
    assert (ticket["number"], ticket["people_ahead"]) == ("A002", 0)
    assert "A001" in result.stderr.decode() and "interrupted" in result.stderr.decode()
    with sqlite3.connect(data / "kiosk.sqlite3") as db:
        status, error = db.execute(
            "SELECT status, print_error FROM tickets WHERE number = 'A001'").fetchone()
    assert status == "interrupted"
    assert "may have printed" in error and "found at 20" in error
    # Staff see it among the day's numbers, told apart from the one that was not printed.
    listing = json.loads(kiosk("--data-dir", str(data), "tickets", "--json").stdout)
    assert [(t["number"], t["status"]) for t in listing["tickets"]] == [
        ("A001", "interrupted"), ("A002", "shown_not_printed")]
    assert listing["counts"] == {"interrupted": 1, "shown_not_printed": 1}
    text = kiosk("--data-dir", str(data), "tickets").stdout.decode()
    assert "A001" in text and "interrupted" in text and "may have printed" in text
