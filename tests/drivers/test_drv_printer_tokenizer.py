"""ESC/POS tokenizer: command lengths, binary payloads, streaming, fuzz."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.printer.escpos_stream import (
    CMD,
    CTRL,
    INCOMPLETE,
    TEXT,
    TEXT_MAX,
    UNKNOWN,
    Token,
    Tokenizer,
    tokenize,
)

# Payload bytes full of prefixes and status queries, to prove lengths are honoured.
NASTY = b"\x1b@\x1dV\x00\x10\x04\x01\x0a"


@pytest.mark.parametrize(
    ("raw", "cmd", "args", "data"),
    [
        (b"\x1b@", "ESC @", (), b""),
        (b"\x1b!\x30", "ESC !", (0x30,), b""),
        (b"\x1bE\x01", "ESC E", (1,), b""),
        (b"\x1ba\x01", "ESC a", (1,), b""),
        (b"\x1bd\x06", "ESC d", (6,), b""),
        (b"\x1bt\x10", "ESC t", (16,), b""),
        (b"\x1b-\x01", "ESC -", (1,), b""),
        (b"\x1bM\x01", "ESC M", (1,), b""),
        (b"\x1b2", "ESC 2", (), b""),
        (b"\x1b3\x10", "ESC 3", (16,), b""),
        (b"\x1bJ\x20", "ESC J", (32,), b""),
        (b"\x1d!\x11", "GS !", (0x11,), b""),
        (b"\x1dV\x00", "GS V", (0,), b""),
        (b"\x1dV\x31", "GS V", (49,), b""),
        (b"\x1dVA\x05", "GS V", (65, 5), b""),
        (b"\x1dVb\x05", "GS V", (98, 5), b""),
        (b"\x1dv0\x00\x02\x00\x03\x00" + NASTY[:6], "GS v 0", (0, 2, 3), NASTY[:6]),
        (b"\x1d(k\x0c\x001P0" + NASTY, "GS ( k", (49, 80), b"0" + NASTY),
        (b"\x1d(L\x0b\x0002" + NASTY, "GS ( L", (48, 50), NASTY),
        (b"\x1d8L\x0b\x00\x00\x0002" + NASTY, "GS 8 L", (48, 50), NASTY),
        (b"\x1da\x0f", "GS a", (15,), b""),
        (b"\x1dB\x01", "GS B", (1,), b""),
        (b"\x1dL\x10\x00", "GS L", (16, 0), b""),
        (b"\x1dW\x40\x02", "GS W", (64, 2), b""),
        (b"\x1b*\x21\x02\x00" + NASTY[:6], "ESC *", (33, 2), NASTY[:6]),
        (b"\x1b*\x00\x03\x00" + NASTY[:3], "ESC *", (0, 3), NASTY[:3]),
        (b"\x10\x04\x04", "DLE EOT", (4,), b""),
        (b"\x10\x04\x07\x01", "DLE EOT", (7, 1), b""),
        (b"\x10\x05\x02", "DLE ENQ", (2,), b""),
        (b"\x10\x14\x01\x00\x05", "DLE DC4", (1, 0, 5), b""),
        (b"\x10\x14\x08\x01\x03\x14\x01\x06\x02\x08", "DLE DC4", (8, 1, 3, 20, 1, 6, 2, 8), b""),
        (b"\x1c(A\x02\x000\x01", "FS ( A", (48, 1), b""),
        (b"\x1dk\x04ABC\x00", "GS k", (4,), b"ABC"),
        (b"\x1dkI\x03\x1b@\x0a", "GS k", (73, 3), b"\x1b@\x0a"),
    ],
)
def test_known_commands(raw: bytes, cmd: str, args: tuple[int, ...], data: bytes) -> None:
    toks = tokenize(raw)
    assert toks == [Token(CMD, cmd, args, data, raw)]


def test_text_controls_and_unknown() -> None:
    toks = tokenize(b"Hi\xe9\n\r\t\x1b\x99A\x1d\xfe\x10Z")
    assert [(t.kind, t.cmd, t.raw) for t in toks] == [
        (TEXT, "", b"Hi\xe9"), (CTRL, "LF", b"\n"), (CTRL, "CR", b"\r"), (CTRL, "HT", b"\t"),
        (UNKNOWN, "ESC 0x99", b"\x1b\x99"), (TEXT, "", b"A"), (UNKNOWN, "GS 0xFE", b"\x1d\xfe"),
        (CTRL, "DLE", b"\x10"), (TEXT, "", b"Z"),
    ]


def test_streaming_waits_for_the_rest_of_a_command() -> None:
    t = Tokenizer()
    assert t.feed(b"\x1dv0\x00\x01\x00\x02") == []
    assert t.feed(b"\x00\xff") == []
    assert t.pending == 9
    toks = t.feed(b"\x81\x10\x04")
    assert [x.cmd for x in toks] == ["GS v 0"]
    assert toks[0].data == b"\xff\x81"
    assert [x.cmd for x in t.feed(b"\x01")] == ["DLE EOT"]
    assert t.pending == 0


def test_truncated_tail_is_incomplete() -> None:
    t = Tokenizer()
    assert [x.raw for x in t.feed(b"ok\x1d(k\x10\x001P0abc")] == [b"ok"]
    assert t.feed(b"de") == []  # still 8 payload bytes short
    out = t.flush()
    assert [x.kind for x in out] == [INCOMPLETE]
    assert out[0].raw == b"\x1d(k\x10\x001P0abcde"
    t2 = Tokenizer()
    assert t2.feed(b"held") == []  # text touching the end may continue in the next chunk
    assert [x.raw for x in t2.flush()] == [b"held"]


def test_oversized_declared_length_is_skipped_not_buffered() -> None:
    toks = tokenize(b"\x1dv0\x00\xff\xff\xff\xffX")
    assert toks[0].kind == UNKNOWN and toks[0].raw == b"\x1dv"
    assert b"".join(t.raw for t in toks) == b"\x1dv0\x00\xff\xff\xff\xffX"


def test_long_text_is_split_at_a_bounded_size() -> None:
    toks = tokenize(b"A" * (TEXT_MAX * 2 + 5))
    assert [len(t.data) for t in toks] == [TEXT_MAX, TEXT_MAX, 5]


# -- property tests -------------------------------------------------------------------

def _feed_in_chunks(data: bytes, cuts: list[int]) -> list[Token]:
    t = Tokenizer()
    out: list[Token] = []
    prev = 0
    for cut in sorted(c % (len(data) + 1) for c in cuts):
        out += t.feed(data[prev:cut]) if cut >= prev else []
        prev = max(prev, cut)
    out += t.feed(data[prev:])
    out += t.flush()
    return out


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(0, 400), max_size=12))
def test_fuzz_chunking_invariance(data: bytes, cuts: list[int]) -> None:
    whole = tokenize(data)
    # Every token consumes at least one byte: linear work, no stalls.
    assert len(whole) <= len(data)
    assert b"".join(t.raw for t in whole) == data
    assert _feed_in_chunks(data, cuts) == whole


# Structured streams: commands with binary payloads interleaved with text.
def _command() -> st.SearchStrategy[tuple[bytes, str]]:
    payload = st.binary(min_size=1, max_size=40)
    return st.one_of(
        st.just((b"\x1b@", "ESC @")),
        st.integers(0, 255).map(lambda n: (b"\x1b!" + bytes((n,)), "ESC !")),
        st.integers(0, 255).map(lambda n: (b"\x1dV" + bytes((n,)) + (
            bytes((3,)) if n in (65, 66, 97, 98, 103, 104) else b""), "GS V")),
        payload.map(lambda d: (b"\x1dv0\x00" + len(d).to_bytes(2, "little") + b"\x01\x00" + d,
                               "GS v 0")),
        payload.map(lambda d: (b"\x1d(k" + (len(d) + 3).to_bytes(2, "little") + b"1P0" + d,
                               "GS ( k")),
        payload.map(lambda d: (b"\x1b*\x00" + len(d).to_bytes(2, "little") + d, "ESC *")),
        st.integers(1, 4).map(lambda n: (b"\x10\x04" + bytes((n,)), "DLE EOT")),
        st.just((b"\n", "LF")),
        st.text("abcXYZ 0123", min_size=1, max_size=10).map(lambda s: (s.encode(), "")),
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(_command(), max_size=15), st.lists(st.integers(0, 2000), max_size=8))
def test_structured_streams_are_not_fooled_by_payloads(
        cmds: list[tuple[bytes, str]], cuts: list[int]) -> None:
    data = b"".join(raw for raw, _ in cmds)
    toks = _feed_in_chunks(data, cuts)
    assert all(t.kind in (CMD, CTRL, TEXT) for t in toks)
    expected = [name for raw, name in cmds if name]
    assert [t.cmd for t in toks if t.kind != TEXT] == expected
