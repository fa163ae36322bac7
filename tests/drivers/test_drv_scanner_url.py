"""Scanner URLs: what each scheme opens, options as pyserial kwargs, and only ValueError."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.scanner import ScannerUrl, parse_scanner_url


@pytest.mark.parametrize(("url", "scheme", "target", "options"), [
    ("/dev/ttyACM0", "serial", "/dev/ttyACM0", {"exclusive": True}),
    ("/dev/serial/by-id/usb-Honeywell_1900-if00", "serial",
     "/dev/serial/by-id/usb-Honeywell_1900-if00", {"exclusive": True}),
    ("serial:///dev/ttyACM0?baudrate=9600", "serial", "/dev/ttyACM0",
     {"exclusive": True, "baudrate": 9600}),
    ("serial:///dev/ttyUSB0?baudrate=115200&parity=e&stopbits=1.5&bytesize=7&rtscts=1"
     "&xonxoff=no&dsrdtr=false&exclusive=0", "serial", "/dev/ttyUSB0",
     {"baudrate": 115200, "parity": "E", "stopbits": 1.5, "bytesize": 7, "rtscts": True,
      "xonxoff": False, "dsrdtr": False, "exclusive": False}),
    ("serial://localhost/dev/tty%20odd", "serial", "/dev/tty odd", {"exclusive": True}),
    ("loop://", "loop", "loop://", {}),
    ("loop://?baudrate=19200", "loop", "loop://", {"baudrate": 19200}),
    ("socket://10.0.0.7:4001", "socket", "socket://10.0.0.7:4001", {}),
    ("rfc2217://moxa.local:4001?timeout=3&poll_modem=1&ign_set_control=0", "rfc2217",
     "rfc2217://moxa.local:4001?poll_modem=&timeout=3.0", {}),
    ("evdev:///dev/input/event3", "evdev", "/dev/input/event3", {"grab": True}),
    ("evdev:///dev/input/by-id/usb-scanner-event-kbd?grab=0", "evdev",
     "/dev/input/by-id/usb-scanner-event-kbd", {"grab": False}),
])
def test_valid_urls(url: str, scheme: str, target: str, options: dict[str, object]) -> None:
    u = parse_scanner_url(url)
    assert (u.scheme, u.target, u.options) == (scheme, target, options)
    assert "?" not in u.description


@pytest.mark.parametrize(("url", "message"), [
    ("", "empty"),
    ("   ", "empty"),
    ("serial:///dev/ttyACM0?baud=9600", "unknown parameter.*'baud'"),
    ("serial:///dev/ttyACM0?speed=1&colour=red", "'colour', 'speed'"),
    ("loop://?logging=debug", "unknown parameter.*'logging'"),
    ("socket://h:1?timeout=3", "unknown parameter.*'timeout'"),
    ("evdev:///dev/input/event0?baudrate=9600", "unknown parameter.*'baudrate'"),
    ("serial:///dev/ttyACM0?baudrate=9600&baudrate=1200", "more than once"),
    ("serial:///dev/ttyACM0?baudrate=fast", "not an integer"),
    ("serial:///dev/ttyACM0?baudrate=10", "50..4000000"),
    ("serial:///dev/ttyACM0?parity=X", "parity"),
    ("serial:///dev/ttyACM0?stopbits=3", "stopbits"),
    ("serial:///dev/ttyACM0?rtscts=maybe", "boolean"),
    ("serial://dev/ttyACM0", "three slashes"),
    ("serial://", "no device path"),
    ("socket://:4001", "no host"),
    ("socket://host", "port"),
    ("socket://host:99999", "port"),
    ("socket://u:p@host:1", "user:password"),
    ("rfc2217://host:1?timeout=nan", "seconds"),
    ("loop://somewhere", "takes no host"),
    ("spy:///dev/ttyACM0", "not allowed.*personal data"),
    ("hwgrep://0483:5740", "unknown scanner URL scheme"),
    ("tcp://1.2.3.4:9100", "unknown scanner URL scheme"),
    ("/dev/ttyACM0?baudrate=9600", "serial://"),
    ("serial:///dev/ttyACM0#frag", "fragment"),
    ("serial:///dev/ttyACM0?baudrate", "malformed"),
    ("serial:///dev/ttyACM0?=x", "unknown parameter"),
])
def test_invalid_urls_are_value_errors(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_scanner_url(url)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_fuzz_any_text_parses_or_raises_value_error(url: str) -> None:
    try:
        u = parse_scanner_url(url)
    except ValueError:
        return
    assert isinstance(u, ScannerUrl) and u.target


_keys = st.sampled_from(["baudrate", "parity", "stopbits", "bytesize", "rtscts", "exclusive",
                         "timeout", "poll_modem", "grab", "logging", "x", ""])
_values = st.one_of(st.sampled_from(["1", "0", "9600", "E", "1.5", "nan", "-1", "", "true"]),
                    st.text(max_size=6))


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["serial:///dev/ttyS0", "loop://", "socket://h:1", "rfc2217://h:2",
                        "evdev:///dev/input/event1", "serial://", "socket://h"]),
       st.lists(st.tuples(_keys, _values), max_size=4), st.sampled_from(["&", ";", "&&"]))
def test_fuzz_structured_urls(base: str, query: list[tuple[str, str]], sep: str) -> None:
    url = base + ("?" + sep.join(f"{k}={v}" for k, v in query) if query else "")
    try:
        u = parse_scanner_url(url)
    except ValueError:
        return
    allowed = {"baudrate", "parity", "stopbits", "bytesize", "rtscts", "exclusive",
               "timeout", "poll_modem", "grab"}
    assert {k for k, _ in query} <= allowed
    assert u.scheme in ("serial", "loop", "socket", "rfc2217", "evdev")
