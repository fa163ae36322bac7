"""ESC/POS tokenizer: walks a byte stream command by command.

It knows how long each command is (fixed parameters, length-prefixed blocks, bit-image
dimensions), so bytes inside raster data or QR payloads are never mistaken for commands:
a real printer's parser works the same way. Used by the simulator (fed socket chunks) and by
decode.py (fed whole jobs).

Every token carries ``raw``, the exact bytes it consumed; concatenating ``raw`` over all
tokens gives back the input, whatever the chunking.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

NUL, HT, LF, FF, CR = 0x00, 0x09, 0x0A, 0x0C, 0x0D
DLE, EOT, ENQ, DC4, CAN = 0x10, 0x04, 0x05, 0x14, 0x18
ESC, FS, GS = 0x1B, 0x1C, 0x1D

# Kinds of token.
TEXT = "text"  # printable bytes (0x20..0xFF) in the current code page
CTRL = "ctrl"  # single control byte: LF, CR, HT, FF, CAN, NUL ...
CMD = "cmd"  # a known command, fully received
UNKNOWN = "unknown"  # unknown ESC/GS/FS sequence: its 2-byte prefix, skipped
INCOMPLETE = "incomplete"  # stream ended inside a command (only from flush()/tokenize())

# A text token never exceeds this, so a streaming consumer holds back a bounded amount.
TEXT_MAX = 4096
# A declared data length beyond this is treated as garbage (skip the prefix) rather than
# buffering up to 4 GB for a GS v 0 with hostile dimensions.
MAX_DATA = 16 * 1024 * 1024
# NUL-terminated parameters (GS k function A, ESC D) longer than this are garbage.
MAX_NUL_TERMINATED = 256

_TEXT_RE = re.compile(rb"[\x20-\xff]{1,%d}" % TEXT_MAX)

_CTRL_NAMES = {NUL: "NUL", HT: "HT", LF: "LF", FF: "FF", CR: "CR", CAN: "CAN", DLE: "DLE",
               0x07: "BEL", 0x0B: "VT"}


@dataclass(frozen=True)
class Token:
    kind: str
    cmd: str = ""
    args: tuple[int, ...] = ()
    data: bytes = b""
    raw: bytes = b""


class _NeedMore(Exception):
    """Internal: the command at the cursor is not fully received yet."""


class _Oversized(Exception):
    """Internal: the command declares more data than MAX_DATA."""


def _name(prefix: str, fn: int) -> str:
    return f"{prefix} {chr(fn)}" if 0x21 <= fn <= 0x7E else f"{prefix} 0x{fn:02X}"


def _le(b: bytes | bytearray | memoryview, start: int, count: int) -> int:
    return int.from_bytes(bytes(b[start:start + count]), "little")


class _Cursor:
    """Bounds-checked reads over the buffer; raises _NeedMore instead of IndexError."""

    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes | bytearray, pos: int) -> None:
        self.buf = buf
        self.pos = pos

    def byte(self) -> int:
        if self.pos >= len(self.buf):
            raise _NeedMore
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def take(self, n: int) -> bytes:
        if n > MAX_DATA:
            raise _Oversized
        if self.pos + n > len(self.buf):
            raise _NeedMore
        out = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return out

    def until_nul(self) -> bytes:
        end = self.buf.find(b"\x00", self.pos, self.pos + MAX_NUL_TERMINATED + 1)
        if end < 0:
            if len(self.buf) - self.pos > MAX_NUL_TERMINATED:
                raise _Oversized
            raise _NeedMore
        out = bytes(self.buf[self.pos:end])
        self.pos = end + 1
        return out


# Commands with a fixed number of parameter bytes after <prefix><fn>.
_ESC_FIXED = {
    ord("@"): 0, ord("!"): 1, ord("E"): 1, ord("a"): 1, ord("d"): 1, ord("t"): 1, ord("-"): 1,
    ord("M"): 1, ord("2"): 0, ord("3"): 1, ord("J"): 1, ord("G"): 1, ord("V"): 1, ord("{"): 1,
    ord("R"): 1, ord("r"): 1, ord("U"): 1, ord(" "): 1, ord("e"): 1, ord("%"): 1, ord("?"): 1,
    ord("="): 1, ord("T"): 1, ord("L"): 0, ord("S"): 0, FF: 0, ord("W"): 8, ord("$"): 2,
    ord("\\"): 2, ord("p"): 3, ord("i"): 0, ord("m"): 0, ord("K"): 1, ord("u"): 1, ord("v"): 0,
    ord("B"): 2, ord("c"): 2,
}
_GS_FIXED = {
    ord("!"): 1, ord("B"): 1, ord("a"): 1, ord("H"): 1, ord("f"): 1, ord("h"): 1, ord("w"): 1,
    ord("b"): 1, ord("I"): 1, ord("r"): 1, ord("E"): 1, ord("T"): 1, ord(":"): 0, ord("^"): 3,
    ord("P"): 2, ord("L"): 2, ord("W"): 2, ord("$"): 2, ord("\\"): 2, ord("/"): 1, ord("c"): 0,
    ord("j"): 1, ord("Z"): 1,
}
_FS_FIXED = {
    ord("p"): 2, ord("&"): 0, ord("."): 0, ord("!"): 1, ord("-"): 1, ord("C"): 1, ord("S"): 2,
    ord("W"): 1, ord("?"): 2,
}


def _block(c: _Cursor, name: str, length_bytes: int) -> Token:
    """<prefix> <X> <length little-endian> <block>; args = first two block bytes (cn/m, fn)."""
    size = _le(c.take(length_bytes), 0, length_bytes)
    block = c.take(size)
    return Token(CMD, name, tuple(block[:2]), block[2:])


def _esc(c: _Cursor, fn: int) -> Token | None:
    name = _name("ESC", fn)
    if fn in _ESC_FIXED:
        return Token(CMD, name, tuple(c.take(_ESC_FIXED[fn])))
    if fn == ord("*"):
        m = c.byte()
        n = _le(c.take(2), 0, 2)
        per_column = 3 if m in (32, 33) else 1
        return Token(CMD, name, (m, n), c.take(n * per_column))
    if fn == ord("("):
        return _block(c, _name(name, c.byte()), 2)
    if fn == ord("D"):
        return Token(CMD, name, (), c.until_nul())
    if fn == ord("&"):
        y, c1, c2 = c.byte(), c.byte(), c.byte()
        start = c.pos
        for _ in range(max(0, c2 - c1 + 1)):
            x = c.byte()
            c.take(y * x)
        return Token(CMD, name, (y, c1, c2), bytes(c.buf[start:c.pos]))
    return None


def _gs(c: _Cursor, fn: int) -> Token | None:
    name = _name("GS", fn)
    if fn in _GS_FIXED:
        return Token(CMD, name, tuple(c.take(_GS_FIXED[fn])))
    if fn == ord("V"):
        m = c.byte()
        if m in (65, 66, 97, 98, 103, 104):
            return Token(CMD, name, (m, c.byte()))
        return Token(CMD, name, (m,))
    if fn == ord("v"):
        if c.byte() != ord("0"):
            return None
        m = c.byte()
        x = _le(c.take(2), 0, 2)
        y = _le(c.take(2), 0, 2)
        return Token(CMD, "GS v 0", (m, x, y), c.take(x * y))
    if fn == ord("("):
        sub = c.byte()
        return _block(c, _name(name, sub), 2)
    if fn == ord("8"):
        sub = c.byte()
        return _block(c, _name(name, sub), 4)
    if fn == ord("*"):
        x, y = c.byte(), c.byte()
        return Token(CMD, name, (x, y), c.take(x * y * 8))
    if fn == ord("k"):
        m = c.byte()
        if m <= 6:
            return Token(CMD, name, (m,), c.until_nul())
        if 65 <= m <= 79:
            n = c.byte()
            return Token(CMD, name, (m, n), c.take(n))
        return Token(CMD, name, (m,))
    return None


def _fs(c: _Cursor, fn: int) -> Token | None:
    name = _name("FS", fn)
    if fn in _FS_FIXED:
        return Token(CMD, name, tuple(c.take(_FS_FIXED[fn])))
    if fn == ord("("):
        sub = c.byte()
        return _block(c, _name(name, sub), 2)
    if fn == ord("2"):
        c1, c2 = c.byte(), c.byte()
        return Token(CMD, name, (c1, c2), c.take(72))
    if fn == ord("q"):
        n = c.byte()
        start = c.pos
        for _ in range(n):
            x = _le(c.take(2), 0, 2)
            y = _le(c.take(2), 0, 2)
            c.take(x * y * 8)
        return Token(CMD, name, (n,), bytes(c.buf[start:c.pos]))
    return None


def _dle(c: _Cursor, fn: int) -> Token | None:
    if fn == EOT:
        n = c.byte()
        return Token(CMD, "DLE EOT", (n, c.byte()) if n in (7, 8) else (n,))
    if fn == ENQ:
        return Token(CMD, "DLE ENQ", (c.byte(),))
    if fn == DC4:
        sub = c.byte()
        extra = {1: 2, 2: 2, 7: 1, 8: 7}.get(sub, 0)
        return Token(CMD, "DLE DC4", (sub, *c.take(extra)))
    return None


_PREFIXES: dict[int, tuple[str, Callable[[_Cursor, int], Token | None]]] = {
    ESC: ("ESC", _esc), GS: ("GS", _gs), FS: ("FS", _fs), DLE: ("DLE", _dle),
}


def next_token(buf: bytes | bytearray, pos: int, final: bool) -> tuple[Token, int] | None:
    """Parse one token at ``buf[pos]``; return ``(token, new_pos)``.

    Returns None when more bytes are needed (only if ``final`` is False). With ``final`` True
    a truncated command becomes an INCOMPLETE token holding all remaining bytes.
    """
    n = len(buf)
    if pos >= n:
        return None
    b = buf[pos]
    if b >= 0x20:
        m = _TEXT_RE.match(buf, pos)
        assert m is not None
        end = m.end()
        # Hold back a run that touches the end: more text may follow in the next chunk.
        if end == n and not final and end - pos < TEXT_MAX:
            return None
        return Token(TEXT, "", (), bytes(buf[pos:end]), bytes(buf[pos:end])), end
    if b not in _PREFIXES:
        return Token(CTRL, _CTRL_NAMES.get(b, f"0x{b:02X}"), raw=bytes((b,))), pos + 1
    prefix, parse = _PREFIXES[b]
    c = _Cursor(buf, pos + 1)
    try:
        fn = c.byte()
        tok = parse(c, fn)
    except _NeedMore:
        if not final:
            return None
        return Token(INCOMPLETE, prefix, raw=bytes(buf[pos:])), n
    except _Oversized:
        tok = None
    if tok is None:
        if b == DLE:
            # DLE is not a prefix here: a lone control byte, the next byte parses normally.
            return Token(CTRL, "DLE", raw=bytes((b,))), pos + 1
        fn = buf[pos + 1]
        return Token(UNKNOWN, _name(prefix, fn), (fn,), raw=bytes(buf[pos:pos + 2])), pos + 2
    raw = bytes(buf[pos:c.pos])
    return Token(tok.kind, tok.cmd, tok.args, tok.data, raw), c.pos


class Tokenizer:
    """Streaming tokenizer: ``feed()`` socket chunks, ``flush()`` at end of stream."""

    def __init__(self) -> None:
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        """Bytes received but not yet returned as tokens (an unfinished command or text)."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Token]:
        self._buf += data
        return self._drain(final=False)

    def flush(self) -> list[Token]:
        """End of stream: emit held-back text and an INCOMPLETE token for a cut-off command."""
        return self._drain(final=True)

    def _drain(self, final: bool) -> list[Token]:
        out: list[Token] = []
        pos = 0
        buf = self._buf
        while True:
            got = next_token(buf, pos, final)
            if got is None:
                break
            tok, pos = got
            out.append(tok)
        del buf[:pos]
        return out


def iter_tokens(data: bytes) -> Iterator[Token]:
    """Tokens of a complete byte string (a truncated tail gives one INCOMPLETE token)."""
    pos = 0
    while True:
        got = next_token(data, pos, final=True)
        if got is None:
            return
        tok, pos = got
        yield tok


def tokenize(data: bytes) -> list[Token]:
    return list(iter_tokens(data))
