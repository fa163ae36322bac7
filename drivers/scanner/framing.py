"""Scanner frames: terminators, AIM symbology identifiers, size bound, duplicate filter.

Pure: no I/O, and time is passed in (``now``), so every rule here is testable byte by byte.

A serial scanner sends one decoded symbol as one *frame*: an optional AIM symbology
identifier (ISO/IEC 15424: ``]`` + code character + modifier, e.g. ``]Q1`` QR model 2), the
data, and a terminator (CR, LF or CRLF, set in the scanner's menu). ``FrameSplitter`` cuts a
byte stream into frames whatever the read boundaries are, and stays bounded in memory on any
input: a frame longer than ``max_frame`` is counted, not stored, and reported as ``Dropped``
once its terminator shows where the next frame starts.

Payloads may hold personal data (the CCCD QR has name, birth date and address): a ``Scan``'s
repr shows its length, never its bytes, so logging one by accident leaks nothing.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

Terminator = Literal["auto", "CR", "LF", "CRLF"]
AimMode = Literal["auto", "require", "off"]
TERMINATORS: tuple[str, ...] = ("auto", "CR", "LF", "CRLF")
AIM_MODES: tuple[str, ...] = ("auto", "require", "off")
DEFAULT_MAX_FRAME = 4096

# ISO/IEC 15424 code characters -> symbology family. The modifier (third character) refines
# options (check digit, ECI, GS1 ...) but not the family, except for EAN/UPC below.
AIM_FAMILIES: dict[str, str] = {
    "A": "Code 39",
    "C": "Code 128",
    "d": "Data Matrix",
    "e": "GS1 DataBar",
    "F": "Codabar",
    "G": "Code 93",
    "H": "Code 11",
    "I": "Interleaved 2 of 5",
    "L": "PDF417",
    "M": "MSI",
    "Q": "QR",
    "U": "MaxiCode",
    "z": "Aztec",
}
# EAN/UPC: the modifier tells the symbologies apart (E0 = EAN-13, UPC-A, UPC-E as 13 digits).
AIM_EXACT: dict[str, str] = {
    "]E0": "EAN-13",
    "]E1": "EAN-2 add-on",
    "]E2": "EAN-5 add-on",
    "]E3": "EAN-13",  # with add-on
    "]E4": "EAN-8",
}
_AIM = re.compile(rb"\][A-Za-z][0-9A-Za-z]")
_CR_OR_LF = re.compile(rb"[\r\n]")


def symbology_for(aim: str) -> str:
    """Symbology name for an AIM identifier; an unknown identifier is returned as it is."""
    if aim in AIM_EXACT:
        return AIM_EXACT[aim]
    if len(aim) == 3 and aim[1] != "E":
        return AIM_FAMILIES.get(aim[1], aim)
    return aim


@dataclass(frozen=True, repr=False)
class Scan:
    """One decoded symbol. ``payload`` excludes the AIM prefix and the terminator."""

    payload: bytes
    symbology: str | None = None  # "QR", "Code 128", "EAN-13" ...; raw "]Xn" if unknown
    aim: str | None = None  # the AIM identifier as sent, e.g. "]Q1"
    at: float = field(default=0.0, compare=False)  # time.monotonic() when the frame ended

    def __repr__(self) -> str:
        # Never the payload: it may be an ID card's QR.
        aim = f", aim={self.aim}" if self.aim else ""
        return f"Scan({self.symbology or 'unknown symbology'}{aim}, {len(self.payload)} bytes)"

    def text(self, encoding: str = "utf-8") -> str:
        """The payload as text (CCCD QRs are UTF-8); undecodable bytes become U+FFFD."""
        return self.payload.decode(encoding, errors="replace")


@dataclass(frozen=True)
class Dropped:
    """A frame that did not become a Scan, and why. Carries no payload bytes."""

    reason: str
    length: int  # bytes of the frame (terminator excluded)


class FrameSplitter:
    """Cut a byte stream into frames.

    ``terminator``: ``"CR"``, ``"LF"``, ``"CRLF"`` exactly, or ``"auto"``: a CR, an LF or a
    CRLF ends a frame, CRLF counting once (the empty frame between CR and LF is ignored, as
    are all empty frames). Under ``"auto"`` a payload cannot contain CR or LF; choose the
    exact terminator for multi-line codes (vCards).

    ``aim``: ``"auto"`` strips an AIM identifier when a frame starts with one; ``"require"``
    drops frames without one (the scanner is set to send them, so such a frame is line noise);
    ``"off"`` never strips (a payload may start with ``]`` legitimately).

    Memory: the buffer holds at most ``max_frame`` bytes; a longer frame is only counted.
    """

    def __init__(self, terminator: Terminator = "auto", max_frame: int = DEFAULT_MAX_FRAME,
                 aim: AimMode = "auto") -> None:
        if terminator not in TERMINATORS:
            raise ValueError(f"terminator must be one of {', '.join(TERMINATORS)}, "
                             f"got {terminator!r}")
        if aim not in AIM_MODES:
            raise ValueError(f"aim must be one of {', '.join(AIM_MODES)}, got {aim!r}")
        if not isinstance(max_frame, int) or max_frame < 1:
            raise ValueError(f"max_frame must be an integer >= 1, got {max_frame!r}")
        self.terminator = terminator
        self.max_frame = max_frame
        self.aim = aim
        self._buf = bytearray()
        self._discarding = False  # inside an oversize frame: counting, not storing
        self._discard_len = 0
        self._cr = False  # CRLF mode: the last byte seen was a CR that may start CRLF
        self._last_at = 0.0

    @property
    def pending(self) -> int:
        """Bytes of an unfinished frame (stored or only counted)."""
        stored = self._discard_len if self._discarding else len(self._buf)
        return stored + int(self._cr)

    @property
    def buffered(self) -> int:
        """Bytes actually held in memory (never more than ``max_frame``)."""
        return len(self._buf)

    def feed(self, data: bytes, now: float | None = None) -> list[Scan | Dropped]:
        """Bytes in, finished frames out. ``now``: time stamp for the scans (monotonic)."""
        out: list[Scan | Dropped] = []
        if not data:
            return out
        now = time.monotonic() if now is None else now
        self._last_at = now
        data = bytes(data)
        i = 0
        if self._cr:
            self._cr = False
            if data[0] == 0x0A:
                self._end_frame(out, now)
                i = 1
            else:
                self._append(b"\r")  # a lone CR is payload in CRLF mode
        n = len(data)
        while i < n:
            end = self._next_terminator(data, i)
            if end is None:
                tail = data[i:]
                if self.terminator == "CRLF" and tail.endswith(b"\r"):
                    self._cr = True  # decided by the next byte, possibly in the next chunk
                    tail = tail[:-1]
                self._append(tail)
                break
            start, after = end
            self._append(data[i:start])
            self._end_frame(out, now)
            i = after
        return out

    def expire(self, now: float, gap: float) -> Dropped | None:
        """Drop an unfinished frame whose last byte came more than ``gap`` s ago.

        A scanner sends a frame in one go, so a stalled partial frame is a fragment (a cable
        pulled mid-frame, line noise) that would otherwise glue itself to the next scan."""
        if self.pending and now - self._last_at >= gap:
            return self._abandon(f"incomplete frame: no terminator within {gap:g} s")
        return None

    def reset(self, reason: str = "incomplete frame: link lost") -> Dropped | None:
        """Forget an unfinished frame (the link was lost); report it if there was one."""
        return self._abandon(reason) if self.pending else None

    # -- internals ------------------------------------------------------------------------
    def _abandon(self, reason: str) -> Dropped:
        length = self.pending
        if self._discarding:
            reason = f"frame longer than {self.max_frame} bytes ({reason})"
        self._buf.clear()
        self._discarding, self._discard_len, self._cr = False, 0, False
        return Dropped(reason, length)

    def _next_terminator(self, data: bytes, i: int) -> tuple[int, int] | None:
        if self.terminator == "auto":
            m = _CR_OR_LF.search(data, i)
            return (m.start(), m.start() + 1) if m else None
        if self.terminator == "CRLF":
            k = data.find(b"\r\n", i)
            return (k, k + 2) if k >= 0 else None
        k = data.find(b"\r" if self.terminator == "CR" else b"\n", i)
        return (k, k + 1) if k >= 0 else None

    def _append(self, seg: bytes) -> None:
        if not seg:
            return
        if self._discarding:
            self._discard_len += len(seg)
        elif len(self._buf) + len(seg) > self.max_frame:
            # Too long: stop storing, keep counting until the terminator (resynchronise).
            self._discarding = True
            self._discard_len = len(self._buf) + len(seg)
            self._buf.clear()
        else:
            self._buf += seg

    def _end_frame(self, out: list[Scan | Dropped], now: float) -> None:
        if self._discarding:
            out.append(Dropped(f"frame longer than {self.max_frame} bytes", self._discard_len))
            self._discarding, self._discard_len = False, 0
            return
        if not self._buf:
            return  # empty frame (CR LF under "auto", blank lines): nothing was scanned
        frame = bytes(self._buf)
        self._buf.clear()
        out.append(self._frame_to_scan(frame, now))

    def _frame_to_scan(self, frame: bytes, now: float) -> Scan | Dropped:
        if self.aim != "off" and _AIM.match(frame):
            aim = frame[:3].decode("ascii")
            payload = frame[3:]
            if not payload:
                return Dropped(f"AIM identifier {aim} without data", len(frame))
            return Scan(payload, symbology_for(aim), aim, now)
        if self.aim == "require":
            return Dropped("no AIM symbology identifier (line noise?)", len(frame))
        return Scan(frame, None, None, now)


class Deduplicator:
    """Report a payload once while it keeps being read: a payload seen again less than
    ``window`` s after it was last seen is a duplicate (a presentation scanner re-reads a
    code held under it several times a second; each sighting extends the window).

    Keeps BLAKE2b digests, not payloads, and at most ``max_entries`` of them."""

    def __init__(self, window: float, max_entries: int = 256) -> None:
        if not window >= 0:  # also rejects nan
            raise ValueError(f"dedupe window must be >= 0 s, got {window!r}")
        self.window = float(window)
        self.max_entries = max_entries
        self._seen: OrderedDict[bytes, float] = OrderedDict()  # digest -> last seen, oldest first

    def is_duplicate(self, payload: bytes, now: float) -> bool:
        """Record a sighting of ``payload`` at ``now``; True if it is a repeat."""
        if self.window <= 0:
            return False
        while self._seen:  # forget what is older than the window
            first, seen_at = next(iter(self._seen.items()))
            if now - seen_at < self.window:
                break
            del self._seen[first]
        key = hashlib.blake2b(payload, digest_size=16).digest()
        last = self._seen.pop(key, None)
        duplicate = last is not None and 0 <= now - last < self.window
        self._seen[key] = now  # most recent last
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)
        return duplicate

    def accept(self, scan: Scan) -> bool:
        """True if ``scan`` should be reported (it is not a duplicate)."""
        return not self.is_duplicate(scan.payload, scan.at)

    def clear(self) -> None:
        self._seen.clear()

    def __len__(self) -> int:
        """Digests held (at most ``max_entries``)."""
        return len(self._seen)
