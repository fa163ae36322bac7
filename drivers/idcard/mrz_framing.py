"""What serial MRZ readers (swipe / page readers) send, cut into MRZ texts.

``MrzFramer(kind).feed(bytes)`` returns, in order, each MRZ text it completed (lines joined
by ``"\\n"``, ready for :func:`drivers.idcard.mrz.parse_td1`) and a :class:`BadFrame` for
each broken frame or run of garbage; it resynchronises on the next frame. Memory is bounded
(``MAX_FRAME``), and so is the work per input byte. No reason text quotes frame content.

Kinds:

``plain``
    Lines separated by CR (LF and CR LF accepted), 3 lines of 30 = one TD1 MRZ. With no
    frame to go by, lines are recognised by shape (line 1 starts A/C/I and has digits,
    line 2 is dates and check digits, line 3 has no digits), so a lost line costs one MRZ,
    not every following one. ``flush()`` (the reader calls it after an idle gap) ends a last
    line sent without a CR.
``3m``
    3M RTE Native (3M RTE6701-OEM Integration Manual, section 9.1):
    ``SOH [length lo][length hi] "O" "U" STX [flag] line1 CR line2 CR line3 CR ETX BCC``;
    lines padded with ``_`` to 30 (3 lines) or 44 (2 lines); a line not found is sent
    empty. The length is a 14-bit little-endian word. NOT confirmed (the manual's text is
    cut there): what the length counts and which bytes the BCC covers. Assumed: BCC = XOR of
    every byte after SOH up to and including ETX; the length word is not enforced (the BCC
    protects it), frames are delimited by ETX (the text is printable, it holds no ETX).
``desko``
    DESKO (doc 7 000 310 001, protocol for CUTE): ``<SODn> STX line CR line CR line CR ETX
    <EODn>``. SODn/EODn are configured per device; bytes outside STX..ETX are ignored.
"""

from __future__ import annotations

import re

from .errors import BadFrame

SOH, STX, ETX, LF, CR = 0x01, 0x02, 0x03, 0x0A, 0x0D
KINDS = ("plain", "3m", "desko")
MAX_FRAME = 512  # bytes from the frame start to its end; 3 lines of 44 are ~150
MAX_LINE = 64  # plain mode: a longer run without CR is garbage
GARBAGE_REPORT_MIN = 8  # smaller runs between frames (CR LF, DESKO's SOD/EOD) are normal

_LINE1 = re.compile(r"[ACI][A-Z0-9<][A-Z<]{3}[A-Z0-9<]{25}", re.ASCII)
_LINE2 = re.compile(r"[0-9<]{6}[0-9][MFX<][0-9<]{6}[0-9][A-Z<]{3}[A-Z0-9<]{11}[0-9]", re.ASCII)
_LINE3 = re.compile(r"[A-Z<]{30}", re.ASCII)

Item = str | BadFrame


def _line_role(text: str) -> int | None:
    """Which TD1 line ``text`` looks like: 1, 2, 3, or None."""
    if _LINE2.fullmatch(text):
        return 2
    if _LINE1.fullmatch(text) and any(c.isdigit() for c in text):
        return 1
    if _LINE3.fullmatch(text):
        return 3
    return None


def _xor(data: bytes | bytearray) -> int:
    value = 0
    for b in data:
        value ^= b
    return value


def bcc_3m(block_after_soh: bytes | bytearray) -> int:
    """The assumed 3M block check: XOR of the bytes after SOH through ETX."""
    return _xor(block_after_soh)


class MrzFramer:
    """Turns a reader's byte stream into MRZ texts and BadFrames. Not thread-safe."""

    def __init__(self, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown MRZ reader kind {kind!r}; expected one of {KINDS}")
        self.kind = kind
        self._buf = bytearray()
        self._lines: list[str] = []  # plain: the MRZ lines so far
        self._skipping = False  # plain: inside an overlong line, dropped up to its end
        self._resync = False  # plain: after a bad line, the rest of its MRZ goes unreported
        self._garbage = 0  # framed: bytes skipped outside frames, not yet reported

    @property
    def pending(self) -> bool:
        """Something is buffered that a flush() would end."""
        return bool(self._buf or self._lines or self._garbage or self._skipping)

    @property
    def buffered(self) -> int:
        """Bytes held for an unfinished line or frame (at most MAX_FRAME after feed())."""
        return len(self._buf)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Item]:
        self._buf += data
        out: list[Item] = []
        if self.kind == "plain":
            self._plain(out)
        else:
            self._framed(out)
        return out

    def flush(self) -> list[Item]:
        """The stream paused or ended: close whatever is half done."""
        out: list[Item] = []
        if self.kind == "plain":
            if self._buf and not self._skipping:
                self._line(bytes(self._buf), out)
            if self._lines:
                out.append(BadFrame(f"incomplete MRZ: {len(self._lines)} of 3 lines"))
        else:
            self._report_garbage(out)
            if self._buf:
                out.append(BadFrame("frame cut short (no end before the reader went quiet)"))
        self.reset()
        return out

    def reset(self) -> None:
        """Forget everything buffered, zeroing the buffer (it may hold MRZ characters)."""
        self._buf[:] = bytes(len(self._buf))
        self._buf.clear()
        self._lines.clear()
        self._skipping = False
        self._resync = False
        self._garbage = 0

    # -- plain ------------------------------------------------------------------------------
    def _plain(self, out: list[Item]) -> None:
        buf = self._buf
        while True:
            ends = [i for i in (buf.find(CR), buf.find(LF)) if i >= 0]
            if not ends:
                if len(buf) > MAX_LINE:
                    if not self._skipping:
                        self._abandon(out, f"line longer than {MAX_LINE} bytes")
                    self._skipping = True
                    buf[:] = bytes(len(buf))
                    buf.clear()
                return
            end = min(ends)
            line = bytes(buf[:end])
            del buf[:end + 1]
            if self._skipping:  # the tail of an overlong line
                self._skipping = False
                continue
            self._line(line, out)

    def _abandon(self, out: list[Item], reason: str) -> None:
        self._resync = True
        if self._lines:
            reason += f"; {len(self._lines)} earlier MRZ line(s) dropped"
            self._lines.clear()
        out.append(BadFrame(reason))

    def _line(self, line: bytes, out: list[Item]) -> None:
        if not line:
            return  # CR LF, or a trailing CR
        if len(line) > MAX_LINE:  # same verdict whether it came in one read or many
            self._abandon(out, f"line longer than {MAX_LINE} bytes")
            return
        role = None
        if len(line) == 30 and line.isascii():
            role = _line_role(line.decode("ascii"))
        if role is None:
            self._abandon(out, f"a line of {len(line)} bytes that is not a TD1 MRZ line")
            return
        expected = len(self._lines) + 1
        if self._resync and expected == 1 and role != 1:
            return  # the rest of an MRZ already reported broken: one report is enough
        self._resync = False
        if role == expected:
            self._lines.append(line.decode("ascii"))
            if len(self._lines) == 3:
                out.append("\n".join(self._lines))
                self._lines.clear()
        elif role == 1:  # a new MRZ begins: the previous one lost a line
            out.append(BadFrame(f"incomplete MRZ: {len(self._lines)} of 3 lines"))
            self._lines = [line.decode("ascii")]
        else:
            self._abandon(out, f"MRZ line {role} where line {expected} was expected")

    # -- framed -----------------------------------------------------------------------------
    def _report_garbage(self, out: list[Item]) -> None:
        if self._garbage >= GARBAGE_REPORT_MIN:
            out.append(BadFrame(f"{self._garbage} bytes outside a frame skipped"))
        self._garbage = 0

    def _drop(self, n: int) -> None:
        self._buf[:n] = bytes(n)
        del self._buf[:n]

    def _framed(self, out: list[Item]) -> None:
        buf = self._buf
        start = SOH if self.kind == "3m" else STX
        while buf:
            i = buf.find(start)
            if i < 0:
                self._garbage += len(buf)
                self._drop(len(buf))
                return
            if i:
                self._garbage += i
                self._drop(i)
            step = self._frame_3m() if self.kind == "3m" else self._frame_desko()
            if step is None:
                return  # wait for more bytes
            consumed, item = step
            if item is None:  # a start byte that begins no frame: noise
                self._garbage += consumed
            else:
                self._report_garbage(out)
                out.append(item)
            self._drop(consumed)

    def _frame_3m(self) -> tuple[int, Item | None] | None:
        buf = self._buf
        header = bytes(buf[:6])
        if (len(header) > 3 and header[3:4] != b"O") or (len(header) > 4 and header[4:5] != b"U") \
                or (len(header) > 5 and header[5] != STX):
            return 1, None  # a stray SOH (noise, a wrong baud rate)
        if len(buf) < 7:
            return None
        end = self._frame_end(SOH, 7, "3M")  # after the flag byte, which may be any value
        if not isinstance(end, int):
            return end
        if len(buf) < end + 2:
            return None  # the BCC has not arrived yet
        if bcc_3m(buf[1:end + 1]) != buf[end + 1]:
            return end + 2, BadFrame("3M block check (BCC) does not match")
        return end + 2, _text(bytes(buf[7:end]), underscores=True)

    def _frame_desko(self) -> tuple[int, Item | None] | None:
        end = self._frame_end(STX, 1, "DESKO")
        if not isinstance(end, int):
            return end
        return end + 1, _text(bytes(self._buf[1:end]), underscores=False)

    def _frame_end(self, start: int, first: int, name: str
                   ) -> int | tuple[int, Item | None] | None:
        """The index of the ETX ending the frame at the buffer's start (searched from
        ``first``), or instead what the frame comes to: a BadFrame with the bytes it takes,
        or None to wait for more bytes."""
        buf = self._buf
        end = buf.find(ETX, first)
        cut = buf.find(start, first, end if end >= 0 else len(buf))
        if cut >= 0:  # MRZ text never holds the start byte: a new frame began
            return cut, BadFrame(f"{name} frame cut short by the next frame")
        if end < 0:
            if len(buf) > MAX_FRAME:
                return 1, BadFrame(f"no ETX within {MAX_FRAME} bytes")
            return None
        if end > MAX_FRAME:
            return end + 1, BadFrame(f"frame longer than {MAX_FRAME} bytes")
        return end


def _text(payload: bytes, underscores: bool) -> Item:
    if not payload.isascii() or any(b < 0x20 and b not in (CR, LF) for b in payload):
        return BadFrame("frame holds bytes that are not MRZ text")
    lines = payload.decode("ascii").replace("\r\n", "\r").replace("\n", "\r").split("\r")
    if lines and lines[-1] == "":
        lines.pop()  # each line ends with CR
    if underscores:
        lines = [line.rstrip("_") for line in lines]
    if not any(lines):
        return BadFrame("the reader sent no MRZ text")
    if len(lines) > 3:
        return BadFrame(f"{len(lines)} lines in one frame (an MRZ has 2 or 3)")
    return "\n".join(lines)
