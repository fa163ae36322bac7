"""Running unattended: telling systemd how the kiosk is (sd_notify), the health file the
launcher waits for, the nightly restart's hour, and log lines fit for journald.

No library: sd_notify is one datagram on a Unix socket (systemd's sd_notify(3) protocol),
and this module must load without Kivy or systemd's Python bindings. The Kivy side (when to
say READY, pinging the watchdog from the Kivy clock, a clean stop on SIGTERM) is
kiosk/ui/lifecycle.py.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import tempfile
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

log = logging.getLogger(__name__)

# "Start me again now": a staff restart, the nightly restart, an update applied. The
# launcher (kiosk/bundles/launcher.py) and Restart=always both start the kiosk again at once.
RESTART_EXIT_CODE = 75
HEALTH_FILE_ENV = "KIOSK_HEALTH_FILE"
PID_FILE = "kiosk.pid"  # in $RUNTIME_DIRECTORY (assets/systemd/lobby-kiosk.service)


def sd_notify(message: str) -> bool:
    """Sends `message` ("READY=1", "WATCHDOG=1", "STATUS=…", several joined by newlines) to
    the service manager named by $NOTIFY_SOCKET; False when none is named or it cannot be
    reached (a kiosk started by hand runs the same, unsupervised)."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address or address[0] not in "/@":
        return False
    if address[0] == "@":
        address = "\0" + address[1:]  # a name in the abstract namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
    except OSError as exc:
        log.warning("service manager not told %r: %s", message.split("\n", 1)[0], exc)
        return False
    return True


def notify_ready(status: str = "ready") -> bool:
    return sd_notify(f"READY=1\nSTATUS={status}")


def notify_watchdog() -> bool:
    return sd_notify("WATCHDOG=1")


def notify_stopping(status: str = "stopping") -> bool:
    return sd_notify(f"STOPPING=1\nSTATUS={status}")


def notify_status(status: str) -> bool:
    return sd_notify(f"STATUS={status}")


def watchdog_interval() -> float | None:
    """Seconds between watchdog pings: half of $WATCHDOG_USEC, as sd_watchdog_enabled(3)
    advises; None when no watchdog is asked of this process.

    $WATCHDOG_PID names the process systemd watches: this one, or under the unit one that
    started it (the compositor, `kiosk launch`), which does not ping itself: the kiosk pings
    for it (the unit has NotifyAccess=all), so a frozen kiosk is what the watchdog catches.
    Any other process (a program the kiosk runs) is not asked."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    if not usec.isascii() or not usec.isdigit() or int(usec) == 0:
        return None
    pid = os.environ.get("WATCHDOG_PID", "")
    if pid and not (pid.isascii() and pid.isdigit() and int(pid) in _ancestry()):
        return None
    return int(usec) / 2e6


def _ancestry(depth: int = 8) -> list[int]:
    """This process and the ones that started it, nearest first (from /proc)."""
    pids = [os.getpid(), os.getppid()]
    while len(pids) < depth and pids[-1] > 1:
        try:
            stat = Path(f"/proc/{pids[-1]}/stat").read_text(encoding="ascii", errors="replace")
            pids.append(int(stat.rpartition(")")[2].split()[1]))
        except (OSError, ValueError, IndexError):
            break
    return pids


def report_healthy() -> None:
    """The kiosk is usable (first frame drawn, database opened, printer checked): READY=1
    to systemd and, for the launcher's trial of a new version, the file named by
    $KIOSK_HEALTH_FILE, created atomically so the launcher never reads half of it."""
    path = os.environ.get(HEALTH_FILE_ENV, "")
    if path:  # first: whoever hears READY=1 finds the file there
        try:
            write_atomically(Path(path), f"pid={os.getpid()}\nat={datetime.now().astimezone()}\n")
        except OSError as exc:
            log.error("health file %s not written: %s", path, exc)
    notify_ready()


def write_pid_file() -> Path | None:
    """Under systemd (RuntimeDirectory=), $RUNTIME_DIRECTORY/kiosk.pid names whom the
    unit's ExecStop signals, and waits for: the launcher if it started us (it then does not
    start us again), and this process last. None when not under systemd."""
    folder = os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
    if not folder:
        return None
    pids = ([os.getppid()] if os.environ.get(HEALTH_FILE_ENV) else []) + [os.getpid()]
    path = Path(folder) / PID_FILE
    try:
        write_atomically(path, " ".join(map(str, pids)) + "\n")
    except OSError as exc:
        log.error("pid file %s not written: %s", path, exc)
        return None
    return path


def write_atomically(path: Path, text: str) -> None:
    """`path` holds `text` or what it held before, never a part: a temporary file beside
    it, flushed to disk, renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def parse_quiet_hour(text: str) -> tuple[int, int]:
    """'HH:MM' (24-hour clock, e.g. '03:30') as (hour, minute); ValueError otherwise."""
    hour, sep, minute = text.partition(":")
    if not (sep and len(hour) == 2 and len(minute) == 2 and (hour + minute).isascii()
            and (hour + minute).isdigit() and int(hour) < 24 and int(minute) < 60):
        raise ValueError(f"expected a time like 03:30 (HH:MM, 24-hour), got {text!r}")
    return int(hour), int(minute)


class NightlyRestart:
    """The restart at the quiet hour `at` ('HH:MM', local time in `tz`): due once the hour
    has passed since this process started, for up to WINDOW afterwards (a kiosk busy at
    the hour restarts at its next idle moment, not in the middle of the next day). The
    restarted process starts after the hour, so it is due again only the next night."""

    WINDOW = timedelta(hours=3)

    def __init__(self, at: str, tz: tzinfo, started: datetime | None = None) -> None:
        self.hour, self.minute = parse_quiet_hour(at)
        self.tz = tz
        self.started = (started or datetime.now(tz)).astimezone(tz)

    def last_quiet_hour(self, now: datetime) -> datetime:
        """The latest moment at the quiet hour not after `now`."""
        local = now.astimezone(self.tz)
        day = local.date() if (local.hour, local.minute) >= (self.hour, self.minute) \
            else local.date() - timedelta(days=1)
        # Built from the date, not local.replace(): that day's offset at the hour, not now's.
        return datetime(day.year, day.month, day.day, self.hour, self.minute, tzinfo=self.tz)

    def due(self, now: datetime) -> bool:
        at = self.last_quiet_hour(now)
        return self.started < at and now - at <= self.WINDOW


# Syslog priorities journald reads from a "<N>" line prefix (sd-daemon(3)).
_PRIORITIES = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4),
               (logging.INFO, 6))


def logging_to_journal() -> bool:
    """Standard error is systemd's journal stream ($JOURNAL_STREAM names its device and
    inode), not a terminal or a file it was redirected to."""
    stream = os.environ.get("JOURNAL_STREAM", "")
    device, _, inode = stream.partition(":")
    try:
        info = os.fstat(sys.stderr.fileno())
        return (info.st_dev, info.st_ino) == (int(device), int(inode))
    except (ValueError, OSError, AttributeError):
        return False


class JournalFormatter(logging.Formatter):
    """'<3>kiosk.tickets: …': the priority for journald, no time (journald adds its own)."""

    def __init__(self) -> None:
        super().__init__("%(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        priority = next((p for level, p in _PRIORITIES if record.levelno >= level), 7)
        text = super().format(record)
        # A traceback's lines would each become an entry of the default priority.
        return f"<{priority}>" + text.replace("\n", f"\n<{priority}>")
