"""Serial MRZ readers: the three framings, resynchronisation, and the reader over a real pty."""

from __future__ import annotations

import logging
from functools import reduce
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.idcard import (
    KINDS,
    BadFrame,
    IdCardError,
    MrzFramer,
    ReaderError,
    open_mrz_reader,
    parse_reader_url,
    parse_td1,
)
from drivers.idcard.mrz_framing import MAX_FRAME, MAX_LINE
from drivers.sim.mrz_reader import SimMrzReader, encode_frame

WAIT = 5.0
# The constructed Vietnamese MRZ of test_drv_idcard_mrz.py and ICAO 9303 Part 5's TD1 specimen.
VN = ("IDVNM1920045670068192004567<<6",
      "9203158F3203156VNM<<<<<<<<<<<4",
      "NGUYEN<<THI<MAI<<<<<<<<<<<<<<<")
ERIKSSON = ("I<UTOD231458907<<<<<<<<<<<<<<<",
            "7408122F1204159UTO<<<<<<<<<<<6",
            "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
VN_TEXT = "\n".join(VN)
ERIKSSON_TEXT = "\n".join(ERIKSSON)
SECRETS = ["068192004567", "192004567", "NGUYEN", "920315", "ERIKSSON", "D23145890"]


def frame_3m(lines: tuple[str, ...], flag: bytes = b"0") -> bytes:
    """A 3M RTE Native block built by hand (not with the simulator's encoder)."""
    text = flag + b"".join(line.ljust(30 if len(lines) == 3 else 44, "_").encode() + b"\r"
                           for line in lines)
    size = 7 + len(text) + 1
    body = bytes([size & 0xFF, size >> 8]) + b"OU\x02" + text + b"\x03"
    return b"\x01" + body + bytes([reduce(lambda a, b: a ^ b, body, 0)])


def feed_all(kind: str, *chunks: bytes, flush: bool = False) -> list[object]:
    framer = MrzFramer(kind)
    out: list[object] = []
    for c in chunks:
        out += framer.feed(c)
    if flush:
        out += framer.flush()
    return out


def reasons(items: list[object]) -> list[str]:
    return [i.reason if isinstance(i, BadFrame) else "MRZ" for i in items]


# -- plain ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("end", [b"\r", b"\r\n", b"\n"])
def test_plain_lines(end: bytes) -> None:
    data = end.join(line.encode() for line in VN) + end
    assert feed_all("plain", data) == [VN_TEXT]
    assert feed_all("plain", *[bytes([b]) for b in data]) == [VN_TEXT]


def test_plain_resynchronises_after_noise_and_a_lost_line() -> None:
    noise = b"\x00\xff garbage \r"
    lost = "\r".join(VN[:2]).encode() + b"\r"  # line 3 never came
    out = feed_all("plain", noise, lost, ("\r".join(ERIKSSON) + "\r").encode())
    assert out[-1] == ERIKSSON_TEXT
    assert reasons(out) == ["a line of 11 bytes that is not a TD1 MRZ line",
                            "incomplete MRZ: 2 of 3 lines", "MRZ"]


def test_plain_line_out_of_order_and_overlong_line() -> None:
    out = feed_all("plain", (VN[1] + "\r" + "X" * 200 + "\r" + "\r".join(VN) + "\r").encode())
    assert reasons(out) == ["MRZ line 2 where line 1 was expected",
                            f"line longer than {MAX_LINE} bytes", "MRZ"]


def test_plain_last_line_without_cr_ends_on_flush() -> None:
    framer = MrzFramer("plain")
    assert framer.feed("\r".join(VN).encode()) == []
    assert framer.pending
    assert framer.flush() == [VN_TEXT]
    assert not framer.pending


# -- 3M ------------------------------------------------------------------------------------------
def test_3m_frame() -> None:
    assert encode_frame("3m", VN) == frame_3m(VN)  # the simulator agrees with the hand build
    assert feed_all("3m", frame_3m(VN)) == [VN_TEXT]
    data = frame_3m(VN)
    assert feed_all("3m", *[data[i:i + 1] for i in range(len(data))]) == [VN_TEXT]


def test_3m_flag_byte_may_be_any_value_and_two_line_documents() -> None:
    assert feed_all("3m", frame_3m(VN, flag=b"\x03")) == [VN_TEXT]
    td3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
           "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
    assert feed_all("3m", frame_3m(td3)) == ["\n".join(td3)]


def test_3m_bad_bcc_garbage_and_cut_frames() -> None:
    bad = bytearray(frame_3m(VN))
    bad[-1] ^= 0x55
    cut = frame_3m(VN)[:40]
    out = feed_all("3m", b"\r\n", bytes(bad), b"noise noise noise", cut, frame_3m(ERIKSSON))
    assert reasons(out) == ["3M block check (BCC) does not match",
                            "17 bytes outside a frame skipped",
                            "3M frame cut short by the next frame", "MRZ"]
    assert out[-1] == ERIKSSON_TEXT


def test_3m_missing_line_and_empty_frame() -> None:
    missing = frame_3m(("", VN[1], VN[2]))
    assert feed_all("3m", missing) == ["\n" + "\n".join(VN[1:])]
    assert reasons(feed_all("3m", frame_3m(("", "", "")))) == ["the reader sent no MRZ text"]


def test_3m_partial_frame_reported_on_flush() -> None:
    assert reasons(feed_all("3m", frame_3m(VN)[:50], flush=True)) == [
        "frame cut short (no end before the reader went quiet)"]


def test_3m_stray_soh_in_noise_is_just_noise() -> None:
    out = feed_all("3m", b"\x01\x02\x03abc\x01zz" + b"." * 10, frame_3m(VN))
    assert reasons(out) == ["19 bytes outside a frame skipped", "MRZ"]


# -- DESKO ---------------------------------------------------------------------------------------
def test_desko_frame_with_device_delimiters() -> None:
    frame = b"\x1c\x02" + b"".join(line.encode() + b"\r" for line in VN) + b"\x03\x1d"
    assert encode_frame("desko", VN) == frame[1:-1]
    assert feed_all("desko", frame, frame) == [VN_TEXT, VN_TEXT]


def test_desko_cut_short_and_garbage() -> None:
    good = encode_frame("desko", VN)
    out = feed_all("desko", good[:20], good, b"#" * 30, flush=True)
    assert reasons(out) == ["DESKO frame cut short by the next frame", "MRZ",
                            "30 bytes outside a frame skipped"]


def test_burst_of_frames_in_one_read() -> None:
    for kind in KINDS:
        burst = b"".join(encode_frame(kind, m) for m in (VN, ERIKSSON, VN))
        assert feed_all(kind, burst) == [VN_TEXT, ERIKSSON_TEXT, VN_TEXT], kind


def test_unknown_kind() -> None:
    with pytest.raises(ValueError):
        MrzFramer("honeywell")


# -- properties ----------------------------------------------------------------------------------
pieces = st.lists(st.one_of(
    st.sampled_from([VN, ERIKSSON]).map(lambda m: ("frame", m)),
    st.binary(max_size=40).map(lambda b: ("raw", b)),
    st.tuples(st.sampled_from([VN, ERIKSSON]), st.integers(1, 90)).map(lambda t: ("cut", t)),
), max_size=8)


def stream(kind: str, parts: list[tuple[str, object]]) -> bytes:
    out = b""
    for what, value in parts:
        if what == "frame":
            out += encode_frame(kind, value)  # type: ignore[arg-type]
        elif what == "raw":
            out += value  # type: ignore[operator]
        else:
            lines, n = value  # type: ignore[misc]
            out += encode_frame(kind, lines)[:n]
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS), parts=pieces, cuts=st.lists(st.integers(0, 1500),
                                                                   max_size=12))
def test_fuzz_any_chunking_gives_the_same_items(kind: str, parts: list[tuple[str, object]],
                                                cuts: list[int]) -> None:
    data = stream(kind, parts)
    whole = feed_all(kind, data, flush=True)
    points = sorted({c for c in cuts if c < len(data)} | {0, len(data)})
    framer = MrzFramer(kind)
    got: list[object] = []
    for a, b in zip(points, points[1:], strict=False):
        got += framer.feed(data[a:b])
        assert framer.buffered <= MAX_FRAME
    got += framer.flush()
    assert got == whole
    for item in got:
        assert isinstance(item, (str, BadFrame))
        if isinstance(item, BadFrame):
            assert not any(s in item.reason for s in SECRETS)
    # every complete frame that is not glued to noise comes out intact
    if all(w == "frame" for w, _ in parts):
        assert got == ["\n".join(m) for _, m in parts]  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(KINDS), data=st.binary(max_size=10_240))
def test_fuzz_random_bytes_are_bounded(kind: str, data: bytes) -> None:
    framer = MrzFramer(kind)
    for i in range(0, len(data), 333):
        framer.feed(data[i:i + 333])
        assert framer.buffered <= (MAX_LINE if kind == "plain" else MAX_FRAME)
    framer.feed(data)
    framer.flush()
    assert framer.buffered == 0 and not framer.pending


# -- the reader over a real pty -----------------------------------------------------------------
@pytest.fixture(params=KINDS)
def sim(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with SimMrzReader(tmp_path / "mrz", kind=request.param, seed=1) as s:
        yield s


def test_reader_receives_mrzs_over_a_pty(sim: SimMrzReader,
                                         caplog: pytest.LogCaptureFixture) -> None:
    events: list[object] = []
    with caplog.at_level(logging.DEBUG), open_mrz_reader(sim.url, on_event=events.append,
                                                         idle_flush=0.2) as reader:
        assert reader.kind == sim.kind
        sim.send_mrz(VN)
        text = reader.get(WAIT)
        assert text == VN_TEXT
        assert parse_td1(text).id_number == "068192004567"  # type: ignore[arg-type]

        sim.send_garbage(100)
        sim.send_burst([ERIKSSON, VN])
        got = [reader.get(WAIT) for _ in range(3)]
        assert isinstance(got[0], BadFrame)
        assert got[1:] == [ERIKSSON_TEXT, VN_TEXT]

        sim.send_partial(VN)  # a card pulled out mid-read: reported after the idle gap
        assert isinstance(reader.get(WAIT), BadFrame)
        sim.send_corrupt(VN)
        sim.send_mrz(ERIKSSON)
        got = [reader.get(WAIT)]
        while got[-1] != ERIKSSON_TEXT and len(got) < 5:
            got.append(reader.get(WAIT))
        assert got[-1] == ERIKSSON_TEXT and len(got) == 2
        # 3M's BCC and plain's line shapes catch the damage; DESKO has no check byte, so the
        # damaged text reaches the MRZ parser, which refuses it.
        if sim.kind == "desko":
            with pytest.raises(IdCardError):
                parse_td1(got[0])  # type: ignore[arg-type]
        else:
            assert isinstance(got[0], BadFrame)
        sim.send_mrz(VN)  # nothing else was queued: the next event is this MRZ
        assert reader.get(WAIT) == VN_TEXT
    assert len(events) >= 7
    for secret in SECRETS:
        assert secret not in caplog.text
    assert "MRZ received" in caplog.text


def test_reader_reports_an_unplugged_device(sim: SimMrzReader) -> None:
    reader = open_mrz_reader(sim.url)
    try:
        sim.send_mrz(VN)
        assert reader.get(WAIT) == VN_TEXT
        sim.unplug()
        event = reader.get(WAIT)
        assert isinstance(event, ReaderError)
        assert reader.wait_stopped(WAIT) and not reader.running
    finally:
        reader.close()


def test_paced_link(tmp_path: Path) -> None:
    with SimMrzReader(tmp_path / "mrz", kind="3m", baudrate=9600) as sim, \
            open_mrz_reader(sim.url) as reader:
        sim.send_mrz(VN)  # ~100 bytes at 9600 baud: ~0.1 s on the wire
        assert reader.get(WAIT) == VN_TEXT


def test_opening_a_missing_device(tmp_path: Path) -> None:
    with pytest.raises(ReaderError, match="cannot open MRZ reader .*: no such device"):
        open_mrz_reader(f"serial://{tmp_path}/nothing?baudrate=9600", "3m")


def test_second_reader_on_the_same_port_is_busy(tmp_path: Path) -> None:
    """exclusive=1 is the default: a second reader is refused rather than taking frames."""
    with SimMrzReader(tmp_path / "mrz", kind="3m") as sim, open_mrz_reader(sim.url) as reader:
        with pytest.raises(ReaderError, match="device busy, in use by another program"):
            open_mrz_reader(sim.url)
        sim.send_mrz(VN)
        assert reader.get(WAIT) == VN_TEXT


@pytest.mark.parametrize(("url", "expected"), [
    ("serial:///dev/ttyUSB0?baudrate=9600&parity=E&stopbits=2&kind=3m",
     ("/dev/ttyUSB0", {"exclusive": True, "baudrate": 9600, "parity": "E", "stopbits": 2},
      "3m")),
    ("/dev/ttyS0", ("/dev/ttyS0", {"exclusive": True}, None)),
    ("serial:///dev/serial/by-id/usb-3M%20Reader?rtscts=1&exclusive=0",
     ("/dev/serial/by-id/usb-3M Reader", {"rtscts": True, "exclusive": False}, None)),
    ("serial://localhost/dev/ttyUSB1?parity=n&xonxoff=off&bytesize=7",
     ("/dev/ttyUSB1", {"exclusive": True, "parity": "N", "xonxoff": False, "bytesize": 7},
      None)),
    ("socket://10.0.0.7:4001?baudrate=115200&kind=desko",
     ("socket://10.0.0.7:4001", {"baudrate": 115200}, "desko")),
    ("rfc2217://10.0.0.7:2217?timeout=2&kind=plain",
     ("rfc2217://10.0.0.7:2217?timeout=2.0", {}, "plain")),
    ("loop://", ("loop://", {}, None)),
])
def test_reader_urls(url: str, expected: tuple[object, ...]) -> None:
    assert parse_reader_url(url) == expected


@pytest.mark.parametrize(("url", "says"), [
    # an unrecognised flag value used to count as False: rtscts silently off
    ("serial:///dev/ttyUSB0?rtscts=maybe", "rtscts='maybe' in MRZ reader URL "
     "'serial:///dev/ttyUSB0?rtscts=maybe' is not a boolean"),
    ("serial:///dev/ttyUSB0?exclusive=sure", "exclusive='sure' in MRZ reader URL"),
    ("serial:///dev/ttyUSB0?baudrate=x", "baudrate='x' in MRZ reader URL "
     "'serial:///dev/ttyUSB0?baudrate=x' is not an integer"),
    ("serial:///dev/ttyUSB0?baudrate=10", "baudrate=10 in MRZ reader URL "
     "'serial:///dev/ttyUSB0?baudrate=10' is not 50..4000000"),
    ("serial:///dev/ttyUSB0?bytesize=9", "bytesize=9 in MRZ reader URL"),
    ("serial:///dev/ttyUSB0?parity=Q", "parity='Q' in MRZ reader URL"),
    ("serial:///dev/ttyUSB0?stopbits=3", "stopbits='3' in MRZ reader URL"),
    ("serial:///dev/ttyUSB0?baudrate=9600&baudrate=1200",
     "parameter(s) baudrate given more than once in MRZ reader URL"),
    ("serial:///dev/ttyUSB0?speed=9600", "unknown parameter(s) 'speed' in MRZ reader URL"),
    ("loop://?kind=honeywell", "kind='honeywell' in MRZ reader URL 'loop://?kind=honeywell': "
     "expected one of plain, 3m, desko"),
    ("loop://host", "loop MRZ reader URL 'loop://host' takes no host"),
    ("socket://10.0.0.7", "port must be 1..65535"),
    ("socket://10.0.0.7:4001?grab=1", "unknown parameter(s) 'grab'"),
    ("serial://relative", "must have an absolute path"),
    ("serial:///dev/ttyUSB0#x", "must not have a #fragment"),
    ("/dev/ttyUSB0?baudrate=9600", "has a '?': options need a URL"),
    ("tcp://1.2.3.4:9100", "unknown MRZ reader URL scheme 'tcp'"),
    ("spy:///dev/ttyUSB0", "unknown MRZ reader URL scheme 'spy'"),
    ("", "MRZ reader URL is empty"),
])
def test_bad_reader_urls_say_which_key_and_url(url: str, says: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_reader_url(url)
    assert says in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(ValueError):
        open_mrz_reader(url)


def test_unknown_kind_argument() -> None:
    with pytest.raises(ValueError, match="kind"):
        open_mrz_reader("loop://", "honeywell")


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_fuzz_any_text_parses_or_raises_value_error(url: str) -> None:
    try:
        target, options, kind = parse_reader_url(url)
    except ValueError:
        return
    assert target and isinstance(options, dict) and kind in (None, *KINDS)


_KEYS = st.sampled_from(["baudrate", "parity", "stopbits", "bytesize", "rtscts", "xonxoff",
                         "dsrdtr", "exclusive", "kind", "timeout", "poll_modem", "logging",
                         "x", ""])
_VALUES = st.one_of(st.sampled_from(["1", "0", "9600", "e", "1.5", "nan", "-1", "", "maybe",
                                     "3m", "desko", "plain", "0x10"]), st.text(max_size=6))


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["serial:///dev/ttyS0", "loop://", "socket://h:1", "rfc2217://h:2",
                        "serial://", "socket://h", "loop://h", "/dev/ttyS0"]),
       st.lists(st.tuples(_KEYS, _VALUES), max_size=4), st.sampled_from(["&", ";"]))
def test_fuzz_structured_urls(base: str, query: list[tuple[str, str]], sep: str) -> None:
    url = base + ("?" + sep.join(f"{k}={v}" for k, v in query) if query else "")
    try:
        target, options, kind = parse_reader_url(url)
    except ValueError:
        return
    keys = [k for k, _ in query]
    assert len(set(keys)) == len(keys)  # a repeated key is refused
    assert set(keys) <= {"baudrate", "parity", "stopbits", "bytesize", "rtscts", "xonxoff",
                         "dsrdtr", "exclusive", "kind", "timeout", "poll_modem"}
    assert set(options) <= {"baudrate", "parity", "stopbits", "bytesize", "rtscts", "xonxoff",
                            "dsrdtr", "exclusive"}
    assert all(isinstance(options[f], bool) for f in ("rtscts", "xonxoff", "dsrdtr",
                                                      "exclusive") if f in options)
    assert kind in (None, *KINDS)
