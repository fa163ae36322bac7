"""Scanner framing, pure: terminators, AIM identifiers, size bound, duplicates, key decoding.

The fuzz tests check the splitter against an independent model (str.split-like) over any
bytes in any chunking, and that its memory stays bounded by max_frame.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.scanner import Deduplicator, Dropped, FrameSplitter, KeyDecoder, Scan, symbology_for
from drivers.scanner.framing import TERMINATORS

NOW = 100.0


def feed(splitter: FrameSplitter, *chunks: bytes) -> list[Scan | Dropped]:
    out: list[Scan | Dropped] = []
    for c in chunks:
        out += splitter.feed(c, NOW)
    return out


def payloads(events: list[Scan | Dropped]) -> list[bytes | str]:
    return [e.payload if isinstance(e, Scan) else f"dropped {e.length}" for e in events]


# -- AIM identifiers ------------------------------------------------------------------------
@pytest.mark.parametrize(("frame", "payload", "symbology", "aim"), [
    (b"]Q1https://dvc.example/hs/123", b"https://dvc.example/hs/123", "QR", "]Q1"),
    (b"]Q0model1", b"model1", "QR", "]Q0"),
    (b"]C0ABC-123", b"ABC-123", "Code 128", "]C0"),
    (b"]E08935049501234", b"8935049501234", "EAN-13", "]E0"),
    (b"]E455123457", b"55123457", "EAN-8", "]E4"),
    (b"]d2\x1d0109501101530003", b"\x1d0109501101530003", "Data Matrix", "]d2"),
    (b"]L0pdf", b"pdf", "PDF417", "]L0"),
    (b"]z0aztec", b"aztec", "Aztec", "]z0"),
    (b"]X0other", b"other", "]X0", "]X0"),  # unknown: kept raw
    (b"]E9odd", b"odd", "]E9", "]E9"),  # unknown EAN/UPC modifier: kept raw
    (b"plain text", b"plain text", None, None),
    (b"]", b"]", None, None),  # too short to be an AIM id
    (b"]Q", b"]Q", None, None),
    (b"]1Qdigits", b"]1Qdigits", None, None),  # code character must be a letter
    ("001234567890|123456789|Nguyễn Văn A|01011990|Nam|Lạc Dương|01012022".encode(),
     "001234567890|123456789|Nguyễn Văn A|01011990|Nam|Lạc Dương|01012022".encode(),
     None, None),
])
def test_aim_prefix_is_stripped_and_reported(frame: bytes, payload: bytes,
                                             symbology: str | None, aim: str | None) -> None:
    [scan] = feed(FrameSplitter("CR"), frame + b"\r")
    assert isinstance(scan, Scan)
    assert (scan.payload, scan.symbology, scan.aim, scan.at) == (payload, symbology, aim, NOW)


def test_symbology_names() -> None:
    assert symbology_for("]Q1") == "QR"
    assert symbology_for("]C0") == "Code 128"
    assert symbology_for("]E0") == "EAN-13"
    assert symbology_for("]d2") == "Data Matrix"
    assert symbology_for("]Y7") == "]Y7"


def test_aim_off_keeps_the_prefix_and_require_drops_frames_without_one() -> None:
    [scan] = feed(FrameSplitter("CR", aim="off"), b"]Q1data\r")
    assert isinstance(scan, Scan) and scan.payload == b"]Q1data" and scan.symbology is None
    events = feed(FrameSplitter("CR", aim="require"), b"\x00\xffnoise\r]Q1good\r")
    assert events == [Dropped("no AIM symbology identifier (line noise?)", 7),
                      Scan(b"good", "QR", "]Q1")]


def test_an_aim_identifier_alone_is_dropped_not_an_empty_scan() -> None:
    assert feed(FrameSplitter("CR"), b"]Q1\r") == [Dropped("AIM identifier ]Q1 without data", 3)]


def test_scan_repr_never_shows_the_payload() -> None:
    scan = Scan(b"001234567890|Nguyen Van A", "QR", "]Q1")
    assert "Nguyen" not in repr(scan) and "0012" not in repr(scan)
    assert repr(scan) == "Scan(QR, aim=]Q1, 25 bytes)"
    assert scan.text() == "001234567890|Nguyen Van A"


# -- terminators ----------------------------------------------------------------------------
@pytest.mark.parametrize(("terminator", "stream", "expected"), [
    ("CR", b"a\rb\r", [b"a", b"b"]),
    ("CR", b"a\nb\r", [b"a\nb"]),  # LF is data when the terminator is CR (vCards)
    ("LF", b"a\nb\n", [b"a", b"b"]),
    ("LF", b"a\r\nb\n", [b"a\r", b"b"]),  # exact: the CR of a CRLF is data under LF
    ("CRLF", b"a\r\nb\r\n", [b"a", b"b"]),
    ("CRLF", b"a\rb\nc\r\n", [b"a\rb\nc"]),  # lone CR and LF are data
    ("CRLF", b"a\r\r\n", [b"a\r"]),
    ("auto", b"a\rb\nc\r\nd\n\re\r\n\r\n", [b"a", b"b", b"c", b"d", b"e"]),  # mixed, CRLF once
    ("auto", b"\r\n\r\n\n\r", []),  # empty frames are ignored
    ("CR", b"\r\r\r", []),
])
def test_terminators(terminator: str, stream: bytes, expected: list[bytes]) -> None:
    events = feed(FrameSplitter(terminator, aim="off"), stream)  # type: ignore[arg-type]
    assert payloads(events) == expected


@pytest.mark.parametrize("terminator", ["CR", "LF", "CRLF", "auto"])
def test_a_frame_waits_for_its_terminator(terminator: str) -> None:
    s = FrameSplitter(terminator)  # type: ignore[arg-type]
    assert feed(s, b"]Q1hel", b"lo") == []
    assert s.pending == 5 + 3
    end = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "auto": b"\r\n"}[terminator]
    assert payloads(feed(s, end)) == [b"hello"]
    assert s.pending == 0


def test_crlf_split_between_two_reads() -> None:
    s = FrameSplitter("CRLF")
    assert feed(s, b"]C0AB\r") == []  # the CR might be data or half a CRLF
    assert payloads(feed(s, b"\n")) == [b"AB"]
    assert feed(s, b"x\r") == [] and payloads(feed(s, b"y\r\n")) == [b"x\ry"]


# -- size bound and resynchronisation -------------------------------------------------------
def test_oversize_frame_is_dropped_and_the_stream_resynchronises() -> None:
    s = FrameSplitter("CR", max_frame=16)
    events = feed(s, b"]Q1ok\r", b"x" * 10, b"y" * 10, b"z" * 30, b"\r]Q1next\r")
    assert events == [Scan(b"ok", "QR", "]Q1"), Dropped("frame longer than 16 bytes", 50),
                      Scan(b"next", "QR", "]Q1")]
    assert s.buffered == 0


def test_frame_of_exactly_max_frame_bytes_passes() -> None:
    s = FrameSplitter("LF", max_frame=8, aim="off")
    assert payloads(feed(s, b"12345678\n123456789\n")) == [b"12345678", "dropped 9"]


def test_stale_partial_frame_expires() -> None:
    s = FrameSplitter("CR")
    s.feed(b"]Q1par", now=10.0)
    assert s.expire(now=10.2, gap=0.5) is None  # still coming, perhaps
    gone = s.expire(now=10.6, gap=0.5)
    assert gone == Dropped("incomplete frame: no terminator within 0.5 s", 6)
    assert s.pending == 0 and s.expire(now=99.0, gap=0.5) is None
    assert payloads(s.feed(b"]Q1good\r", now=11.0)) == [b"good"]  # not glued to the fragment


def test_reset_reports_what_was_lost() -> None:
    s = FrameSplitter("CR", max_frame=4)
    assert s.reset() is None
    s.feed(b"abcdefgh", NOW)
    assert s.reset() == Dropped("frame longer than 4 bytes (incomplete frame: link lost)", 8)
    assert s.pending == 0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"terminator": "CRCR"}, "terminator"),
    ({"max_frame": 0}, "max_frame"),
    ({"aim": "maybe"}, "aim"),
])
def test_bad_splitter_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FrameSplitter(**kwargs)  # type: ignore[arg-type]


# -- duplicates -----------------------------------------------------------------------------
def test_same_payload_within_the_window_is_reported_once() -> None:
    d = Deduplicator(window=1.0)
    assert not d.is_duplicate(b"A", 0.0)
    assert d.is_duplicate(b"A", 0.4)
    assert not d.is_duplicate(b"B", 0.5)  # another payload is not held back
    assert d.is_duplicate(b"A", 1.3)  # held under the scanner: each read extends the window
    assert not d.is_duplicate(b"A", 2.31)  # taken away for more than the window: new scan
    zero = Deduplicator(window=0)
    assert not zero.is_duplicate(b"A", 0.0) and not zero.is_duplicate(b"A", 0.0)


def test_deduplicator_accept_uses_the_scan_time_and_stays_bounded() -> None:
    d = Deduplicator(window=5.0, max_entries=3)
    assert d.accept(Scan(b"x", at=1.0)) and not d.accept(Scan(b"x", at=2.0))
    for i in range(10):
        assert d.accept(Scan(bytes([i]) * 3, at=3.0))
    assert len(d) == 3
    with pytest.raises(ValueError):
        Deduplicator(window=-1)
    with pytest.raises(ValueError):
        Deduplicator(window=float("nan"))


# -- keyboard wedge -------------------------------------------------------------------------
SHIFT = 42


def typed(keys: list[tuple[int, int]]) -> bytes:
    dec = KeyDecoder()
    return b"".join(dec.key(code, value) for code, value in keys)


def press(code: int, shift: bool = False) -> list[tuple[int, int]]:
    keys = [(code, 1), (code, 0)]
    return [(SHIFT, 1), *keys, (SHIFT, 0)] if shift else keys


def test_key_events_back_to_characters_us_layout() -> None:
    # "Ab1!]Q" then Enter, as a wedge scanner types it
    keys = (press(30, shift=True) + press(48) + press(2) + press(2, shift=True)
            + press(27) + press(16, shift=True) + press(28))
    assert typed(keys) == b"Ab1!]Q\r"


def test_keypad_capslock_autorepeat_and_unknown_keys() -> None:
    dec = KeyDecoder()
    out = b"".join(dec.key(c, v) for c, v in [
        (79, 1), (79, 2), (79, 0),  # KP1 with an autorepeat: one "1"
        (58, 1), (58, 0), (30, 1), (30, 0),  # Caps Lock then a -> "A"
        (58, 1), (58, 0),
        (59, 1), (59, 0),  # F1: nothing
        (96, 1), (96, 0),  # keypad Enter
    ])
    assert out == b"1A\r" and dec.ignored == 1


# -- fuzz -----------------------------------------------------------------------------------
_ATOMS = [b"\r", b"\n", b"\r\n", b"]Q1", b"]C0", b"]", b"Q", b"1", b"a", b"bc", b"\x00", b"\xff"]
streams = st.lists(st.one_of(st.sampled_from(_ATOMS), st.binary(max_size=6)),
                   max_size=40).map(b"".join)
_AIM_RE = re.compile(rb"\][A-Za-z][0-9A-Za-z]")


def model(data: bytes, terminator: str, max_frame: int, aim: str) -> list[object]:
    """What the splitter should report for ``data`` fed in one go: an independent model."""
    pattern = {"CR": rb"\r", "LF": rb"\n", "CRLF": rb"\r\n", "auto": rb"\r|\n"}[terminator]
    frames = re.split(pattern, data)[:-1]  # the last part has no terminator yet
    out: list[object] = []
    for f in frames:
        if not f:
            continue
        if len(f) > max_frame:
            out.append(("dropped", len(f)))
        elif aim != "off" and _AIM_RE.match(f):
            out.append(("scan", f[3:], f[:3].decode()) if f[3:] else ("dropped", len(f)))
        elif aim == "require":
            out.append(("dropped", len(f)))
        else:
            out.append(("scan", f, None))
    return out


def summary(events: list[Scan | Dropped]) -> list[object]:
    return [("scan", e.payload, e.aim) if isinstance(e, Scan) else ("dropped", e.length)
            for e in events]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=streams, cuts=st.lists(st.integers(0, 300), max_size=12),
       terminator=st.sampled_from(TERMINATORS), max_frame=st.integers(1, 24),
       aim=st.sampled_from(["auto", "require", "off"]))
def test_fuzz_any_chunking_gives_the_same_frames(data: bytes, cuts: list[int], terminator: str,
                                                 max_frame: int, aim: str) -> None:
    whole = FrameSplitter(terminator, max_frame, aim)  # type: ignore[arg-type]
    expected = whole.feed(data, NOW)
    assert summary(expected) == model(data, terminator, max_frame, aim)

    chunked = FrameSplitter(terminator, max_frame, aim)  # type: ignore[arg-type]
    got: list[Scan | Dropped] = []
    points = sorted({c for c in cuts if c < len(data)} | {0, len(data)})
    for a, b in zip(points, points[1:], strict=False):
        got += chunked.feed(data[a:b], NOW)
        # Memory bound: never more than max_frame bytes held, however long the frame.
        assert chunked.buffered <= max_frame
    assert got == expected
    assert chunked.pending == whole.pending


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=2000), max_frame=st.integers(1, 64))
def test_fuzz_random_bytes_never_raise_and_stay_bounded(data: bytes, max_frame: int) -> None:
    for terminator in TERMINATORS:
        s = FrameSplitter(terminator, max_frame)  # type: ignore[arg-type]
        for i in range(0, len(data), 97):
            s.feed(data[i:i + 97], NOW)
            assert s.buffered <= max_frame
        s.expire(NOW + 10, 0.5)
        assert s.pending == 0
