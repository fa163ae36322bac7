"""Running unattended (kiosk/lifecycle.py, kiosk/ui/lifecycle.py, `kiosk install-service`).

The messages go to a real notify socket bound here, as systemd's would be; the kiosk runs
as a real process (one Kivy window each, so a few processes, each checking several things)
and is stopped with real signals. Waits are for conditions, with generous bounds: these
processes run on a machine that may be loaded.
"""

from __future__ import annotations

import logging
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.config import ConfigError, load_config
from kiosk.lifecycle import (
    RESTART_EXIT_CODE,
    JournalFormatter,
    NightlyRestart,
    logging_to_journal,
    parse_quiet_hour,
    report_healthy,
    sd_notify,
    watchdog_interval,
    write_pid_file,
)
from kiosk.paths import ROOT

BOUND = 180.0  # seconds any one condition may take on a loaded machine
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class NotifySocket:
    """The service manager's end: a bound AF_UNIX datagram socket ("@name": abstract),
    every message kept with its arrival order."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.messages: list[str] = []
        self._cond = threading.Condition()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self._sock.settimeout(0.2)
        self._open = True
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while self._open:
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._cond:
                self.messages.append(data.decode())
                self._cond.notify_all()

    def wait_for(self, what: str, condition: Callable[[list[str]], bool],
                 bound: float = BOUND) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: condition(self.messages), bound):
                raise AssertionError(f"no {what} within {bound} s: {self.messages[-10:]}")

    def index(self, text: str, start: int = 0) -> int:
        """Where the first message holding the line `text` (from `start`) is; -1 if none."""
        with self._cond:
            return next((i for i, m in enumerate(self.messages) if i >= start
                         and text in m.split("\n")), -1)

    def count(self, text: str, start: int = 0, end: int | None = None) -> int:
        with self._cond:
            return sum(text in m.split("\n") for m in self.messages[start:end])

    def close(self) -> None:
        self._open = False
        self._sock.close()


@pytest.fixture
def notify(tmp_path: Path):  # type: ignore[no-untyped-def]
    sock = NotifySocket(f"@kiosk-test-{uuid.uuid4().hex}")
    yield sock
    sock.close()


def start_kiosk(args: list[str], env: dict[str, str], log: Path,
                prefix: Sequence[str] = ()) -> subprocess.Popen:
    return subprocess.Popen([*prefix, sys.executable, "-m", "kiosk", *args], cwd=ROOT,
                            env={**os.environ, **env}, stdin=subprocess.DEVNULL,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)


@contextmanager
def ending(proc: subprocess.Popen) -> Iterator[subprocess.Popen]:
    """`proc`, killed at the end if a failed check left it running."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def wait_exit(proc: subprocess.Popen, log: Path) -> int:
    try:
        return proc.wait(BOUND)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("the kiosk did not stop:\n"
                             + log.read_text(errors="replace")[-3000:]) from None


def wait_until(condition: Callable[[], bool], what: str, bound: float = BOUND) -> None:
    stop = threading.Event()
    deadline = time.monotonic() + bound
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} within {bound} s")
        stop.wait(0.05)


# -- sd_notify and friends, without Kivy -------------------------------------------------
def test_sd_notify_reaches_a_path_and_an_abstract_socket(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for address in (str(tmp_path / "notify"), f"@kiosk-unit-{uuid.uuid4().hex}"):
        sock = NotifySocket(address)
        try:
            monkeypatch.setenv("NOTIFY_SOCKET", address)
            assert sd_notify("STATUS=hello")
            sock.wait_for("message", lambda m: "STATUS=hello" in m)
        finally:
            sock.close()
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "nobody-listens"))
    assert not sd_notify("READY=1")  # logged, never raised: the kiosk runs on
    monkeypatch.delenv("NOTIFY_SOCKET")
    assert not sd_notify("READY=1")


def test_watchdog_interval_is_half_of_what_systemd_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert watchdog_interval() is None
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    assert watchdog_interval() == 15.0
    for pid in (os.getpid(), os.getppid()):  # ours, or the launcher's that started us
        monkeypatch.setenv("WATCHDOG_PID", str(pid))
        assert watchdog_interval() == 15.0
    # A process systemd does not watch, not one of ours: no pings from here.
    child = subprocess.Popen(["sleep", "30"])
    try:
        monkeypatch.setenv("WATCHDOG_PID", str(child.pid))
        assert watchdog_interval() is None
    finally:
        child.kill()
        child.wait()
    for bad in ("0", "-5", "abc", "１２"):
        monkeypatch.setenv("WATCHDOG_USEC", bad)
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
        assert watchdog_interval() is None


@given(usec=st.text(max_size=12), pid=st.text(max_size=8), stream=st.text(max_size=24))
def test_what_systemd_puts_in_the_environment_never_breaks_the_kiosk(usec: str, pid: str,
                                                                   stream: str) -> None:
    """WATCHDOG_USEC, WATCHDOG_PID and JOURNAL_STREAM are read, never trusted."""
    names = ("WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM")
    saved = {name: os.environ.get(name) for name in names}
    try:
        for name, value in zip(names, (usec, pid, stream), strict=True):
            if "\0" in value:
                return  # no environment variable can hold one
            os.environ[name] = value
        interval = watchdog_interval()
        assert interval is None or (interval > 0 and usec.isdigit())
        assert not logging_to_journal() or stream.count(":") == 1
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def test_healthy_says_ready_and_writes_the_health_file_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, notify: NotifySocket) -> None:
    health = tmp_path / "launcher" / "healthy"
    monkeypatch.setenv("NOTIFY_SOCKET", notify.address)
    monkeypatch.setenv("KIOSK_HEALTH_FILE", str(health))
    report_healthy()
    notify.wait_for("READY=1", lambda m: any("READY=1" in x.split("\n") for x in m))
    assert f"pid={os.getpid()}" in health.read_text()
    assert [p.name for p in health.parent.iterdir()] == ["healthy"]  # no temporary left
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(tmp_path / "run"))
    (tmp_path / "run").mkdir()
    # Under the launcher (the health file is set) ExecStop signals it first, then us.
    assert write_pid_file().read_text().split() == [str(os.getppid()), str(os.getpid())]


@given(st.text(max_size=8))
def test_quiet_hour_parses_only_hh_mm(text: str) -> None:
    try:
        hour, minute = parse_quiet_hour(text)
    except ValueError:
        assert not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", text)
    else:
        assert f"{hour:02d}:{minute:02d}" == text


def test_nightly_restart_is_due_once_after_the_quiet_hour() -> None:
    started = datetime(2026, 11, 29, 14, 0, tzinfo=TZ)
    nightly = NightlyRestart("03:30", TZ, started=started)
    assert not nightly.due(datetime(2026, 11, 29, 23, 59, tzinfo=TZ))
    assert not nightly.due(datetime(2026, 11, 30, 3, 29, tzinfo=TZ))
    assert nightly.due(datetime(2026, 11, 30, 3, 30, tzinfo=TZ))
    # Busy at the hour: due at the next idle moment, not in the afternoon.
    assert nightly.due(datetime(2026, 11, 30, 6, 0, tzinfo=TZ))
    assert not nightly.due(datetime(2026, 11, 30, 12, 0, tzinfo=TZ))
    # The same instant seen from UTC.
    assert nightly.due(datetime(2026, 11, 29, 20, 31, tzinfo=ZoneInfo("UTC")))
    # The process started after the restart: not due again until the next night.
    again = NightlyRestart("03:30", TZ, started=datetime(2026, 11, 30, 3, 30, 5, tzinfo=TZ))
    assert not again.due(datetime(2026, 11, 30, 4, 0, tzinfo=TZ))
    assert again.due(datetime(2026, 12, 1, 3, 31, tzinfo=TZ))


def test_the_restart_exit_code_is_the_one_the_launcher_knows() -> None:
    # Defined twice: importing the launcher would slow the kiosk's start by ~0.1 s.
    from kiosk.bundles.launcher import RESTART_EXIT_CODE as LAUNCHER_RESTART

    assert RESTART_EXIT_CODE == LAUNCHER_RESTART == 75


def test_nightly_restart_in_the_config(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[kiosk]\nnightly_restart = "03:30"\n', encoding="utf-8")
    assert load_config(config).nightly_restart == "03:30"
    assert load_config().nightly_restart == ""
    for bad in ('"3:30"', '"25:00"', "330", '"03:30:00"'):
        config.write_text(f"[kiosk]\nnightly_restart = {bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match="kiosk.nightly_restart"):
            load_config(config)


def test_logs_to_journald_carry_priorities_and_no_time(tmp_path: Path) -> None:
    """With stderr on the journal's stream (JOURNAL_STREAM names it), a real `kiosk`
    process logs '<N>name: message' lines; on a terminal or a file, the usual format."""
    script = ("import logging, os, sys\n"
              "st = os.fstat(2); os.environ['JOURNAL_STREAM'] = f'{st.st_dev}:{st.st_ino}'\n"
              "if sys.argv[1] == 'other': os.environ['JOURNAL_STREAM'] = '1:2'\n"
              "from kiosk.commands import setup_logging\n"
              "setup_logging(); log = logging.getLogger('kiosk.test')\n"
              "log.info('ready'); log.warning('paper low'); log.error('no printer')\n")
    out = {}
    for case in ("journal", "other"):
        err = tmp_path / f"{case}.err"
        with err.open("wb") as stderr:
            subprocess.run([sys.executable, "-c", script, case], cwd=ROOT, stderr=stderr,
                           check=True, timeout=BOUND)
        out[case] = err.read_text().splitlines()
    assert out["journal"] == ["<6>kiosk.test: ready", "<4>kiosk.test: paper low",
                              "<3>kiosk.test: no printer"]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO kiosk.test: ready$",
                    out["other"][0])
    record = logging.LogRecord("k", logging.ERROR, "", 0, "a\nb", (), None)
    assert JournalFormatter().format(record) == "<3>k: a\n<3>b"
    assert not logging_to_journal()  # pytest's stderr is no journal


# -- the systemd unit ---------------------------------------------------------------------
def test_install_service_writes_a_unit_systemd_accepts(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is missing (Debian package systemd; setup.sh installs it)")
    config = tmp_path / "my kiosk.toml"  # a space: quoted for systemd
    config.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    user = pwd.getpwuid(os.getuid()).pw_name
    units = tmp_path / "units"
    units.mkdir()
    done = subprocess.run([sys.executable, "-m", "kiosk", "install-service", "--user", user,
                           "--config", str(config), "--unit-dir", str(units)], cwd=ROOT,
                          capture_output=True, text=True, timeout=BOUND)
    assert done.returncode == 0, done.stderr
    unit = (units / "lobby-kiosk.service").read_text()
    kiosk = Path(sys.executable).parent / "kiosk"
    exec_start = re.search(r"^ExecStart=(.*)$", unit, re.MULTILINE)[1]  # type: ignore[index]
    assert exec_start.endswith(f'{kiosk if kiosk.exists() else "-m kiosk"} launch '
                               f'--config "{config}"'), exec_start
    for line in ("Type=notify", "NotifyAccess=all", "WatchdogSec=30", "Restart=always",
                 f"User={user}", "StandardError=journal"):
        assert line in unit.splitlines()
    verified = subprocess.run(["systemd-analyze", "verify", str(units / "lobby-kiosk.service")],
                              capture_output=True, text=True, timeout=BOUND)
    if shutil.which("cage") is None and "cage is not executable" in verified.stderr:
        pytest.skip("cage is missing: the unit's ExecStart cannot be checked")
    # Not only its exit code: an unknown key or a bad value is a warning on stderr.
    assert verified.returncode == 0 and verified.stderr == "", verified.stderr


def test_install_service_refuses_in_one_line(tmp_path: Path) -> None:
    cases = [(["--user", "no-such-user-here", "--unit-dir", str(tmp_path)], "does not exist"),
             (["--config", str(tmp_path / "missing.toml"), "--dry-run"], "missing.toml")]
    for args, says in cases:
        done = subprocess.run([sys.executable, "-m", "kiosk", "install-service", *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=BOUND)
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.splitlines()) == 1 and says in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    assert not list(tmp_path.iterdir())


# -- the kiosk's own process ---------------------------------------------------------------
def start_xvfb(size: str) -> tuple[subprocess.Popen, str]:
    """A bare X server (no window manager) on a free display; black where nothing draws."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size}x24",
                             "-br", "-nolisten", "tcp"], pass_fds=[write],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as answer:
        number = answer.readline().strip()
    assert number.isdigit(), "Xvfb did not start"
    return xvfb, f":{number}"


def covered(display: str, size: tuple[int, int]) -> bool:
    """The kiosk fills the screen, laid out for it: no bare (black) screen shows anywhere,
    and the navigation bar sits on the screen's bottom edge, coloured like the header."""
    from PIL import ImageGrab

    shot = ImageGrab.grab(xdisplay=display).convert("RGB")
    if shot.size != size or (0, 0, 0) in {shot.getpixel((x, y)) for x in range(0, size[0], 8)
                                          for y in range(0, size[1], 8)}:
        return False
    header = shot.getpixel((2, 2))
    return header != shot.getpixel((10, size[1] // 2)) and any(
        shot.getpixel((x, size[1] - 20)) == header for x in range(0, size[0], 10))


def test_fullscreen_on_bare_x_ready_watchdog_and_sigint(tmp_path: Path,
                                                        notify: NotifySocket) -> None:
    """`kiosk simulate --fullscreen` on an X server without a window manager fills the
    screen; READY=1 once usable (and the launcher's health file), watchdog pings from the
    main loop, and Ctrl+C (SIGINT) stops it: STOPPING=1, exit code 0."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is missing (Debian package xvfb; setup.sh installs it)")
    xvfb, display = start_xvfb("1920x1080")
    log = tmp_path / "kiosk.log"
    health = tmp_path / "healthy"
    try:
        proc = start_kiosk(["simulate", "--fullscreen", "--data-dir", str(tmp_path / "data")],
                           {"DISPLAY": display, "NOTIFY_SOCKET": notify.address,
                            "WATCHDOG_USEC": "1000000", "KIOSK_HEALTH_FILE": str(health)}, log)
        with ending(proc):
            notify.wait_for("READY=1", lambda m: notify.index("READY=1") >= 0)
            assert f"pid={proc.pid}" in health.read_text()
            ready = notify.index("READY=1")
            notify.wait_for("3 watchdog pings after READY",
                            lambda m: notify.count("WATCHDOG=1", ready) >= 3)
            assert "ready: window 1920x1080" in log.read_text()
            wait_until(lambda: covered(display, (1920, 1080)), "fullscreen")
            proc.send_signal(signal.SIGINT)
            assert wait_exit(proc, log) == 0, log.read_text()[-3000:]
    finally:
        xvfb.terminate()
        xvfb.wait(BOUND)
    assert notify.index("STOPPING=1", ready) > ready
    assert "Traceback" not in log.read_text()


def test_sigterm_finishes_the_ticket_being_printed(tmp_path: Path, notify: NotifySocket) -> None:
    """`systemctl stop` while a ticket prints on a slow serial-speed printer: the ticket
    is printed whole and recorded as printed, then the fullscreen kiosk exits 0."""
    from drivers.printer import decode_job
    from drivers.sim import SimPrinter
    from kiosk.store import TicketStore
    from kiosk.store.db import open_database_file

    data = tmp_path / "data"
    log = tmp_path / "kiosk.log"
    # A ticket is about 4 KB: 4 s at 9600 baud, well inside the 15 s a stop waits even when a
    # loaded machine slows the kiosk (at 4800 baud, 8 s, a loaded CI run once ran it out).
    with SimPrinter(jobs_dir=tmp_path / "jobs", baudrate=9600) as printer:
        config = tmp_path / "kiosk.toml"
        config.write_text(f'[kiosk]\nfullscreen = true\ndata_dir = "{data}"\n'
                          f'[devices]\nprinter = "{printer.url}"\n', encoding="utf-8")
        proc = start_kiosk(["run", "--config", str(config)],
                           {"NOTIFY_SOCKET": notify.address, "KIOSK_TEST_TAKE_NUMBER": "A"}, log)
        with ending(proc):
            notify.wait_for("a number taken", lambda m: notify.index(
                "STATUS=test: taking a number for A") >= 0)
            # The ticket's first bytes are through (the status polls before it, a dozen
            # bytes a second, are held off while it prints).
            before = printer.bytes_received
            wait_until(lambda: printer.bytes_received > before + 300, "printing")
            proc.terminate()
            assert not printer.jobs
            assert wait_exit(proc, log) == 0, log.read_text()[-3000:]
        jobs = printer.jobs
    # The kiosk said why it did not stop at once.
    assert notify.index("STATUS=stopping: finishing the ticket being issued") > \
        notify.index("READY=1")
    store = TicketStore(open_database_file(data / "kiosk.sqlite3"))
    tickets = store.tickets_of_day(load_config(config).now().date())
    assert [(t.number, t.status) for t in tickets] == [("A001", "printed")], tickets
    # Printed whole: every byte of the job up to its cut, the ticket's own QR code.
    assert len(jobs) == 1, len(jobs)
    printed = decode_job(jobs[0])
    assert not printed.incomplete and len(printed.cuts) == 1
    assert printed.qr_payloads == [tickets[0].id.encode()]
    assert "Traceback" not in log.read_text()


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_under_the_launcher_crash_reload_and_stop(tmp_path: Path,
                                                         notify: NotifySocket) -> None:
    """The unit's chain: systemd's WATCHDOG_PID names `kiosk launch`, the kiosk pings for
    it; kill -9 the kiosk and the launcher has it READY again; SIGHUP (the unit's reload)
    restarts an idle kiosk with exit code 75, and the launcher starts it again; SIGTERM to
    the launcher stops the kiosk cleanly (STOPPING=1) and the launcher exits 0."""
    from drivers.sim import SimPrinter

    log = tmp_path / "launch.log"
    with SimPrinter() as printer:
        config = tmp_path / "kiosk.toml"
        config.write_text(f'[kiosk]\nfullscreen = false\ndata_dir = "{tmp_path / "data"}"\n'
                          f'[devices]\nprinter = "{printer.url}"\n', encoding="utf-8")
        # As systemd starts the unit's main process: WATCHDOG_PID is its own pid.
        proc = start_kiosk(["launch", "--config", str(config)],
                           {"NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "1000000"},
                           log, prefix=["sh", "-c", 'WATCHDOG_PID=$$ exec "$@"', "sh"])
        with ending(proc):
            notify.wait_for("READY=1", lambda m: notify.index("READY=1") >= 0)
            first = notify.index("READY=1")
            notify.wait_for("a ping", lambda m: notify.count("WATCHDOG=1", first) >= 1)
            [kiosk] = children(proc.pid)
            os.kill(kiosk, signal.SIGKILL)
            notify.wait_for("READY=1 again", lambda m: notify.index("READY=1", first + 1) > 0)
            again = notify.index("READY=1", first + 1)
            [kiosk] = children(proc.pid)
            # `systemctl reload`: the idle kiosk restarts (exit code 75), the launcher at once.
            os.kill(kiosk, signal.SIGHUP)
            notify.wait_for("READY=1 after the restart",
                            lambda m: notify.index("READY=1", again + 1) > 0)
            third = notify.index("READY=1", again + 1)
            assert again < notify.index("STOPPING=1", again) < third
            assert "kiosk asked to be started again (exit code 75)" in log.read_text()
            proc.terminate()
            assert wait_exit(proc, log) == 0, log.read_text()[-3000:]
    assert notify.index("STOPPING=1", third) > third
    assert "Traceback" not in log.read_text()


def test_a_frozen_main_loop_stops_the_watchdog_pings(tmp_path: Path,
                                                    notify: NotifySocket) -> None:
    """The pings come from the Kivy clock: once a callback blocks it, none come, and
    systemd (WatchdogSec) kills and restarts the kiosk."""
    log = tmp_path / "kiosk.log"
    proc = start_kiosk(["simulate", "--windowed", "--data-dir", str(tmp_path / "data")],
                       {"NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "400000",
                        "KIOSK_TEST_FREEZE_AFTER": "1"}, log)
    try:
        notify.wait_for("READY=1", lambda m: notify.index("READY=1") >= 0)
        notify.wait_for("the freeze", lambda m: notify.index("STATUS=test: main loop frozen") >= 0)
        ready, frozen = notify.index("READY=1"), notify.index("STATUS=test: main loop frozen")
        assert notify.count("WATCHDOG=1", ready, frozen) >= 1  # pinging until then
        # Ten watchdog intervals (0.2 s): no ping after the freeze. (A wait for something
        # that must not happen: its length is the test's claim, not a synchronisation.)
        threading.Event().wait(2.0)
        assert notify.count("WATCHDOG=1", frozen) == 0, notify.messages[frozen:]
    finally:
        proc.kill()  # as systemd's watchdog would (SIGABRT, then SIGKILL)
        proc.wait()


def test_under_cage(tmp_path: Path, notify: NotifySocket) -> None:
    """Under cage (the Wayland kiosk compositor, on its headless backend: 1280x720) the
    kiosk draws through XWayland, fills the output, and stops on SIGTERM with exit 0."""
    for program in ("cage", "Xwayland"):
        if shutil.which(program) is None:
            pytest.skip(f"{program} is missing (Debian packages cage xwayland)")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    pid_file, code_file, log = tmp_path / "pid", tmp_path / "code", tmp_path / "kiosk.log"
    # cage refuses to run as root: as root, a user namespace shows it another uid.
    prefix = (["unshare", "--map-user=1000", "--map-group=1000"] if os.geteuid() == 0 else [])
    if prefix and subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        pytest.skip("running as root, and no user namespace to run cage in (unshare failed)")
    shell = '"$@" & echo $! > "$0"; wait $!; echo $? > "$0.code"'
    proc = subprocess.Popen(
        [*prefix, "cage", "--", "sh", "-c", shell.replace("$0.code", str(code_file)),
         str(pid_file), sys.executable, "-m", "kiosk", "simulate", "--fullscreen",
         "--data-dir", str(tmp_path / "data")],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime), "WLR_BACKENDS": "headless",
             "WLR_LIBINPUT_NO_DEVICES": "1", "WLR_RENDERER": "pixman",
             "NOTIFY_SOCKET": notify.address})
    with ending(proc):
        notify.wait_for("READY=1", lambda m: notify.index("READY=1") >= 0)
        assert "ready: window 1280x720" in log.read_text(), log.read_text()[-3000:]
        os.kill(int(pid_file.read_text()), signal.SIGTERM)
        wait_exit(proc, log)
    assert code_file.read_text().strip() == "0", log.read_text()[-3000:]
    assert notify.index("STOPPING=1") > notify.index("READY=1")

