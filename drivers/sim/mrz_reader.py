"""Simulated serial MRZ reader on a real pty: 3M RTE Native framing, or plain / DESKO.

The simulator holds the pty master; the slave device is symlinked at ``pty_link`` and
``url`` is ``serial://<pty_link>?baudrate=<baud>&kind=<kind>``, ready for
``drivers.idcard.open_mrz_reader``. Like the real readers it only talks: it sends a frame
per document swiped (``send_mrz``) and ignores what the host writes. Faults on demand:
``send_garbage`` (line noise), ``send_partial`` (a frame cut off, as when a card is pulled
mid-read), ``send_burst`` (several frames in one write), ``send_corrupt`` (a frame whose
check byte or text is damaged), ``unplug`` (the device disappears).

Frames follow drivers.idcard.mrz_reader's documented layouts, including its assumptions
about the 3M length word (here: the whole block, SOH to BCC) and BCC (XOR after SOH through
ETX), which the 3M manual found does not settle.

Typical use::

    with SimMrzReader(tmp_path / "mrz", kind="3m") as sim:
        reader = open_mrz_reader(sim.url)
        sim.send_mrz(lines)
        assert reader.get(timeout=2) == "\\n".join(lines)
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from drivers.device import write_all
from drivers.idcard.mrz_framing import CR, ETX, KINDS, SOH, STX, bcc_3m

from .pty import PtyDevice

PTY_URL_BAUD = 9600
WRITE_TIMEOUT = 5.0


def _lines(mrz: str | Sequence[str]) -> list[str]:
    return mrz.splitlines() if isinstance(mrz, str) else list(mrz)


def encode_frame(kind: str, mrz: str | Sequence[str], *, flag: bytes = b"0") -> bytes:
    """The bytes a reader of ``kind`` sends for one document (lines as read)."""
    lines = _lines(mrz)
    if kind == "plain":
        return b"".join(line.encode("ascii") + b"\r" for line in lines)
    if kind == "desko":
        return bytes([STX]) + b"".join(line.encode("ascii") + b"\r" for line in lines) \
            + bytes([ETX])
    if kind == "3m":
        width = 30 if len(lines) == 3 else 44
        text = flag + b"".join(line.ljust(width, "_").encode("ascii") + b"\r" for line in lines)
        total = 1 + 2 + 2 + 1 + len(text) + 1 + 1  # SOH len len O U STX text ETX BCC
        body = (total & 0x3FFF).to_bytes(2, "little") + b"OU" + bytes([STX]) + text \
            + bytes([ETX])
        return bytes([SOH]) + body + bytes([bcc_3m(body)])
    raise ValueError(f"unknown MRZ reader kind {kind!r}; expected one of {KINDS}")


class SimMrzReader:
    def __init__(self, pty_link: Path | str, kind: str = "3m", *, baudrate: int | None = None,
                 seed: int | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown MRZ reader kind {kind!r}; expected one of {KINDS}")
        if baudrate is not None and not baudrate > 0:
            raise ValueError(f"baudrate must be > 0, got {baudrate!r}")
        self.pty_link = Path(os.path.abspath(pty_link))
        self.kind = kind
        self.baudrate = baudrate
        self.rng = random.Random(seed)
        self.bytes_sent = 0
        self._pty: PtyDevice | None = None

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> SimMrzReader:
        if self._pty is not None:
            raise RuntimeError("SimMrzReader already started")
        self._pty = PtyDevice(self.pty_link)
        return self

    def stop(self) -> None:
        """Remove the device (link first, so the host cannot find it again)."""
        pty, self._pty = self._pty, None
        if pty is not None:
            pty.close()

    unplug = stop

    def __enter__(self) -> SimMrzReader:
        return self.start() if self._pty is None else self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return (f"serial://{quote(str(self.pty_link))}"
                f"?baudrate={self.baudrate or PTY_URL_BAUD}&kind={self.kind}")

    # -- sending ----------------------------------------------------------------------------
    def send_raw(self, data: bytes) -> None:
        """Write bytes to the host, paced at ``baudrate`` (10 bits a byte) if set."""
        pty = self._pty
        if pty is None:
            raise RuntimeError("SimMrzReader is not running")
        # A host that does not read gets a TimeoutError rather than hanging the test.
        if self.baudrate:
            for i in range(0, len(data), 256):
                piece = data[i:i + 256]
                write_all(pty.master, piece, WRITE_TIMEOUT)
                time.sleep(len(piece) * 10 / self.baudrate)  # the wire's pace
        else:
            write_all(pty.master, data, WRITE_TIMEOUT)
        self.bytes_sent += len(data)

    def frame(self, mrz: str | Sequence[str]) -> bytes:
        return encode_frame(self.kind, mrz)

    def send_mrz(self, mrz: str | Sequence[str]) -> bytes:
        data = self.frame(mrz)
        self.send_raw(data)
        return data

    def send_burst(self, mrzs: Sequence[str | Sequence[str]]) -> bytes:
        """Several documents' frames back to back in one write."""
        data = b"".join(self.frame(m) for m in mrzs)
        self.send_raw(data)
        return data

    def send_partial(self, mrz: str | Sequence[str], nbytes: int | None = None) -> bytes:
        """The first ``nbytes`` (default half) of a frame, and nothing more."""
        full = self.frame(mrz)
        data = full[: len(full) // 2 if nbytes is None else nbytes]
        self.send_raw(data)
        return data

    def send_corrupt(self, mrz: str | Sequence[str]) -> bytes:
        """A frame damaged in transit: one text byte changed (and, in plain mode, so the
        line no longer has MRZ shape)."""
        data = bytearray(self.frame(mrz))
        pos = {"3m": 8, "desko": 2, "plain": 0}[self.kind]
        data[pos] = ord("~") if data[pos] != ord("~") else ord("!")
        self.send_raw(bytes(data))
        return bytes(data)

    def garbage(self, n: int = 64) -> bytes:
        """Printable noise that starts no frame and (plain mode) ends with a CR, so it is one
        bad line rather than glued to the next MRZ."""
        noise = bytes(self.rng.randrange(0x20, 0x7F) for _ in range(n))
        return noise + (bytes([CR]) if self.kind == "plain" else b"")

    def send_garbage(self, n: int = 64) -> bytes:
        data = self.garbage(n)
        self.send_raw(data)
        return data
