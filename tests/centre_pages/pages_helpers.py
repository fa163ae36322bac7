"""What the page tests share: a real uvicorn server over TLS in a process of its own
(serve_pages.py, forked from one that has done its imports), which a test can kill and
start again on the same port, and signing in."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
START_BOUND = 30.0  # seconds a server may take to answer; never expected to elapse
# Shortened in the test server (serve_pages.py) so tests wait seconds, not minutes.
HEARTBEAT = 0.5
STALE_AFTER = 2.0
RETRY_MS = 200  # EventSource's wait before reconnecting to a centre that went away (2 s)
PIN = "4817"
STAFF = "Nguyễn Thị Lan"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key (PEM files)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kiosk centre test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _ForkServer:
    """`serve_pages.py --fork-server`, started with the first server and ended when the
    tests end (its stdin closes): each server is a fork of it, already past its imports."""

    def __init__(self) -> None:
        import atexit
        import tempfile

        self.errors = tempfile.TemporaryFile()  # its own failures; each server has a log
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "serve_pages.py"), "--fork-server"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors, text=True,
            cwd=ROOT)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        assert self.stdout.readline() == "ready\n", self.failure()
        atexit.register(self.close)

    def failure(self) -> str:
        self.errors.seek(0)
        return self.errors.read().decode(errors="replace")

    def fork(self, log: Path, argv: list[str]) -> Forked:
        self.stdin.write(json.dumps([str(log), *argv]) + "\n")
        self.stdin.flush()
        line = self.stdout.readline()
        assert line.strip().isdigit(), self.failure()
        return Forked(int(line))

    def close(self) -> None:
        self.stdin.close()
        self.proc.wait(START_BOUND)


_fork_server: _ForkServer | None = None


@dataclass
class Forked:
    """A server forked by the fork server (not our child: it reaps it)."""

    pid: int

    def poll(self) -> int | None:
        """None while it runs (the fork server reaps it as soon as it ends)."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return -1
        return None

    def kill(self) -> None:
        """SIGKILL, and back once it is gone."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        deadline = time.monotonic() + START_BOUND
        while self.poll() is None:
            assert time.monotonic() < deadline, f"server {self.pid} outlived SIGKILL"
            time.sleep(0.01)  # polling for the fork server to reap it, bounded above


@dataclass
class CentreServer:
    """`serve_pages.py` on a port of its own: start(), kill() (as a crash would), start()."""

    db_url: str
    tls: tuple[Path, Path]
    log: Path
    options: list[str] = field(default_factory=list)
    heartbeat: float = HEARTBEAT
    stale_after: float = STALE_AFTER
    retry_ms: int = RETRY_MS
    port: int = field(default_factory=free_port)
    process: Forked | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> CentreServer:
        global _fork_server
        if _fork_server is None:
            _fork_server = _ForkServer()
        cert, key = self.tls
        self.process = _fork_server.fork(self.log, [
            "--db", self.db_url, "--port", str(self.port), "--cert", str(cert),
            "--key", str(key), "--heartbeat", str(self.heartbeat),
            "--stale-after", str(self.stale_after), "--retry-ms", str(self.retry_ms),
            *self.options])
        deadline = time.monotonic() + START_BOUND
        while True:
            assert self.process.poll() is None, self.log.read_text()
            try:
                httpx.get(f"{self.url}/static/live.js", verify=False, timeout=2)
                return self
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the centre server did not start"
                time.sleep(0.05)  # polling for the port to open, bounded above

    def kill(self) -> None:
        """Stops it at once (SIGKILL): open connections drop as in a crash."""
        if self.process and self.process.poll() is None:
            self.process.kill()


def prepare_database(url: str) -> None:
    """The centre's schema (as kiosk.centre.serve.open_centre_database makes it: the
    terminals' tables too) with one staff member."""
    import kiosk.store.terminals  # noqa: F401
    from kiosk.config import load_config
    from kiosk.pins import hash_pin
    from kiosk.store import open_database
    from kiosk.store.staff import StaffStore

    StaffStore(open_database(url)).add(STAFF, hash_pin(PIN), None, load_config().now())


def sign_in(page, server: CentreServer, next_page: str = "/counter/1",  # type: ignore[no-untyped-def]
            name: str = STAFF, pin: str = PIN) -> None:
    page.goto(f"{server.url}/staff/sign-in?next={next_page}")
    page.fill("#name", name)
    page.fill("#pin", pin)
    page.click("#submit")
