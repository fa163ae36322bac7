"""``file:///dev/usb/lp0``: write-only (a kernel printer device, or a file that must already
exist). Status cannot be read, so status() says ONLINE with paper UNKNOWN and print_job()
sends without asking."""

from __future__ import annotations

import contextlib
import errno
import os
from urllib.parse import SplitResult, quote

from drivers.device import write_all
from drivers.serial_url import absolute_path

from .base import WHAT, WRITE_ONLY_DETAIL, PrinterUrl, Scheme, Transport


class FileTransport:
    """Write-only device file (``/dev/usb/lp0``): opened O_APPEND, never created."""

    can_read = False

    def __init__(self, path: str) -> None:
        self.path = path
        self.description = "file://" + quote(path)
        self._fd: int | None = None

    def is_open(self) -> bool:
        return self._fd is not None

    def connect(self, timeout: float) -> None:
        self.close()
        # No O_CREAT: with the printer unplugged, /dev/usb/lp0 must stay missing rather than
        # become a regular file that swallows tickets. O_NONBLOCK lets send() time out.
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK | os.O_CLOEXEC)

    def send(self, data: bytes, timeout: float) -> None:
        if self._fd is None:
            raise ConnectionError("not open")
        write_all(self._fd, data, timeout)

    def recv(self, timeout: float) -> bytes:
        raise OSError(errno.EBADF, WRITE_ONLY_DETAIL)

    def drain(self) -> bool:
        # Still the same file? A replugged printer gets a new device node.
        if self._fd is None:
            return False
        try:
            a, b = os.fstat(self._fd), os.stat(self.path)
        except OSError:
            return False
        return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)

    def transfer_time(self, nbytes: int) -> float:
        return 0.0

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def discard(self) -> None:
        self.close()

    def release(self) -> None:
        self.close()


def parse(parts: SplitResult, params: dict[str, str], url: str) -> PrinterUrl:
    path = absolute_path(parts, url, "file", WHAT)
    return PrinterUrl("file", "", 0, path, params, url, target=path)


def open_transport(u: PrinterUrl, profile: object) -> Transport:
    return FileTransport(u.target)


SCHEMES = {"file": Scheme((), parse, open_transport)}
