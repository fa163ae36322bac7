"""Printer transports by URL scheme, as pyserial's ``serial_for_url`` picks a handler.

Each module here owns one kind of link: its URL options, its parser and its class.

``tcp://HOST[:PORT]`` (tcp.py)
    Raw TCP, port 9100 by default, on a plain socket; a job's time is reckoned at 9600
    baud, as if a serial bridge stood in between.
``serial:///dev/ttyUSB0?baudrate=38400``, ``loop://``, ``socket://HOST:PORT``,
``rfc2217://HOST:PORT`` (serial.py)
    pyserial via ``serial_for_url``, with pyserial's options.
``file:///dev/usb/lp0`` (file.py)
    Write-only: status says ONLINE with paper UNKNOWN.
``usb://04b8:0202?interface=0&in_ep=0x82&out_ep=0x01`` (usb.py)
    python-escpos ``Usb``; needs the optional pyusb.
``sim://?fault=paper-low&jobs_dir=/tmp/jobs&render_png=1``
    Registered by drivers.sim when it is imported: an in-process simulated printer.

Query parameters of every scheme: ``profile`` (python-escpos profile name, default TM-T20II)
and ``width_dots`` (paper width in dots, 8..4096, default 576). Unknown parameters are a
ValueError. Every option is checked here, so a URL that parses opens without a ValueError.

A new transport is one module with its class, ``parse`` and ``open_transport`` in a
``SCHEMES`` dict, and its name in ``TRANSPORTS`` below.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import import_module

from drivers.serial_url import parse_int, split_device_url, url_params

from ..profiles import DEFAULT_WIDTH_DOTS, WIDTH_DOTS_RANGE, check_profile
from .base import WHAT, PrinterUrl, Scheme, Transport

URL_PARAMS = ("profile", "width_dots")  # every scheme

# The modules of this package that each serve one kind of link (a new transport: its name here).
TRANSPORTS = ("tcp", "serial", "file", "usb")

# scheme -> how its URL is read and its transport made.
SCHEMES: dict[str, Scheme] = {
    name: scheme
    for module in TRANSPORTS
    for name, scheme in import_module(f"{__name__}.{module}").SCHEMES.items()
}


def register(name: str, scheme: Scheme) -> None:
    """Add a scheme from outside this package (drivers.sim adds sim://)."""
    SCHEMES[name] = scheme


def parse_printer_url(url: str) -> PrinterUrl:
    """Parse and validate a printer URL. ValueError for bad URLs, Unsupported where the URL
    is valid but cannot be served (IPv6 on tcp://). Syntax only: nothing is opened (a usb://
    URL parses without pyusb; open_printer() reports that)."""
    url, parts = split_device_url(url, WHAT)
    if parts is None:
        raise ValueError(f"printer URL {url!r} has no scheme; expected e.g. tcp://HOST:9100")
    scheme = SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise ValueError(f"unknown printer URL scheme {parts.scheme.lower()!r} in {url!r}; "
                         f"expected one of {', '.join(s + '://' for s in SCHEMES)}")
    params = url_params(parts, url, WHAT, URL_PARAMS + scheme.params)
    width_dots = DEFAULT_WIDTH_DOTS
    if "width_dots" in params:
        width_dots = parse_int(params["width_dots"], "width_dots", url, WHAT, *WIDTH_DOTS_RANGE)
    profile = params.get("profile") or None
    try:
        check_profile(profile)  # the name only: the instance is made when the printer opens
    except ValueError as e:
        raise ValueError(f"profile={profile!r} in {WHAT} {url!r}: {e}") from None
    return replace(scheme.parse(parts, params, url), profile=profile, width_dots=width_dots)


def open_transport(u: PrinterUrl, profile: object) -> Transport:
    """The transport for a parsed URL, not connected yet."""
    return SCHEMES[u.scheme].open(u, profile)


__all__ = ["SCHEMES", "PrinterUrl", "Scheme", "Transport", "open_transport",
           "parse_printer_url", "register"]
