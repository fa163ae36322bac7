"""Scanner sources by URL scheme, as pyserial's ``serial_for_url`` picks a handler.

``/dev/ttyACM0`` (a bare device path) or ``serial:///dev/ttyACM0?baudrate=9600`` (serial.py)
    A serial port through pyserial. Query options are pyserial keyword arguments: baudrate,
    bytesize, parity (N E O M S), stopbits (1 1.5 2), rtscts, xonxoff, dsrdtr, exclusive.
    ``exclusive`` defaults to 1 here: a second reader on the same port would silently steal
    half the scans, so it gets "busy" instead. Prefer /dev/serial/by-id/... paths: they
    survive replugging into another USB socket.
``loop://``, ``socket://HOST:PORT``, ``rfc2217://HOST:PORT`` (serial.py)
    pyserial's own URL handlers, same options (rfc2217 adds ign_set_control, poll_modem,
    timeout). ``spy://`` is refused: it would write every payload to a log.
``evdev:///dev/input/eventN?grab=1`` (evdev.py)
    A keyboard-wedge (USB HID) scanner through python-evdev (optional).

Unknown query keys are a ValueError naming them. A new source is one module with its class,
``parse`` and ``open_source`` in a ``SCHEMES`` dict, and its name in the line that builds
``SCHEMES`` below.
"""

from __future__ import annotations

from drivers.serial_url import split_device_url, url_params

from . import evdev, serial
from .base import WHAT, ScannerUrl, Scheme, Source

REFUSED_SCHEMES: dict[str, str] = {
    "spy": "it logs all traffic, and scans may hold personal data",
}

# scheme -> how its URL is read and its source made.
SCHEMES: dict[str, Scheme] = {**serial.SCHEMES, **evdev.SCHEMES}


def parse_scanner_url(url: str) -> ScannerUrl:
    """Parse and validate a scanner URL (see the module doc). Raises ValueError only.
    Syntax only: nothing is opened or imported (an evdev:// URL parses without evdev)."""
    url, parts = split_device_url(url, WHAT)
    if parts is None:
        return serial.bare_path(url)
    name = parts.scheme.lower()
    if name in REFUSED_SCHEMES:
        raise ValueError(f"scanner URL scheme {name}:// is not allowed: "
                         f"{REFUSED_SCHEMES[name]}")
    scheme = SCHEMES.get(name)
    if scheme is None:
        raise ValueError(f"unknown scanner URL scheme {name!r} in {url!r}; expected a device "
                         f"path or one of {', '.join(s + '://' for s in SCHEMES)}")
    return scheme.parse(parts, url_params(parts, url, WHAT, scheme.params), url)


def open_source(u: ScannerUrl) -> Source:
    """The source for a parsed URL, not opened yet. Unsupported if it needs a package that
    is not installed."""
    return SCHEMES[u.scheme].open(u)


__all__ = ["SCHEMES", "ScannerUrl", "Source", "open_source", "parse_scanner_url"]
