"""Simulated ESC/POS printer on a real TCP socket or a real pty, with faults.

(A little over 400 lines: one device with two links, and this docstring is its manual; the
wire parsing and the status replies are in printer_wire.py and printer_replies.py.)

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

import logging
import os
import re
import select
import socket
import threading
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from drivers.printer.escpos_stream import Token

from .printer_replies import (
    CANNOT_PRINT,
    FAULTS,
    STATUS_COMMANDS,
    asb_block,
    garbage,
    status_reply,
)
from .printer_wire import Link, Session
from .pty import PtyDevice

log = logging.getLogger(__name__)

DEFAULT_DROP_AFTER = 1024  # bytes of a job before disconnect-mid-job strikes
DEFAULT_SLOW_DELAY = 2.0  # s; TicketPrinter.status() waits 1 s by default
PTY_URL_BAUD = 115200  # advertised in .url when no baudrate is emulated
_JOB_FILE = re.compile(r"job-(\d+)\.bin$")


class _Drop(Exception):
    """Internal: disconnect-mid-job strikes; the link goes down now."""


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
        self._links: set[Link] = set()
        self._session: Session | None = None
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
        session = Session()
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
                link.send(asb_block(fault))

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
    def _tcp_loop(self, session: Session) -> None:
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
                self._serve(session, Link(session, self.baudrate, sock=sock))
        finally:
            session.teardown()

    def _pty_loop(self, session: Session) -> None:
        try:
            self._serve(session, Link(session, self.baudrate))
        finally:
            session.teardown()  # whatever ended the session, the device is gone with it

    def _serve(self, session: Session, link: Link) -> None:
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

    def _handle(self, link: Link, tokens: list[Token]) -> None:
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

    def _status_command(self, link: Link, t: Token, fault: str | None) -> None:
        with self._cond:
            delay = self._slow_delay
            if t.cmd == "DLE EOT":
                self._status_queries += 1
        if fault == "silent":
            return
        if fault == "garbage":
            link.send(garbage())
            return
        if fault == "slow" and t.cmd == "DLE EOT" and link.session.ending.wait(delay):
            return  # unplugged or stopped while "thinking"
        arg = t.args[0] if t.args else 0
        if t.cmd == "GS a":
            link.asb = arg != 0
        reply = status_reply(t.cmd, arg, fault)
        if reply:
            link.send(reply)

    def _finish_job(self, link: Link) -> None:
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
                    # Only here: drawing brings Pillow and qrcode, which registering
                    # sim:// (drivers.sim imported by the kiosk's config) must not load.
                    from drivers.printer.render import save_job_png

                    save_job_png(job, path.with_suffix(".png"), self.width_dots)
                except Exception:  # a job the renderer chokes on still counts as printed
                    log.exception("simulated printer: cannot render %s", path.name)
        # Published after the files: whoever waits for the job finds them in place.
        with self._cond:
            if path is not None:
                self._job_files.append(path)
            self._jobs.append(job)
            self._cond.notify_all()
