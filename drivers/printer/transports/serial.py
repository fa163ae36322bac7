"""``serial:///dev/ttyUSB0?baudrate=38400&parity=N&rtscts=1`` and pyserial's own URL handlers
``loop://``, ``socket://HOST:PORT``, ``rfc2217://HOST:PORT``, all through ``serial_for_url``.

Options (drivers.serial_url): baudrate, bytesize, parity (N E O M S), stopbits (1 1.5 2),
rtscts, xonxoff, dsrdtr, exclusive; rfc2217 adds ign_set_control, poll_modem, timeout.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any
from urllib.parse import SplitResult, quote

import serial

from drivers.serial_url import (
    HANDLER_PARAMS,
    SERIAL_PARAMS,
    SerialLink,
    as_oserror,
    serial_target,
)

from .base import WHAT, PrinterUrl, Scheme, Transport

PYSERIAL_DEFAULT_BAUD = 9600
# Serial writes are cut into slices no longer than this (reads wait at most
# drivers.serial_url.READ_SLICE): pyserial's timeouts are set once at open, so no call can
# block past its own deadline by more than one slice.
WRITE_SLICE = 2.0


class SerialTransport(SerialLink):
    """pyserial's ``serial_for_url``: a device path or a loop:// socket:// rfc2217:// URL."""

    can_read = True

    def __init__(self, target: str, options: dict[str, Any], description: str) -> None:
        super().__init__(target, options, description, write_timeout=WRITE_SLICE)
        self.baudrate = int(options.get("baudrate", PYSERIAL_DEFAULT_BAUD))

    def connect(self, timeout: float) -> None:
        # ``timeout`` is not needed: opening a device does not wait (pyserial opens with
        # O_NONBLOCK), and socket:// / rfc2217:// have their own connect timeouts.
        self.open()

    def send(self, data: bytes, timeout: float) -> None:
        ser = self.port()
        # About 1/4 s of line time per write: a stalled link (flow control held, cable out)
        # fails once ``timeout`` has passed without a write going through (one slice more at
        # most); a line that keeps taking bytes takes as long as the job needs.
        step = max(64, self.baudrate // 40)
        view = memoryview(data)
        deadline = time.monotonic() + timeout
        for i in range(0, len(view), step):
            if time.monotonic() > deadline:
                raise TimeoutError(f"sent {i} of {len(data)} bytes; then none in {timeout:.1f} s")
            try:
                ser.write(view[i:i + step])
            except serial.SerialException as e:
                raise as_oserror(e) from None
            deadline = time.monotonic() + timeout

    def recv(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while True:
            data = self.read_some()
            if data:
                return data
            if time.monotonic() >= deadline:
                raise TimeoutError("no data")

    def drain(self) -> bool:
        try:
            ser = self.port()
            while n := ser.in_waiting:  # an unplugged tty fails here with EIO
                ser.read(n)
            return True
        except (serial.SerialException, OSError):
            return False

    def transfer_time(self, nbytes: int) -> float:
        return nbytes * 10 / self.baudrate  # start + 8 data + stop bits

    def close(self) -> None:
        # Anything still queued belongs to a job we gave up on (print_job returns only after
        # the printer confirmed every byte): flushing it stops a half job printing later, and
        # keeps close() from waiting for a stalled UART to drain. termios.error is no OSError.
        if self._ser is not None:
            with contextlib.suppress(Exception):
                self._ser.reset_output_buffer()
        super().close()

    def discard(self) -> None:
        self.close()

    def release(self) -> None:
        self.close()


def parse(parts: SplitResult, params: dict[str, str], url: str) -> PrinterUrl:
    scheme = parts.scheme.lower()
    target, options, host, port = serial_target(parts, params, url, WHAT)
    path = target if scheme == "serial" else ""
    return PrinterUrl(scheme, host, port, path, params, url, target=target, options=options)


def open_transport(u: PrinterUrl, profile: object) -> Transport:
    description = u.target if u.scheme != "serial" else "serial://" + quote(u.target)
    return SerialTransport(u.target, u.options, description.split("?", 1)[0])


SCHEMES = {scheme: Scheme(SERIAL_PARAMS + HANDLER_PARAMS.get(scheme, ()), parse, open_transport)
           for scheme in ("serial", *HANDLER_PARAMS)}
