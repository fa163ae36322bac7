"""The simulated printer's end of the wire: one plugged-in period (a listening socket or a
pty pair), one link to the host on it, and the pace a UART would set."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import threading
import time

from drivers.printer.escpos_stream import Tokenizer

from .pty import PtyDevice


class Pacer:
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


class Session:
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


class Link:
    """The printer's end of the wire: one TCP connection, or the pty master."""

    def __init__(self, session: Session, baudrate: int | None,
                 sock: socket.socket | None = None) -> None:
        self.session = session
        self.sock = sock
        if sock is not None:
            self.fd = sock.fileno()
        else:
            assert session.pty is not None
            self.fd = session.pty.master
        self.serial = sock is None
        self.rx = Pacer(baudrate, session.ending)
        self.tx = Pacer(baudrate, session.ending)
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
