"""Simulated ESC/POS network printer: a real TCP server on a real socket, with faults.

It parses what it receives with the same tokenizer as the decoder, answers real-time status
queries (DLE EOT n) from the current fault, and records each printed job (ended by a cut, or
by the connection closing with data pending). Data received while the printer cannot print
(paper out, cover open, offline) is not recorded, only counted in ``rejected_bytes``.

Like a real port-9100 printer it serves one connection at a time: a second client connects
(listen backlog) but gets no status replies until the first one closes. So a client that keeps
a connection open blocks every other client, exactly as it would on the hardware.

Typical use::

    with SimPrinter(jobs_dir=tmp) as sim:          # started, ephemeral port
        open_printer(sim.url).print_job(job)
        assert sim.wait_for_jobs(1, timeout=5)

A CLI can run it in the foreground with ``sim.start(); sim.wait()`` (``stop()`` from another
thread or a signal handler ends ``wait()``).
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import socket
import threading
from pathlib import Path
from types import TracebackType

from drivers.printer.escpos_stream import Token, Tokenizer

FAULTS: tuple[str | None, ...] = (None, "paper-out", "paper-low", "cover-open", "offline",
                                  "silent")
# DLE EOT n replies per fault (DESIGN.md, Ticket printer). "silent" answers nothing, like a
# printer on a write-only link; it still prints.
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
_JOB_FILE = re.compile(r"job-(\d+)\.bin$")


def _asb_block(fault: str | None) -> bytes:
    """Automatic Status Back: 4 bytes, the first shaped 0xx1xx00."""
    b1 = 0x10 | (0x08 if fault in CANNOT_PRINT else 0) | (0x20 if fault == "cover-open" else 0)
    b3 = 0x0C if fault == "paper-out" else 0x03 if fault == "paper-low" else 0x00
    return bytes((b1, 0x00, b3, 0x00))


class _Conn:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.tokenizer = Tokenizer()
        self.pending = bytearray()
        self.asb = False
        self.send_lock = threading.Lock()

    def send(self, data: bytes) -> None:
        with self.send_lock, contextlib.suppress(OSError):  # client gone: nothing to tell
            self.sock.sendall(data)


class SimPrinter:
    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 jobs_dir: Path | None = None) -> None:
        self.host = host
        self.port = port
        self.jobs_dir = Path(jobs_dir) if jobs_dir is not None else None
        self._cond = threading.Condition()
        self._fault: str | None = None
        self._jobs: list[bytes] = []
        self._job_files: list[Path] = []
        self._next_job_no = 1
        self._bytes_received = 0
        self._rejected_bytes = 0
        self._status_queries = 0
        self._connections_closed = 0
        self._conns: set[_Conn] = set()
        self._listener: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._stopped = threading.Event()

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> SimPrinter:
        if self._listener is not None:
            raise RuntimeError("SimPrinter already started")
        if self.jobs_dir is not None:
            self.jobs_dir.mkdir(parents=True, exist_ok=True)
            # Continue numbering so a restarted simulator never overwrites earlier jobs.
            numbers = [int(m.group(1)) for p in self.jobs_dir.iterdir()
                       if (m := _JOB_FILE.fullmatch(p.name))]
            self._next_job_no = max(numbers, default=0) + 1
        self._listener = socket.create_server((self.host, self.port))
        self.port = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._accept_thread = threading.Thread(target=self._accept_loop,
                                               name=f"sim-printer-{self.port}", daemon=True)
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close client connections (recording their pending jobs), join."""
        if self._listener is None:
            return
        if self._stopping.is_set():  # concurrent or repeated stop(): wait for the first one
            self._stopped.wait(10)
            return
        self._stopping.set()
        assert self._wake_w is not None
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        with self._cond:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)  # wakes the serving recv()
        if self._accept_thread is not None:
            self._accept_thread.join(10)
        for s in (self._listener, self._wake_r, self._wake_w):
            if s is not None:
                s.close()
        self._stopped.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until stop() (from another thread); True if stopped."""
        return self._stopped.wait(timeout)

    def serve_forever(self) -> None:
        """Start if needed and block until stop() is called from elsewhere."""
        if self._listener is None:
            self.start()
        self.wait()

    def __enter__(self) -> SimPrinter:
        return self.start() if self._listener is None else self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- public state -----------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

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

    def set_fault(self, fault: str | None) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; expected one of {FAULTS}")
        with self._cond:
            changed = fault != self._fault
            self._fault = fault
            asb_conns = [c for c in self._conns if c.asb]
        if changed:
            for conn in asb_conns:  # a real printer pushes ASB on every status change
                conn.send(_asb_block(fault))

    def wait_for_jobs(self, n: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self._jobs) >= n, timeout)

    def wait_for_closed(self, n: int, timeout: float) -> bool:
        """Wait until ``n`` client connections have been fully processed and closed."""
        with self._cond:
            return self._cond.wait_for(lambda: self._connections_closed >= n, timeout)

    # -- server -----------------------------------------------------------------------
    def _accept_loop(self) -> None:
        # One connection at a time, served on this thread, like a port-9100 printer: a second
        # client's connect succeeds (listen backlog) but it gets no answer until the first
        # closes. This also keeps jobs in connection order.
        assert self._listener is not None and self._wake_r is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self._listener, selectors.EVENT_READ)
            sel.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in sel.select():
                    if key.fileobj is self._wake_r or self._stopping.is_set():
                        return
                    try:
                        sock, _addr = self._listener.accept()
                    except OSError:
                        continue
                    self._serve(sock)

    def _serve(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = _Conn(sock)
        with self._cond:
            self._conns.add(conn)
        try:
            # stop() sets _stopping before shutting down registered connections: checking it
            # after registering means no connection is left unwoken.
            while not self._stopping.is_set():
                try:
                    chunk = sock.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                with self._cond:
                    self._bytes_received += len(chunk)
                self._handle(conn, conn.tokenizer.feed(chunk))
            self._handle(conn, conn.tokenizer.flush())
            if conn.pending:
                self._finish_job(conn)
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            with self._cond:
                self._conns.discard(conn)
                self._connections_closed += 1
                self._cond.notify_all()

    def _handle(self, conn: _Conn, tokens: list[Token]) -> None:
        for t in tokens:
            with self._cond:
                fault = self._fault
            if t.cmd in STATUS_COMMANDS:
                self._status_command(conn, t, fault)
            elif fault in CANNOT_PRINT:
                with self._cond:  # a real printer would not print this
                    self._rejected_bytes += len(t.raw)
            else:
                conn.pending += t.raw
                if t.cmd == "GS V":
                    self._finish_job(conn)

    def _status_command(self, conn: _Conn, t: Token, fault: str | None) -> None:
        if t.cmd == "DLE EOT":
            with self._cond:
                self._status_queries += 1
            reply = STATUS_REPLIES.get(fault, {}).get(t.args[0])
            if reply is not None:
                conn.send(bytes((reply,)))
        elif t.cmd == "GS a":
            conn.asb = t.args[0] != 0
            if conn.asb:
                conn.send(_asb_block(fault))
        elif t.cmd == "GS r" and t.args[0] in (1, 49):
            conn.send(bytes((0x0C if fault == "paper-out" else
                             0x03 if fault == "paper-low" else 0x00,)))
        elif t.cmd == "GS r" and t.args[0] in (2, 50):
            conn.send(b"\x00")

    def _finish_job(self, conn: _Conn) -> None:
        job = bytes(conn.pending)
        conn.pending.clear()
        with self._cond:  # numbering, file and list stay in the same order
            if self.jobs_dir is not None:
                path = self.jobs_dir / f"job-{self._next_job_no:04d}.bin"
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(job)
                os.replace(tmp, path)  # a watcher never sees half a job
                self._job_files.append(path)
            self._next_job_no += 1
            self._jobs.append(job)
            self._cond.notify_all()
