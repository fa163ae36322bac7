"""A serial scanner: ``/dev/ttyACM0`` (a bare device path), ``serial:///dev/ttyACM0?...``, or
pyserial's ``loop://``, ``socket://HOST:PORT``, ``rfc2217://HOST:PORT``, with pyserial's
options (drivers.serial_url). ``exclusive`` defaults to 1 on a device path."""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult

import serial

from drivers.serial_url import (
    HANDLER_PARAMS,
    SERIAL_PARAMS,
    SerialLink,
    as_oserror,
    serial_target,
)

from .base import WHAT, ScannerUrl, Scheme, Source

WRITE_TIMEOUT = 1.0


class SerialSource(SerialLink):
    """pyserial's ``serial_for_url``: a device path, or a loop:// socket:// rfc2217:// URL."""

    can_write = True
    keyboard_wedge = False

    def __init__(self, target: str, options: dict[str, Any], description: str) -> None:
        super().__init__(target, options, description, write_timeout=WRITE_TIMEOUT)

    def read(self, timeout: float) -> bytes:
        # pyserial's timeout was set at open (READ_SLICE); ``timeout`` only documents it.
        return self.read_some()

    def write(self, data: bytes, timeout: float) -> None:
        ser = self.port()
        try:
            ser.write(data)  # bounded by WRITE_TIMEOUT
            ser.flush()
        except (serial.SerialException, OSError) as e:
            raise as_oserror(e) from None


def bare_path(path: str) -> ScannerUrl:
    return ScannerUrl("serial", path, {"exclusive": True}, path, path)


def parse(parts: SplitResult, params: dict[str, str], url: str) -> ScannerUrl:
    target, options, _, _ = serial_target(parts, params, url, WHAT, exclusive=True)
    return ScannerUrl(parts.scheme.lower(), target, options, url, url.split("?", 1)[0])


def open_source(u: ScannerUrl) -> Source:
    return SerialSource(u.target, u.options, u.description)


SCHEMES = {scheme: Scheme(SERIAL_PARAMS + HANDLER_PARAMS.get(scheme, ()), parse, open_source)
           for scheme in ("serial", *HANDLER_PARAMS)}
