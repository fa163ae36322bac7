"""``evdev:///dev/input/eventN?grab=1``: a keyboard-wedge (USB HID) scanner through
python-evdev (optional: ``pip install evdev``). ``grab`` (default 1) takes the device for
this process alone, so its keystrokes do not also type into the kiosk's window. Keys map to
characters as on a US keyboard; Enter ends a frame. Read-only: no host trigger."""

from __future__ import annotations

import contextlib
import select
from typing import Any
from urllib.parse import SplitResult

from drivers.serial_url import absolute_path, parse_bool

from ..keymap import EV_KEY, KeyDecoder
from ..states import Unsupported
from .base import WHAT, ScannerUrl, Scheme, Source

EVDEV_PARAMS = ("grab",)
EVDEV_MISSING = ("evdev:// (keyboard-wedge scanner) needs python-evdev, which is not "
                 "installed: pip install 'lobby-kiosk[evdev]'")


class EvdevSource:
    """A keyboard-wedge scanner's /dev/input/eventN through python-evdev (read-only)."""

    can_write = False
    keyboard_wedge = True

    def __init__(self, path: str, grab: bool, description: str) -> None:
        import evdev  # open_source checked that it is installed

        self._evdev = evdev
        self.path = path
        self.grab = grab
        self.description = description
        self._dev: Any = None
        self._keys = KeyDecoder()

    def open(self) -> None:
        self.close()
        dev = self._evdev.InputDevice(self.path)  # OSError: missing, permission ...
        try:
            if self.grab:
                dev.grab()  # EBUSY if another process holds it
        except OSError:
            dev.close()
            raise
        self._keys.reset()
        self._dev = dev

    def read(self, timeout: float) -> bytes:
        dev = self._dev
        if dev is None:
            raise ConnectionError("not open")
        if not select.select([dev.fd], [], [], timeout)[0]:
            return b""
        try:
            events = list(dev.read())
        except BlockingIOError:
            return b""
        out = bytearray()
        for ev in events:
            if ev.type == EV_KEY:
                out += self._keys.key(ev.code, ev.value)
        return bytes(out)

    def write(self, data: bytes, timeout: float) -> None:
        raise Unsupported(f"{self.description}: a keyboard-wedge scanner cannot be sent "
                          f"commands")

    def close(self) -> None:
        dev, self._dev = self._dev, None
        if dev is None:
            return
        if self.grab:
            with contextlib.suppress(OSError):
                dev.ungrab()
        with contextlib.suppress(OSError):
            dev.close()


def parse(parts: SplitResult, params: dict[str, str], url: str) -> ScannerUrl:
    path = absolute_path(parts, url, "evdev", WHAT)
    grab = parse_bool(params["grab"], "grab", url, WHAT) if "grab" in params else True
    return ScannerUrl("evdev", path, {"grab": grab}, url, url.split("?", 1)[0])


def open_source(u: ScannerUrl) -> Source:
    try:
        import evdev  # noqa: F401  (optional extra)
    except ImportError:
        raise Unsupported(EVDEV_MISSING) from None
    return EvdevSource(u.target, bool(u.options.get("grab", True)), u.description)


SCHEMES = {"evdev": Scheme(EVDEV_PARAMS, parse, open_source)}
