"""Simulated ESC/POS printer on a real TCP socket or a real pty, with faults.

It parses what it receives with the same tokenizer as the decoder, answers real-time status
queries (DLE EOT n) from the current fault, and records each printed job (ended by a cut, or
by the connection closing with data pending). Data received while the printer cannot print
(paper out, cover open, offline) is not recorded, only counted in ``rejected_bytes``.

Two links, one protocol:

- TCP (default): like a real port-9100 printer it serves one connection at a time: a second
  client connects (listen backlog) but gets no status replies until the first one closes.
- pty (``pty_link=Path``): a pty pair whose slave device is symlinked at ``pty_link``; the
  printer serves the master end and ``url`` is ``serial://<pty_link>?baudrate=<baud>``.
  The simulator keeps its own slave fd open, so the host may close and reopen the port
  freely. A serial line has no "connection" to end a job: a job without a cut ends at the
  next status query (or at stop()).

``baudrate`` emulates the wire speed in both directions (10 bits a byte), on either link:
at 9600 baud a 7 KB job really takes about 7 s to arrive.

Faults (``set_fault``): paper-out, paper-low, cover-open, offline (status bits as a real
printer sends them); silent (no replies at all); garbage (random non-status bytes instead of
replies); slow (replies, but only after ``delay`` s, longer than the driver waits);
disconnect-mid-job (one shot: on the next job, after ``after_bytes`` bytes of it, the link
drops: TCP closes the connection, the pty is unplugged; nothing of that job is recorded).
``unplug()`` / ``replug()`` pull and reinsert the cable: TCP stops and resumes listening on
the same port, pty removes the link and closes the master / creates a new pty at the same
path. A job cut off by a fault or an unplug is lost with the link, never printed later.

Typical use::

    with SimPrinter(jobs_dir=tmp) as sim:          # started, ephemeral port
        open_printer(sim.url).print_job(job)
        assert sim.wait_for_jobs(1, timeout=5)

A CLI can run it in the foreground with ``sim.start(); sim.wait()`` (``stop()`` from another
thread or a signal handler ends ``wait()``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import re
import select
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from drivers.printer.decode import save_job_png
from drivers.printer.escpos_stream import Token, Tokenizer
from drivers.printer.status import is_status_reply

from .pty import PtyDevice

log = logging.getLogger(__name__)

FAULTS: tuple[str | None, ...] = (None, "paper-out", "paper-low", "cover-open", "offline",
                                  "silent", "garbage", "slow", "disconnect-mid-job")
# DLE EOT n replies per fault (DESIGN.md, Ticket printer). Faults not listed answer as healthy
# (slow: late; disconnect-mid-job: until it strikes), except silent and garbage.
STATUS_REPLIES: dict[str | None, dict[int, int]] = {
    None: {1: 0x16, 2: 0x12, 3: 0x12, 4: 0x12},
    "paper-low": {1: 0x16, 2: 0x12, 3: 0x12, 4: 0x1E},
    "paper-out": {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E},
    "cover-open": {1: 0x1E, 2: 0x16, 3: 0x12, 4: 0x12},
    "offline": {1: 0x1E, 2: 0x12, 3: 0x12, 4: 0x12},
}
CANNOT_PRINT = frozenset({"paper-out", "cover-open", "offline"})
# Status traffic, never part of a printed job.
STATUS_COMMANDS = frozenset({"DLE EOT", "DLE ENQ", "DLE DC4", "GS a", "GS r"})
DEFAULT_DROP_AFTER = 1024  # bytes of a job before disconnect-mid-job strikes
DEFAULT_SLOW_DELAY = 2.0  # s; TicketPrinter.status() waits 1 s by default
PTY_URL_BAUD = 115200  # advertised in .url when no baudrate is emulated
_JOB_FILE = re.compile(r"job-(\d+)\.bin$")
_rng = random.Random()


def _asb_block(fault: str | None) -> bytes:
    """Automatic Status Back: 4 bytes, the first shaped 0xx1xx00."""
    b1 = 0x10 | (0x08 if fault in CANNOT_PRINT else 0) | (0x20 if fault == "cover-open" else 0)
    b3 = 0x0C if fault == "paper-out" else 0x03 if fault == "paper-low" else 0x00
    return bytes((b1, 0x00, b3, 0x00))


def _garbage() -> bytes:
    """A few random bytes none of which is shaped like a DLE EOT reply."""
    out = bytearray()
    while len(out) < 3:
        b = _rng.randrange(256)
        if not is_status_reply(b):
            out.append(b)
    return bytes(out)


class _Drop(Exception):
    """Internal: disconnect-mid-job strikes; the link goes down now."""


class _Pacer:
    """A UART's line time, 10 bits a byte (start, 8 data, stop). Sleeping here simulates a slow
    wire; it is not synchronisation. ``cancel`` (the session ending) cuts a wait short."""

    def __init__(self, baudrate: int | None, cancel: threading.Event) -> None:
        self.byte_time = 10 / baudrate if baudrate else 0.0
        self.cancel = cancel
        self._free_at = 0.0

    @property
    def chunk(self) -> int:
        # About 20 ms of line time per read, so bytes trickle in as on a wire.
        return max(1, int(0.02 / self.byte_time)) if self.byte_time else 65536

    def wait(self, nbytes: int) -> bool:
        """Wait until ``nbytes`` more have crossed the wire; False if cancelled."""
        if not self.byte_time:
            return not self.cancel.is_set()
        now = time.monotonic()
        self._free_at = max(self._free_at, now) + nbytes * self.byte_time
        return not self.cancel.wait(self._free_at - now)


class _Session:
    """One plugged-in period: a listening socket or a pty pair, served by one thread."""

    def __init__(self) -> None:
        self.wake_r, self.wake_w = socket.socketpair()
        self.ending = threading.Event()
        self.discard = True  # pending job data at the end is lost (unplug), not printed
        self.thread: threading.Thread | None = None
        self.listener: socket.socket | None = None
        self.pty: PtyDevice | None = None
        self.closed = False
        self._lock = threading.Lock()

    def end(self, discard: bool) -> None:
        self.discard = discard
        self.ending.set()
        with contextlib.suppress(OSError):
            self.wake_w.send(b"x")  # stays readable: wakes every select() on it

    def teardown(self) -> None:
        """Release everything (idempotent). Called by the serving thread as it exits, or
        after it has been joined: nobody selects on these any more."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
        self.ending.set()
        if self.pty is not None:
            self.pty.close()
        for s in (self.listener, self.wake_r, self.wake_w):
            if s is not None:
                s.close()


class _Link:
    """The printer's end of the wire: one TCP connection, or the pty master."""

    def __init__(self, session: _Session, baudrate: int | None,
                 sock: socket.socket | None = None) -> None:
        self.session = session
        self.sock = sock
        if sock is not None:
            self.fd = sock.fileno()
        else:
            assert session.pty is not None
            self.fd = session.pty.master
        self.serial = sock is None
        self.rx = _Pacer(baudrate, session.ending)
        self.tx = _Pacer(baudrate, session.ending)
        self.tokenizer = Tokenizer()
        self.pending = bytearray()
        self.asb = False
        self.send_lock = threading.Lock()
        self.closed = False

    def recv(self) -> bytes | None:
        """Next bytes from the host; b"" when the host closed, None when the session ends."""
        while True:
            try:
                ready = select.select([self.fd, self.session.wake_r], [], [])[0]
            except (OSError, ValueError):
                return None
            if self.session.ending.is_set():
                return None
            if self.fd not in ready:
                continue
            try:
                if self.sock is not None:
                    data = self.sock.recv(self.rx.chunk)
                else:
                    data = os.read(self.fd, self.rx.chunk)
            except BlockingIOError:
                continue
            except OSError:
                return b""
            if not data:
                return b""
            # The bytes are only "here" once the wire has carried them.
            return data if self.rx.wait(len(data)) else None

    def send(self, data: bytes) -> None:
        with self.send_lock:
            if self.closed or not self.tx.wait(len(data)) or self.closed:
                return
            with contextlib.suppress(OSError):  # host gone: nothing to tell
                if self.sock is not None:
                    self.sock.sendall(data)
                else:
                    os.write(self.fd, data)  # non-blocking: a full buffer drops, like overrun

    def close(self) -> None:
        with self.send_lock:  # no send() can be writing to an fd number being reused
            self.closed = True
            if self.sock is not None:
                with contextlib.suppress(OSError):
                    self.sock.close()


class SimPrinter:
    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 jobs_dir: Path | str | None = None, *, pty_link: Path | str | None = None,
                 baudrate: int | None = None, render_png: bool = False,
                 width_dots: int = 576) -> None:
        if baudrate is not None and not baudrate > 0:
            raise ValueError(f"baudrate must be > 0, got {baudrate!r}")
        self.host = host
        self.port = port
        self.pty_link = Path(os.path.abspath(pty_link)) if pty_link is not None else None
        self.baudrate = baudrate
        self.jobs_dir = Path(jobs_dir) if jobs_dir is not None else None
        self.render_png = render_png  # job-NNNN.png beside job-NNNN.bin (costs time)
        self.width_dots = width_dots
        self._cond = threading.Condition()
        self._fault: str | None = None
        self._drop_after = DEFAULT_DROP_AFTER
        self._slow_delay = DEFAULT_SLOW_DELAY
        self._jobs: list[bytes] = []
        self._job_files: list[Path] = []
        self._next_job_no = 1
        self._bytes_received = 0
        self._rejected_bytes = 0
        self._status_queries = 0
        self._connections_closed = 0
        self._dropped_jobs = 0
        self._links: set[_Link] = set()
        self._session: _Session | None = None
        self._running = False
        self._life = threading.Lock()  # start, stop, unplug, replug: one at a time
        self._stopped = threading.Event()

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> SimPrinter:
        """Start serving. A stopped simulator can start again (same port or link path)."""
        with self._life:
            if self._running:
                raise RuntimeError("SimPrinter already started")
            if self.jobs_dir is not None:
                self.jobs_dir.mkdir(parents=True, exist_ok=True)
                # Continue numbering so a restarted simulator never overwrites earlier jobs.
                numbers = [int(m.group(1)) for p in self.jobs_dir.iterdir()
                           if (m := _JOB_FILE.fullmatch(p.name))]
                with self._cond:
                    self._next_job_no = max(numbers, default=0) + 1
            self._plug()
            self._running = True
            self._stopped.clear()
        return self

    def stop(self) -> None:
        """Stop serving: close the link (recording a pending job, as when the host closes)."""
        with self._life:
            if not self._running:
                return
            self._unplug(discard=False)
            self._running = False
        self._stopped.set()

    def unplug(self) -> None:
        """Pull the cable: no more connections (TCP) or no device (pty); a job in progress
        is lost. The host sees the link fail, then "connection refused" / "no such device"."""
        with self._life:
            if not self._running:
                raise RuntimeError("SimPrinter is not running")
            self._unplug(discard=True)

    def replug(self) -> None:
        """Plug the cable back in: listen on the same port / a new pty at the same path.
        Nothing of a job cut off earlier survives. No-op if plugged in."""
        with self._life:
            if not self._running:
                raise RuntimeError("SimPrinter is not running")
            if self._session is not None and not self._session.closed:
                return
            self._unplug(discard=True)  # reap a session that ended itself (mid-job drop)
            self._plug()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until stop() (from another thread); True if stopped."""
        return self._stopped.wait(timeout)

    def __enter__(self) -> SimPrinter:
        return self.start() if not self._running else self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _plug(self) -> None:
        session = _Session()
        try:
            if self.pty_link is None:
                # create_server sets SO_REUSEADDR: replug gets the same port back at once.
                session.listener = socket.create_server((self.host, self.port))
                session.listener.setblocking(False)  # a client that vanished cannot block accept
                self.port = session.listener.getsockname()[1]
                target, name = self._tcp_loop, f"sim-printer-{self.port}"
            else:
                session.pty = PtyDevice(self.pty_link)
                target, name = self._pty_loop, f"sim-printer-{self.pty_link.name}"
        except BaseException:
            session.teardown()
            raise
        session.thread = threading.Thread(target=target, args=(session,), name=name,
                                          daemon=True)
        self._session = session
        session.thread.start()

    def _unplug(self, discard: bool) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        session.end(discard)
        if session.thread is not None and session.thread is not threading.current_thread():
            session.thread.join(10)
        session.teardown()

    # -- public state -----------------------------------------------------------------
    @property
    def url(self) -> str:
        if self.pty_link is not None:
            return (f"serial://{quote(str(self.pty_link))}"
                    f"?baudrate={self.baudrate or PTY_URL_BAUD}")
        return f"tcp://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._running

    @property
    def plugged(self) -> bool:
        s = self._session
        return s is not None and not s.closed

    @property
    def jobs(self) -> list[bytes]:
        with self._cond:
            return list(self._jobs)

    @property
    def job_files(self) -> list[Path]:
        with self._cond:
            return list(self._job_files)

    @property
    def fault(self) -> str | None:
        with self._cond:
            return self._fault

    @property
    def bytes_received(self) -> int:
        with self._cond:
            return self._bytes_received

    @property
    def rejected_bytes(self) -> int:
        with self._cond:
            return self._rejected_bytes

    @property
    def status_queries(self) -> int:
        with self._cond:
            return self._status_queries

    @property
    def connections_closed(self) -> int:
        with self._cond:
            return self._connections_closed

    @property
    def dropped_jobs(self) -> int:
        """Jobs lost mid-way (disconnect-mid-job, or unplugged while data was pending)."""
        with self._cond:
            return self._dropped_jobs

    def set_fault(self, fault: str | None, *, after_bytes: int | None = None,
                  delay: float | None = None) -> None:
        """Set the fault. ``after_bytes``: where disconnect-mid-job cuts the next job
        (default 1024); ``delay``: how late slow replies come (default 2 s)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; expected one of {FAULTS}")
        if after_bytes is not None and not after_bytes >= 1:
            raise ValueError(f"after_bytes must be >= 1, got {after_bytes!r}")
        if delay is not None and not delay > 0:
            raise ValueError(f"delay must be > 0, got {delay!r}")
        with self._cond:
            changed = fault != self._fault
            self._fault = fault
            self._drop_after = after_bytes or DEFAULT_DROP_AFTER
            self._slow_delay = delay or DEFAULT_SLOW_DELAY
            asb_links = [c for c in self._links if c.asb]
        if changed:
            for link in asb_links:  # a real printer pushes ASB on every status change
                link.send(_asb_block(fault))

    def wait_for_jobs(self, n: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self._jobs) >= n, timeout)

    def wait_for_bytes(self, n: int, timeout: float) -> bool:
        """Wait until ``n`` bytes have arrived in all (status queries included)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._bytes_received >= n, timeout)

    def wait_for_closed(self, n: int, timeout: float) -> bool:
        """Wait until ``n`` links (TCP connections, pty sessions) have been served and closed."""
        with self._cond:
            return self._cond.wait_for(lambda: self._connections_closed >= n, timeout)

    # -- serving ----------------------------------------------------------------------
    def _tcp_loop(self, session: _Session) -> None:
        # One connection at a time, served on this thread, like a port-9100 printer: a second
        # client's connect succeeds (listen backlog) but it gets no answer until the first
        # closes. This also keeps jobs in connection order.
        assert session.listener is not None
        try:
            while not session.ending.is_set():
                select.select([session.listener, session.wake_r], [], [])
                if session.ending.is_set():
                    break
                try:
                    sock, _addr = session.listener.accept()
                except OSError:
                    continue
                sock.setblocking(True)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._serve(session, _Link(session, self.baudrate, sock=sock))
        finally:
            session.teardown()

    def _pty_loop(self, session: _Session) -> None:
        try:
            self._serve(session, _Link(session, self.baudrate))
        finally:
            session.teardown()  # whatever ended the session, the device is gone with it

    def _serve(self, session: _Session, link: _Link) -> None:
        with self._cond:
            self._links.add(link)
        dropped = False
        try:
            while True:
                chunk = link.recv()
                if not chunk:
                    break
                with self._cond:
                    self._bytes_received += len(chunk)
                    self._cond.notify_all()
                self._handle(link, link.tokenizer.feed(chunk))
            if not (session.ending.is_set() and session.discard):
                # The host closed, or the simulator stops: print what came, like a printer.
                self._handle(link, link.tokenizer.flush())
                if link.pending:
                    self._finish_job(link)
        except _Drop:
            dropped = True
        finally:
            lost = dropped or bool(link.pending) or link.tokenizer.pending > 0
            link.pending.clear()
            with self._cond:
                self._links.discard(link)
                self._dropped_jobs += int(lost)
                self._connections_closed += 1
                self._cond.notify_all()
            # After the bookkeeping: a host that sees the link die finds it already counted.
            link.close()

    def _handle(self, link: _Link, tokens: list[Token]) -> None:
        for t in tokens:
            with self._cond:
                fault, drop_after = self._fault, self._drop_after
            if t.cmd in STATUS_COMMANDS:
                if link.serial and link.pending and t.cmd == "DLE EOT":
                    self._finish_job(link)  # no connection to close on a serial line
                self._status_command(link, t, fault)
            elif fault in CANNOT_PRINT:
                with self._cond:  # a real printer would not print this
                    self._rejected_bytes += len(t.raw)
            else:
                if fault == "disconnect-mid-job" and len(link.pending) + len(t.raw) >= drop_after:
                    with self._cond:  # one shot: the replugged printer is healthy
                        if self._fault == "disconnect-mid-job":
                            self._fault = None
                    raise _Drop
                link.pending += t.raw
                if t.cmd == "GS V":
                    self._finish_job(link)

    def _status_command(self, link: _Link, t: Token, fault: str | None) -> None:
        with self._cond:
            delay = self._slow_delay
            if t.cmd == "DLE EOT":
                self._status_queries += 1
        if fault == "silent":
            return
        if fault == "garbage":
            link.send(_garbage())
            return
        if fault == "slow" and t.cmd == "DLE EOT" and link.session.ending.wait(delay):
            return  # unplugged or stopped while "thinking"
        if fault not in STATUS_REPLIES:
            fault = None  # slow, disconnect-mid-job: the printer itself is fine
        if t.cmd == "DLE EOT":
            reply = STATUS_REPLIES[fault].get(t.args[0])
            if reply is not None:
                link.send(bytes((reply,)))
        elif t.cmd == "GS a":
            link.asb = t.args[0] != 0
            if link.asb:
                link.send(_asb_block(fault))
        elif t.cmd == "GS r" and t.args[0] in (1, 49):
            link.send(bytes((0x0C if fault == "paper-out" else
                             0x03 if fault == "paper-low" else 0x00,)))
        elif t.cmd == "GS r" and t.args[0] in (2, 50):
            link.send(b"\x00")

    def _finish_job(self, link: _Link) -> None:
        job = bytes(link.pending)
        link.pending.clear()
        with self._cond:
            number = self._next_job_no
            self._next_job_no += 1
        path: Path | None = None
        if self.jobs_dir is not None:
            path = self.jobs_dir / f"job-{number:04d}.bin"
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(job)
            os.replace(tmp, path)  # a watcher never sees half a job
            if self.render_png:
                try:
                    save_job_png(job, path.with_suffix(".png"), self.width_dots)
                except Exception:  # a job the renderer chokes on still counts as printed
                    log.exception("simulated printer: cannot render %s", path.name)
        # Published after the files: whoever waits for the job finds them in place.
        with self._cond:
            if path is not None:
                self._job_files.append(path)
            self._jobs.append(job)
            self._cond.notify_all()
