"""drivers.serial_url: the pyserial URL options and link the printer and the scanner share."""

from __future__ import annotations

import errno
import os
import tty
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import serial
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.printer import parse_printer_url
from drivers.scanner import parse_scanner_url
from drivers.serial_url import (
    HANDLER_PARAMS,
    READ_SLICE,
    SERIAL_PARAMS,
    SerialLink,
    absolute_path,
    as_oserror,
    handler_target,
    host_port,
    parse_bool,
    parse_int,
    parse_query,
    serial_options,
)

WHAT = "widget URL"  # each driver names itself; any name must come through
URL = "serial:///dev/ttyS0?x"


# -- values ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "value"), [
    ("1", True), ("true", True), (" YES ", True), ("On", True),
    ("0", False), ("false", False), ("no", False), ("OFF", False),
])
def test_bool(text: str, value: bool) -> None:
    assert parse_bool(text, "rtscts", URL, WHAT) is value


@pytest.mark.parametrize("text", ["", "maybe", "2", "y", "1 0"])
def test_bool_errors_name_key_and_url(text: str) -> None:
    with pytest.raises(ValueError, match=r"rtscts=.* in widget URL 'serial:///dev/ttyS0\?x' "
                                         r"is not a boolean"):
        parse_bool(text, "rtscts", URL, WHAT)


def test_int_range_and_base() -> None:
    assert parse_int(" 9600 ", "baudrate", URL, WHAT, 50, 4_000_000) == 9600
    assert parse_int("0x82", "in_ep", URL, WHAT, 0, 255, base=0) == 0x82
    with pytest.raises(ValueError, match="baudrate='fast' in widget URL .* is not an integer"):
        parse_int("fast", "baudrate", URL, WHAT, 50, 4_000_000)
    with pytest.raises(ValueError, match="baudrate=10 in widget URL .* is not 50..4000000"):
        parse_int("10", "baudrate", URL, WHAT, 50, 4_000_000)


# -- the query ------------------------------------------------------------------------------
def test_query() -> None:
    assert parse_query("", URL, WHAT) == {}
    assert parse_query("baudrate=9600&rtscts=", URL, WHAT) == {"baudrate": "9600", "rtscts": ""}
    assert parse_query("a=%20b", URL, WHAT) == {"a": " b"}


@pytest.mark.parametrize(("query", "message"), [
    ("baudrate", "malformed query string 'baudrate' in widget URL"),
    ("a=1&&b=2", "malformed"),
    ("baudrate=1&baudrate=2&x=1&x=2", "parameter\\(s\\) baudrate, x given more than once in "
                                      "widget URL"),
])
def test_query_errors(query: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_query(query, URL, WHAT)


# -- pyserial options -----------------------------------------------------------------------
def test_serial_options_typed() -> None:
    params = {"baudrate": "115200", "bytesize": "7", "parity": " e ", "stopbits": "1.5",
              "rtscts": "1", "xonxoff": "no", "dsrdtr": "true", "exclusive": "0",
              "kind": "ignored: the caller checks its own keys"}
    assert serial_options(params, URL, WHAT) == {
        "baudrate": 115200, "bytesize": 7, "parity": "E", "stopbits": 1.5, "rtscts": True,
        "xonxoff": False, "dsrdtr": True, "exclusive": False}
    assert serial_options({}, URL, WHAT) == {}


@pytest.mark.parametrize(("params", "message"), [
    ({"baudrate": "49"}, "baudrate=49 in widget URL .* is not 50..4000000"),
    ({"baudrate": "4000001"}, "4000000"),
    ({"bytesize": "9"}, "bytesize=9 .* is not 5..8"),
    ({"parity": "X"}, "parity='X' in widget URL .*: expected one of N, E, O, M, S"),
    ({"parity": "EE"}, "parity"),
    ({"parity": ""}, "parity"),
    # "ß".upper() is "SS": not a parity letter (the printer once took it as S).
    ({"parity": "ß"}, "parity"),
    ({"stopbits": "3"}, "stopbits='3' in widget URL .*: expected 1, 1.5 or 2"),
    ({"stopbits": "1.50"}, "stopbits"),
    ({"exclusive": "maybe"}, "exclusive='maybe' .* not a boolean"),
])
def test_serial_option_errors(params: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        serial_options(params, URL, WHAT)


def test_every_serial_option_is_a_serial_for_url_keyword() -> None:
    """What the parser returns, pyserial takes (loop:// opens with all of it)."""
    params = {"baudrate": "19200", "bytesize": "7", "parity": "o", "stopbits": "2",
              "rtscts": "0", "xonxoff": "1", "dsrdtr": "0", "exclusive": "1"}
    opts = serial_options(params, URL, WHAT)
    assert set(opts) == set(SERIAL_PARAMS)
    ser = serial.serial_for_url("loop://", **opts)
    try:
        assert (ser.baudrate, ser.bytesize, ser.parity, ser.stopbits) == (19200, 7, "O", 2)
    finally:
        ser.close()


# -- where the URL points -------------------------------------------------------------------
def test_absolute_path() -> None:
    u = "serial://localhost/dev/tty%20odd"
    assert absolute_path(urlsplit(u), u, "serial", WHAT) == "/dev/tty odd"
    for bad, message in [("serial://dev/ttyS0", "three slashes"),
                         ("serial://", "no device path"), ("serial:///", "no device path"),
                         ("serial:///dev/x%00y", "no device path")]:
        with pytest.raises(ValueError, match=f"serial widget URL .*{message}"):
            absolute_path(urlsplit(bad), bad, "serial", WHAT)


def test_host_port() -> None:
    u = "socket://10.0.0.7:4001"
    assert host_port(urlsplit(u), u, "socket", WHAT) == ("10.0.0.7", 4001)
    u = "tcp://printer.local"
    assert host_port(urlsplit(u), u, "tcp", WHAT, default_port=9100) == ("printer.local", 9100)
    secret = "socket://kiosk:s3cret-pw@host:1"
    with pytest.raises(ValueError, match="user:password") as info:
        host_port(urlsplit(secret), secret, "socket", WHAT)
    assert "s3cret-pw" not in str(info.value) and "kiosk" not in str(info.value)
    for bad, message in [("socket://host", "port must be 1..65535"),
                         ("socket://host:0", "port must be 1..65535"),
                         ("socket://host:99999", "port must be an integer"),
                         ("socket://host:x", "port must be an integer"),
                         ("socket://:4001", "no host"),
                         ("socket://u:p@host:1", "user:password"),
                         ("socket://host:1/path", "must not have a path")]:
        with pytest.raises(ValueError, match=message):
            host_port(urlsplit(bad), bad, "socket", WHAT)


@pytest.mark.parametrize(("url", "target", "host", "port"), [
    ("loop://", "loop://", "", 0),
    ("loop:///?baudrate=9600", "loop://", "", 0),
    ("socket://h:1?baudrate=9600", "socket://h:1", "h", 1),
    ("rfc2217://moxa.local:4001?timeout=3&poll_modem=1&ign_set_control=0",
     "rfc2217://moxa.local:4001?poll_modem=&timeout=3.0", "moxa.local", 4001),
    ("RFC2217://h:2?ign_set_control=yes", "rfc2217://h:2?ign_set_control=", "h", 2),
])
def test_handler_target(url: str, target: str, host: str, port: int) -> None:
    parts = urlsplit(url)
    params = parse_query(parts.query, url, WHAT)
    assert handler_target(parts, params, url, WHAT) == (target, host, port)


@pytest.mark.parametrize(("url", "message"), [
    ("loop://somewhere", "loop widget URL .* takes no host or path"),
    ("loop:///dev/x", "takes no host or path"),
    ("socket://h", "port"),
    ("rfc2217://h:1?timeout=0", "timeout='0' in widget URL .* seconds 0..600"),
    ("rfc2217://h:1?timeout=601", "seconds"),
    ("rfc2217://h:1?timeout=nan", "seconds"),
    ("rfc2217://h:1?timeout=inf", "seconds"),
    ("rfc2217://h:1?poll_modem=sure", "poll_modem='sure' .* not a boolean"),
    ("serial:///dev/ttyS0", "not a pyserial URL handler"),
    ("spy:///dev/ttyS0", "not a pyserial URL handler"),
])
def test_handler_target_errors(url: str, message: str) -> None:
    parts = urlsplit(url)
    with pytest.raises(ValueError, match=message):
        handler_target(parts, parse_query(parts.query, url, WHAT), url, WHAT)


def test_rfc2217_target_is_one_pyserial_reads() -> None:
    """The rewritten rfc2217 query is one pyserial takes (it refuses unknown options)."""
    url = "rfc2217://127.0.0.1:1?timeout=0.5&poll_modem=1&ign_set_control=1&baudrate=9600"
    parts = urlsplit(url)
    target = handler_target(parts, parse_query(parts.query, url, WHAT), url, WHAT)[0]
    ser = serial.serial_for_url(target, do_not_open=True)
    assert ser.from_url(target) == ("127.0.0.1", 1)
    assert (ser._network_timeout, ser._poll_modem_state, ser._ignore_set_control_answer) == (
        0.5, True, True)


def test_printer_and_scanner_read_the_same_options() -> None:
    """One grammar for what is shared: the same query gives the same pyserial options and
    the same handler URL (the scanner adds only its exclusive=1 default to serial://)."""
    query = "baudrate=38400&parity=o&stopbits=2&bytesize=7&rtscts=1&xonxoff=0&dsrdtr=0"
    p = parse_printer_url(f"serial:///dev/ttyUSB0?{query}")
    s = parse_scanner_url(f"serial:///dev/ttyUSB0?{query}")
    assert {**p.options, "exclusive": True} == s.options
    url = f"rfc2217://h:7?timeout=2&poll_modem=1&{query}"
    p, s = parse_printer_url(url), parse_scanner_url(url)
    assert (p.target, p.options) == (s.target, s.options)
    for bad in ("serial:///dev/x?baudrate=9", "serial:///dev/x?parity=Q",
                "rfc2217://h:7?timeout=-1", "socket://h:0", "serial://dev/x"):
        with pytest.raises(ValueError) as pe:
            parse_printer_url(bad)
        with pytest.raises(ValueError) as se:
            parse_scanner_url(bad)
        assert str(pe.value).replace("printer", "scanner") == str(se.value)


# -- errors ---------------------------------------------------------------------------------
def _raised(exc: BaseException, cause: BaseException | None = None) -> BaseException:
    """``exc`` as raised inside ``except cause`` (so its __context__ is set, as pyserial's)."""
    try:
        if cause is None:
            raise exc
        try:
            raise cause
        except BaseException:
            raise exc from None  # pyserial's own style: the context stays, the cause does not
    except BaseException as e:
        return e


def test_as_oserror() -> None:
    t = as_oserror(serial.SerialTimeoutException("Write timeout"))
    assert type(t) is TimeoutError and str(t) == "Write timeout"
    assert str(as_oserror(serial.SerialTimeoutException())) == "write timeout"
    # SerialException(errno, text): the matching OSError subclass.
    e = as_oserror(serial.SerialException(errno.ENOENT, "could not open port /dev/x"))
    assert isinstance(e, FileNotFoundError) and e.strerror == "could not open port /dev/x"
    assert as_oserror(serial.SerialException(errno.EBUSY, "busy")).errno == errno.EBUSY
    # Only the message kept: the OSError it was raised from.
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    assert as_oserror(_raised(serial.SerialException("Could not open"), refused)) is refused
    # socket:// connect time-out: a TimeoutError without errno stays a time-out.
    late = TimeoutError("timed out")
    assert as_oserror(_raised(serial.SerialException("Could not open"), late)) is late
    # Nothing to go on: EIO with the message (never an OSError without errno or text).
    for exc in (serial.SerialException("device reports readiness to read but returned no data"),
                _raised(serial.SerialException("read failed"), serial.SerialException("x")),
                serial.PortNotOpenError()):
        o = as_oserror(exc)
        assert type(o) is OSError and o.errno == errno.EIO and o.strerror == str(exc)
    assert as_oserror(serial.SerialException()).strerror == "SerialException"
    assert as_oserror(ValueError("odd")).errno == errno.EIO


# -- the link -------------------------------------------------------------------------------
def test_link_over_loop() -> None:
    link = SerialLink("loop://", {"baudrate": 115200}, "loop://", write_timeout=1.0)
    assert not link.is_open()
    with pytest.raises(ConnectionError):
        link.read_some()
    link.open()
    try:
        assert link.is_open() and link.port().timeout == READ_SLICE
        assert link.port().write_timeout == 1.0
        assert link.read_some() == b""  # waits one slice, no more
        link.port().write(b"abc")
        got = b""
        for _ in range(20):
            got += link.read_some()
            if len(got) == 3:
                break
        assert got == b"abc"
    finally:
        link.close()
    assert not link.is_open()
    link.close()  # idempotent


def test_link_open_errors(tmp_path: Path) -> None:
    link = SerialLink(f"{tmp_path}/no-such-tty", {}, "serial://none", write_timeout=1.0)
    with pytest.raises(FileNotFoundError):
        link.open()
    assert not link.is_open()
    bad = SerialLink("loop://", {"bytesize": 9}, "loop://", write_timeout=1.0)
    with pytest.raises(OSError, match="invalid serial setting") as caught:
        bad.open()
    assert caught.value.errno == errno.EINVAL


def test_link_on_a_real_pty_and_its_hang_up() -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    link = SerialLink(os.ttyname(slave), {"baudrate": 9600, "exclusive": True}, "pty",
                      write_timeout=1.0)
    try:
        link.open()
        os.write(master, b"\x10\x04")
        got = b""
        for _ in range(40):
            got += link.read_some()
            if len(got) >= 2:
                break
        assert got == b"\x10\x04"
        os.close(master)  # the far end goes away, as an unplugged USB adapter does
        master = -1
        with pytest.raises(OSError) as caught:
            for _ in range(40):
                link.read_some()
        # A plain OSError with an errno: pyserial's SerialException does not leak out.
        assert not isinstance(caught.value, serial.SerialException)
        assert caught.value.errno is not None
    finally:
        link.close()
        if master >= 0:
            os.close(master)
        os.close(slave)


# -- fuzz -----------------------------------------------------------------------------------
def _parse_all(base: str, query: str) -> None:
    """Everything the drivers do with a query, on one URL: ValueError or a result."""
    url = f"{base}?{query}"
    parts = urlsplit(url)
    params = parse_query(parts.query, url, WHAT)
    opts = serial_options(params, url, WHAT)
    assert set(opts) <= set(SERIAL_PARAMS)
    if parts.scheme in HANDLER_PARAMS:
        target = handler_target(parts, params, url, WHAT)[0]
        assert target.startswith(f"{parts.scheme}://")
    else:
        assert absolute_path(parts, url, parts.scheme, WHAT).startswith("/")


_BASES = st.sampled_from(["serial:///dev/ttyS0", "loop://", "socket://h:1", "rfc2217://h:2"])


@settings(max_examples=500, deadline=None)
@given(_BASES, st.text(max_size=80))
def test_fuzz_any_query_parses_or_raises_value_error(base: str, query: str) -> None:
    try:
        _parse_all(base, query)
    except ValueError:
        pass


_KEYS = st.sampled_from([*SERIAL_PARAMS, *HANDLER_PARAMS["rfc2217"], "logging", "x", ""])
_VALUES = st.one_of(st.sampled_from(["1", "0", "9600", "e", "1.5", "nan", "-1", "", "true",
                                     "0x10", "1e3", "ß", "ſ"]), st.text(max_size=8))


@settings(max_examples=500, deadline=None)
@given(_BASES, st.lists(st.tuples(_KEYS, _VALUES), max_size=5), st.sampled_from(["&", ";"]))
def test_fuzz_known_keys_any_values(base: str, pairs: list[tuple[str, str]], sep: str) -> None:
    """Queries made of the real keys reach every branch; still ValueError or a result."""
    try:
        _parse_all(base, sep.join(f"{k}={v}" for k, v in pairs))
    except ValueError:
        pass
