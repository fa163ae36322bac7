"""``usb://04b8:0202?interface=0&in_ep=0x82&out_ep=0x01``: a USB printer class device through
python-escpos ``Usb``; needs the optional pyusb (``pip install 'lobby-kiosk[usb]'``)."""

from __future__ import annotations

import contextlib
import errno
import re
from typing import Any
from urllib.parse import SplitResult

from drivers.serial_url import parse_int

from ..states import Unsupported
from .base import WHAT, PrinterUrl, Scheme, Transport

USB_PARAMS = ("interface", "in_ep", "out_ep")
USB_PYUSB_MISSING = "usb:// needs pyusb: pip install 'lobby-kiosk[usb]'"


class UsbTransport:
    """USB printer class device through python-escpos ``Usb`` (pyusb).

    Status is read from the bulk IN endpoint with a short timeout. Untested against hardware
    in CI (no device); the error mapping follows pyusb's USBError.errno.
    """

    can_read = True

    def __init__(self, vid: int, pid: int, interface: int, in_ep: int, out_ep: int,
                 profile: object) -> None:
        import usb.core  # open_transport checked that pyusb is installed

        # Here, not at the top: a printer URL is parsed (the config checked) without escpos.
        from drivers.printer import _escpos_compat  # noqa: F401  (before escpos: its docstring)

        # isort: split
        from escpos.exceptions import DeviceNotFoundError
        from escpos.printer import Usb

        self._usb_core = usb.core
        self._not_found = DeviceNotFoundError
        self.description = f"usb://{vid:04x}:{pid:04x}"
        self.interface = interface
        self._p = Usb(idVendor=vid, idProduct=pid, timeout=0, in_ep=in_ep, out_ep=out_ep)
        self._p.profile = profile
        self._dev: Any = None

    def _oserror(self, e: Exception) -> OSError:
        code = getattr(e, "errno", None)
        timeout_cls = getattr(self._usb_core, "USBTimeoutError", ())
        if isinstance(e, timeout_cls) or code == errno.ETIMEDOUT:
            return TimeoutError(str(e))
        if isinstance(code, int):
            return OSError(code, str(e))
        return OSError(errno.EIO, str(e))

    def is_open(self) -> bool:
        return self._dev is not None

    def connect(self, timeout: float) -> None:
        self.close()
        try:
            self._p.open(raise_not_found=True)
        except self._not_found as e:
            raise OSError(errno.ENODEV, str(e).replace("\n", " ")) from None
        except self._usb_core.USBError as e:
            raise self._oserror(e) from None
        dev = self._p.device
        if self.interface:  # python-escpos only frees interface 0 from the kernel's usblp
            with contextlib.suppress(NotImplementedError, self._usb_core.USBError):
                if dev.is_kernel_driver_active(self.interface):
                    dev.detach_kernel_driver(self.interface)
        self._dev = dev

    def send(self, data: bytes, timeout: float) -> None:
        if self._dev is None:
            raise ConnectionError("not connected")
        try:
            self._dev.write(self._p.out_ep, data, max(1, int(timeout * 1000)))
        except self._usb_core.USBError as e:
            raise self._oserror(e) from None

    def recv(self, timeout: float) -> bytes:
        if self._dev is None:
            raise ConnectionError("not connected")
        try:
            return bytes(self._dev.read(self._p.in_ep, 64, max(1, int(timeout * 1000))))
        except self._usb_core.USBError as e:
            raise self._oserror(e) from None

    def drain(self) -> bool:
        try:
            while self.recv(0.001):
                pass
        except TimeoutError:
            return True
        except OSError:
            return False
        return True

    def transfer_time(self, nbytes: int) -> float:
        return nbytes / 1_000_000  # full speed bulk, ~1 MB/s

    def close(self) -> None:
        self._dev = None
        with contextlib.suppress(Exception):
            self._p.close()

    def discard(self) -> None:
        self.close()

    def release(self) -> None:
        self.close()


def parse(parts: SplitResult, params: dict[str, str], url: str) -> PrinterUrl:
    m = re.fullmatch(r"([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})", parts.netloc)
    if not m or parts.path not in ("", "/"):
        raise ValueError(f"usb printer URL {url!r}: expected usb://VID:PID in hex, "
                         f"e.g. usb://04b8:0202")
    vid, pid = int(m.group(1), 16), int(m.group(2), 16)
    opts: dict[str, Any] = {
        "vid": vid, "pid": pid,
        "interface": parse_int(params.get("interface", "0"), "interface", url, WHAT, 0, 255),
        "in_ep": parse_int(params.get("in_ep", "0x82"), "in_ep", url, WHAT, 0, 255, base=0),
        "out_ep": parse_int(params.get("out_ep", "0x01"), "out_ep", url, WHAT, 0, 255, base=0),
    }
    return PrinterUrl("usb", "", 0, "", params, url, target=f"{vid:04x}:{pid:04x}",
                      options=opts)


def open_transport(u: PrinterUrl, profile: object) -> Transport:
    try:
        import usb.core  # noqa: F401  (optional extra)
    except ImportError:
        raise Unsupported(USB_PYUSB_MISSING) from None
    o = u.options
    return UsbTransport(o["vid"], o["pid"], o["interface"], o["in_ep"], o["out_ep"], profile)


SCHEMES = {"usb": Scheme(USB_PARAMS, parse, open_transport)}
