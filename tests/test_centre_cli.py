"""`kiosk centre …` and `kiosk counter …` as staff type them: what they print, and one
line with exit code 2 for bad input (docs/architecture.md, Centre)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kiosk.cli import main


def write_config(tmp_path: Path, extra: str = "", db_url: str = "") -> Path:
    path = tmp_path / "centre.toml"
    state = tmp_path / "state"
    path.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n'
                    f'[centre_service]\nstate_dir = "{state}"\ndatabase = "{db_url}"\n'
                    + extra, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kiosk: error: "), err
    return lines[0]


def test_init_prints_the_fingerprint_and_keeps_the_ca_when_run_again(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(write_config(tmp_path))
    code, out, _ = run(capsys, "centre", "init", "--config", cfg)
    assert code == 0 and "made a new certificate authority" in out
    fingerprint = out.split("CA fingerprint (SHA-256): ")[1].strip()
    code, out, _ = run(capsys, "centre", "init", "--config", cfg)
    assert code == 0 and "kept its certificate authority" in out and fingerprint in out
    assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700


def test_enrol_list_and_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(write_config(tmp_path))
    run(capsys, "centre", "init", "--config", cfg)
    code, out, _ = run(capsys, "centre", "enrol", "--config", cfg, "--kind", "kiosk",
                       "--name", "kiosk-1")
    assert code == 0 and "Valid once" in out and "CA fingerprint" in out
    code_text = out.split(": ")[1].split()[0]
    assert len(code_text) == 19 and code_text.count("-") == 3
    code, out, _ = run(capsys, "centre", "terminals", "--config", cfg, "--json")
    assert [(t["name"], t["state"]) for t in json.loads(out)] == [("kiosk-1", "pending")]
    code, out, _ = run(capsys, "centre", "revoke", "--config", cfg, "kiosk-1")
    assert code == 0 and "enrolment code no longer works" in out
    code, out, _ = run(capsys, "centre", "terminals", "--config", cfg)
    assert code == 0 and "No terminals yet" in out


@pytest.mark.parametrize(("argv", "expected"), [
    (["centre", "enrol", "--kind", "printer", "--name", "p"], "invalid choice"),
    (["centre", "enrol", "--kind", "kiosk", "--name", "two words"], "--name 'two words'"),
    (["centre", "enrol", "--kind", "kiosk", "--name", "x" * 65], "at most 64"),
    (["centre", "revoke", "nobody"], "no terminal named 'nobody'"),
    (["centre", "serve", "--listen", "nowhere"], "HOST:PORT"),
    (["centre", "serve", "--listen", "127.0.0.1:70000"], "port from 1 to 65535"),
    (["centre", "serve"], "run `kiosk centre init` first"),
    (["counter", "call"], "--counter"),
    (["counter", "call", "--counter", "0"], "expected a counter number"),
    (["counter", "hop", "--counter", "1"], "invalid choice"),
    (["counter", "transfer", "--counter", "1"], "transfer needs --to"),
    (["counter", "call", "--counter", "1", "--to", "B"], "--to is for transfer"),
    (["counter", "transfer", "--counter", "1", "--to", "Z"], "not a configured service"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          argv: list[str], expected: str) -> None:
    cfg = str(write_config(tmp_path))
    code, _, err = run(capsys, *argv[:2], "--config", cfg, *argv[2:]) if argv[0] == "centre" \
        else run(capsys, argv[0], "--config", cfg, *argv[1:])
    assert code == 2 and expected in one_line_error(err)


@pytest.mark.parametrize(("table", "key"), [
    ('database = "mysql://root@db/kiosk"', "centre_service.database"),
    ('database = "postgresql://kiosk@db/kiosk"', "centre_service.database"),
    ('listen = "8443"', "centre_service.listen"),
    ('listen = "bad host:8443"', "centre_service.listen"),
    ("listen = 8443", "centre_service.listen"),
    ("hostnames = []", "centre_service.hostnames"),
    ('hostnames = ["centre lan"]', "centre_service.hostnames"),
    ('hostnames = ["10.0.0.999"]', "centre_service.hostnames"),
    ('hostname = ["centre.lan"]', "centre_service.hostname"),
    ('state_dir = 7', "centre_service.state_dir"),
])
def test_a_bad_centre_service_table_is_one_line_naming_the_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, key: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f"[centre_service]\n{table}\n", encoding="utf-8")
    code, _, err = run(capsys, "centre", "init", "--config", str(path))
    assert code == 2 and f"{path}: {key}: " in one_line_error(err)


def test_an_unreachable_database_is_one_line_without_its_password(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:  # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = str(write_config(tmp_path, db_url=f"postgresql+psycopg://kiosk:s3cret@127.0.0.1:"
                                            f"{port}/kiosk?connect_timeout=2"))
    code, _, err = run(capsys, "centre", "enrol", "--config", cfg, "--kind", "kiosk",
                       "--name", "kiosk-1")
    line = one_line_error(err)
    assert code == 2 and f"127.0.0.1:{port}" in line and "s3cret" not in line


def test_serve_answers_over_tls_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    from kiosk.centre.client import CentreClient

    cfg = str(write_config(tmp_path))
    assert main(["centre", "init", "--config", cfg]) == 0
    ca_pem = (tmp_path / "state" / "ca.pem").read_text()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "centre", "serve", "--config", cfg,
         "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    # Set when the service says it listens, or when its output ends (it failed to start).
    listening = threading.Event()
    log: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.append(line)
            if "ready on https://" in line:
                listening.set()
        listening.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert listening.wait(60) and proc.poll() is None, "".join(log)
        with CentreClient(f"https://127.0.0.1:{port}", ca_pem=ca_pem) as client:
            assert client.get("/api/health")["status"] == "ok"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, "".join(log)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(10)
    text = "".join(log)
    assert "Traceback" not in text and "shutdown" in text.lower()


def test_counter_commands_call_and_refuse_like_the_page(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], any_db_url: str) -> None:
    from kiosk.centre.serve import open_centre
    from kiosk.config import load_config

    path = write_config(tmp_path, db_url=any_db_url)
    cfg = str(path)
    code, out, err = run(capsys, "counter", "call", "--config", cfg, "--counter", "1")
    assert code == 1 and err.strip() == "kiosk: counter 1: no one waiting"
    code, out, _ = run(capsys, "counter", "call", "--config", cfg, "--counter", "1", "--json")
    assert code == 1 and json.loads(out)["error"] == "no one waiting"
    centre = open_centre(load_config(path))
    centre.store.allocate("A", "vi", centre.config.now())
    centre.engine.dispose()
    code, out, _ = run(capsys, "counter", "call", "--config", cfg, "--counter", "2", "--json")
    called = json.loads(out)
    assert code == 0 and (called["number"], called["counter"]) == ("A001", 2)
    code, out, _ = run(capsys, "counter", "served", "--config", cfg, "--counter", "2")
    assert code == 0 and out.strip() == "Counter 2: served A001 (served)"
    code, _, err = run(capsys, "counter", "call", "--config", cfg, "--counter", "99")
    assert code == 2 and "counter 99 is not one of this centre's counters" in one_line_error(err)


def test_serve_on_a_port_in_use_is_one_line(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(write_config(tmp_path))
    assert main(["centre", "init", "--config", cfg]) == 0
    capsys.readouterr()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run(capsys, "centre", "serve", "--config", cfg,
                           "--listen", f"127.0.0.1:{port}")
    assert code == 2 and f"cannot listen on 127.0.0.1:{port}" in one_line_error(err)
