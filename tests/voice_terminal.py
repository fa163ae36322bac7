"""`kiosk voice record` on a pseudo-terminal, driven as a person at a keyboard would: read
what it shows, press Enter, k, Ctrl-C. Used by tests/test_voice_cli.py and
benchmarks/voice_pass.py.

Every wait is for something the command prints (a prompt, the level bar's seconds), bounded
by a generous timeout that only a hung command reaches: no pauses stand in for it.
"""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import os
import pty
import re
import signal
import subprocess
import sys
import termios
import threading
from collections.abc import Sequence
from pathlib import Path

WAIT = 60.0
LEVEL = re.compile(r"recording \[[# ]*\]\s*(\d+\.\d) s")
ITEM = re.compile(r"\[(\d+)/(\d+)\] (\S+)")
DONE = re.compile(r"(\w+): (\d+) of (\d+) recorded \((\d+) kept now\)")


def kiosk(*args: str) -> list[str]:
    return [sys.executable, "-m", "kiosk", *args]


def _controlling_terminal() -> None:
    # In the child, after setsid (start_new_session): its standard input, the pty, becomes
    # its controlling terminal, so Ctrl-C typed there is a SIGINT as in a real terminal.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    # And SIGINT does what it does there, even when the tests were started with it ignored
    # (a shell's background job: its children would inherit that, and Ctrl-C do nothing).
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Terminal:
    """A command on a pty; its output collected by a thread as it comes."""

    def __init__(self, argv: Sequence[str], env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(list(argv), stdin=slave, stdout=slave, stderr=slave,
                                     start_new_session=True, preexec_fn=_controlling_terminal,
                                     env=env, cwd=cwd)
        os.close(slave)
        self.text = ""
        self.pos = 0  # what expect() has read up to
        self.eof = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the command ended and closed the terminal
                data = b""
            with self._changed:
                if not data:
                    self.eof = True
                    self._changed.notify_all()
                    return
                self.text += decoder.decode(data)
                self._changed.notify_all()

    def expect(self, pattern: re.Pattern[str] | str, timeout: float = WAIT) -> re.Match[str]:
        """The next match of `pattern` in the output after what was read so far."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        found: list[re.Match[str]] = []

        def seen() -> bool:
            m = rx.search(self.text, self.pos)
            if m:
                found.append(m)
            return bool(m) or self.eof

        with self._changed:
            self._changed.wait_for(seen, timeout)
            if not found:
                raise AssertionError(f"{rx.pattern!r} not shown; the terminal's last lines:\n"
                                     + self.text[-1500:])
            self.pos = found[0].end()
            return found[0]

    def expect_level(self, seconds: float) -> float:
        """Waits for the level bar to show at least `seconds` captured."""
        while True:
            shown = float(self.expect(LEVEL).group(1))
            if shown >= seconds:
                return shown

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait(self, timeout: float = WAIT) -> int:
        code = self.proc.wait(timeout)
        with self._changed:
            self._changed.wait_for(lambda: self.eof, timeout)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(WAIT)
        os.close(self.master)


def record_all(term: Terminal, take_seconds: float) -> tuple[list[str], tuple[int, int, int]]:
    """Records and keeps every item the command offers, each take held until the level bar
    shows `take_seconds` captured; the ids kept, and the closing line's figures (recorded,
    total, kept now)."""
    kept = []
    while True:
        m = term.expect(f"{ITEM.pattern}|{DONE.pattern}")
        if m.group(1) is None:  # the closing line
            return kept, (int(m.group(5)), int(m.group(6)), int(m.group(7)))
        item = m.group(3)
        term.expect(r"Enter: record")
        term.send("\r")
        term.expect_level(take_seconds)
        term.send("\r")
        term.expect(r"  ok \(")
        term.expect(r"\[k\]eep")
        term.send("k\r")
        term.expect(r"kept: ")
        kept.append(item)
