"""Simulated serial QR / barcode scanner on a real pty, with host trigger and faults.

A pty pair whose slave device is symlinked at ``pty_link``; the scanner writes to the master
end and the host opens the link with pyserial (``url`` is ``serial://<pty_link>``). The
simulator keeps its own slave fd open, so the host may close and reopen the port freely.
Note that pyserial flushes the input when it opens a port: bytes sent before the host opened
it are lost, as with a real scanner.

What it sends: ``scan()`` writes one frame, the AIM identifier (``aim=True``) + payload +
``terminator``; ``burst()`` many frames in a single write; ``send_raw()`` any bytes at all
(garbage, a partial frame, a frame split in two writes).

Host trigger, as the real scanners behave in serial trigger mode:

- ``honeywell_trigger``: ``SYN T CR`` starts reading, ``SYN U CR`` stops it. Scans are
  queued while not reading and sent once it reads; with ``single_read`` (default) a good read
  ends the trigger, as it does on a Honeywell scanner, so each scan needs a new ``SYN T CR``.
- ``ssi``: Zebra SSI START_DECODE / STOP_DECODE, each answered with CMD_ACK; a packet with a
  bad checksum gets CMD_NAK (resend), an unknown opcode CMD_NAK (denied); ``nak_next(cause)``
  makes it refuse the next command. Scan data is sent raw with the terminator.

``unplug()`` / ``replug()`` pull and reinsert the cable: the link disappears and the master is
closed (the host's reads fail with EIO), then a new pty appears at the same path.

Typical use::

    with SimScanner(tmp / "ttySCAN") as sim, open_scanner(sim.url) as scanner:
        sim.scan(b"hello")
        scanner.scans.get(timeout=5)
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from drivers.device import write_all
from drivers.scanner.states import SsiChecksumError
from drivers.scanner.triggers import (
    HONEYWELL_START,
    HONEYWELL_STOP,
    NAK_DENIED,
    NAK_RESEND,
    SSI_CMD_ACK,
    SSI_CMD_NAK,
    SSI_SOURCE_DECODER,
    SSI_START_DECODE,
    SSI_STOP_DECODE,
    parse_ssi,
    ssi_packet,
)

from .pty import PtyDevice

# Symbology name -> the AIM identifier a scanner sends for it (the inverse of what the driver
# maps). A name starting with "]" is sent as it is.
AIM_IDS: dict[str, str] = {
    "QR": "]Q1",
    "Code 128": "]C0",
    "EAN-13": "]E0",
    "EAN-8": "]E4",
    "Data Matrix": "]d1",
    "PDF417": "]L0",
    "Aztec": "]z0",
    "Code 39": "]A0",
    "Interleaved 2 of 5": "]I0",
}
WRITE_TIMEOUT = 5.0  # a host that never reads cannot hang a test forever


class _Session:
    """One plugged-in period: a pty pair served by one thread."""

    def __init__(self, link: Path) -> None:
        self.pty = PtyDevice(link)
        self.master = self.pty.master
        try:
            self.wake_r, self.wake_w = os.pipe()
        except BaseException:
            self.pty.close()
            raise
        self.ending = threading.Event()
        self.thread: threading.Thread | None = None
        self.closed = False

    def end(self) -> None:
        self.ending.set()
        with contextlib.suppress(OSError):
            os.write(self.wake_w, b"x")

    def teardown(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.pty.close()
        for fd in (self.wake_r, self.wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)


class SimScanner:
    def __init__(self, pty_link: Path | str, terminator: bytes = b"\r", aim: bool = True,
                 honeywell_trigger: bool = False, *, ssi: bool = False,
                 single_read: bool = True) -> None:
        if honeywell_trigger and ssi:
            raise ValueError("choose one host trigger: honeywell_trigger or ssi")
        if not terminator:
            raise ValueError("terminator must not be empty")
        self.pty_link = Path(os.path.abspath(pty_link))
        self.terminator = bytes(terminator)
        self.aim = aim
        self.honeywell_trigger = honeywell_trigger
        self.ssi = ssi
        self.single_read = single_read
        self._cond = threading.Condition()
        self._reading = False
        self._queued: deque[bytes] = deque()  # frames waiting for a trigger
        self._commands: list[str] = []  # "start", "stop", "nak-resend", "nak-denied" ...
        self._nak_next: int | None = None
        self._bytes_received = 0
        self._frames_sent = 0
        self._wlock = threading.Lock()
        self._life = threading.Lock()
        self._session: _Session | None = None
        self._running = False

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> SimScanner:
        with self._life:
            if self._running:
                raise RuntimeError("SimScanner already started")
            self._plug()
            self._running = True
        return self

    def stop(self) -> None:
        with self._life:
            if not self._running:
                return
            self._unplug()
            self._running = False

    def unplug(self) -> None:
        """Pull the cable: the link disappears, the host's reads fail."""
        with self._life:
            if not self._running:
                raise RuntimeError("SimScanner is not running")
            self._unplug()

    def replug(self) -> None:
        """Plug it back in: a new pty at the same path. No-op if plugged in."""
        with self._life:
            if not self._running:
                raise RuntimeError("SimScanner is not running")
            if self._session is None:
                self._plug()

    def __enter__(self) -> SimScanner:
        return self.start() if not self._running else self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _plug(self) -> None:
        session = _Session(self.pty_link)
        session.thread = threading.Thread(target=self._serve, args=(session,),
                                          name=f"sim-scanner-{self.pty_link.name}", daemon=True)
        self._session = session
        with self._cond:
            self._reading = False  # a scanner powers up idle
        session.thread.start()

    def _unplug(self) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        session.end()
        if session.thread is not None and session.thread is not threading.current_thread():
            session.thread.join(10)
        with self._wlock:  # no write in progress on an fd number being reused
            session.teardown()

    # -- public state -----------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"serial://{quote(str(self.pty_link))}"

    @property
    def running(self) -> bool:
        return self._running

    @property
    def plugged(self) -> bool:
        return self._session is not None

    @property
    def reading(self) -> bool:
        with self._cond:
            return self._reading

    @property
    def commands(self) -> list[str]:
        """Trigger commands understood so far, in order ("start", "stop", "nak-...")."""
        with self._cond:
            return list(self._commands)

    @property
    def queued(self) -> int:
        with self._cond:
            return len(self._queued)

    @property
    def bytes_received(self) -> int:
        with self._cond:
            return self._bytes_received

    @property
    def frames_sent(self) -> int:
        with self._cond:
            return self._frames_sent

    def wait_for_commands(self, n: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self._commands) >= n, timeout)

    def wait_for_reading(self, reading: bool, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._reading == reading, timeout)

    def nak_next(self, cause: int = NAK_DENIED) -> None:
        """SSI: answer the next command with CMD_NAK ``cause`` instead of acting on it."""
        with self._cond:
            self._nak_next = cause

    # -- what the scanner sends -------------------------------------------------------
    def frame(self, payload: bytes, symbology: str = "QR") -> bytes:
        """The bytes a scan of ``payload`` puts on the wire."""
        prefix = b""
        if self.aim:
            aim = symbology if symbology.startswith("]") else AIM_IDS.get(symbology)
            if aim is None:
                raise ValueError(f"no AIM identifier known for {symbology!r}; pass one like ']X0'")
            prefix = aim.encode("ascii")
        return prefix + bytes(payload) + self.terminator

    def scan(self, payload: bytes, symbology: str = "QR") -> bool:
        """A symbol read. Without a trigger it is sent at once; with one, it is sent while
        the host has the scanner reading, else queued until then. True if sent now."""
        data = self.frame(payload, symbology)
        if not (self.honeywell_trigger or self.ssi):
            self._write(data, frames=1)
            return True
        with self._cond:
            self._queued.append(data)
            self._cond.notify_all()
        return self._pump() > 0

    def burst(self, payloads: Iterable[bytes], symbology: str = "QR") -> int:
        """Many frames in a single write (no trigger involved). Returns bytes written."""
        frames = [self.frame(p, symbology) for p in payloads]
        data = b"".join(frames)
        self._write(data, frames=len(frames))
        return len(data)

    def send_raw(self, data: bytes) -> None:
        """Any bytes as they are: garbage, half a frame, a terminator on its own."""
        self._write(bytes(data), frames=0)

    def _write(self, data: bytes, frames: int) -> None:
        with self._wlock:
            session = self._session
            if session is None or session.closed:
                raise RuntimeError("SimScanner is unplugged")
            write_all(session.master, data, WRITE_TIMEOUT)
        with self._cond:
            self._frames_sent += frames
            self._cond.notify_all()

    def _pump(self) -> int:
        """Send queued frames while reading; returns how many were sent."""
        sent = 0
        while True:
            with self._cond:
                if not (self._reading and self._queued):
                    return sent
                data = self._queued.popleft()
                if self.single_read:
                    self._reading = False  # a good read ends the trigger
                self._cond.notify_all()
            self._write(data, frames=1)
            sent += 1

    # -- what the host sends ----------------------------------------------------------
    def _serve(self, session: _Session) -> None:
        buf = b""
        while not session.ending.is_set():
            try:
                ready = select.select([session.master, session.wake_r], [], [])[0]
            except (OSError, ValueError):
                return
            if session.ending.is_set():
                return
            if session.master not in ready:
                continue
            try:
                chunk = os.read(session.master, 4096)
            except BlockingIOError:
                continue
            except OSError:
                return  # EIO: torn down under us
            if not chunk:
                continue
            with self._cond:
                self._bytes_received += len(chunk)
                self._cond.notify_all()
            buf += chunk
            if self.honeywell_trigger:
                buf = self._honeywell(buf)
            elif self.ssi:
                buf = self._ssi(buf)
            else:
                buf = b""  # no trigger: a scanner in this mode ignores the host
            with contextlib.suppress(RuntimeError, TimeoutError):
                self._pump()  # unplugged or host not reading: the frames stay lost

    def _honeywell(self, buf: bytes) -> bytes:
        while True:
            starts = buf.find(HONEYWELL_START)
            stops = buf.find(HONEYWELL_STOP)
            found = [k for k in (starts, stops) if k >= 0]
            if not found:
                # Keep a possible command prefix only (SYN, or SYN + letter).
                k = buf.rfind(b"\x16")
                return buf[k:] if k >= 0 and len(buf) - k < 3 else b""
            k = min(found)
            start = k == starts
            with self._cond:
                self._reading = start
                self._commands.append("start" if start else "stop")
                self._cond.notify_all()
            buf = buf[k + 3:]

    def _ssi(self, buf: bytes) -> bytes:
        while buf:
            try:
                packet, used = parse_ssi(buf)
            except SsiChecksumError as e:
                self._ssi_reply(SSI_CMD_NAK, NAK_RESEND, "nak-resend")
                buf = buf[e.length:]
                continue
            if packet is None:
                if used == 0:
                    return buf  # incomplete
                buf = buf[used:]
                continue
            buf = buf[used:]
            with self._cond:
                nak, self._nak_next = self._nak_next, None
            if nak is not None:
                self._ssi_reply(SSI_CMD_NAK, nak, f"nak-{nak}")
            elif packet.opcode in (SSI_START_DECODE, SSI_STOP_DECODE):
                start = packet.opcode == SSI_START_DECODE
                with self._cond:
                    self._reading = start
                self._ssi_reply(SSI_CMD_ACK, None, "start" if start else "stop")
            else:
                self._ssi_reply(SSI_CMD_NAK, NAK_DENIED, f"nak-{NAK_DENIED}")
        return buf

    def _ssi_reply(self, opcode: int, cause: int | None, command: str) -> None:
        # Recorded before the reply goes out: a host that has its answer finds it listed.
        with self._cond:
            self._commands.append(command)
            self._cond.notify_all()
        data = bytes((cause,)) if cause is not None else b""
        with contextlib.suppress(RuntimeError, TimeoutError):
            self._write(ssi_packet(opcode, data, source=SSI_SOURCE_DECODER), frames=0)
