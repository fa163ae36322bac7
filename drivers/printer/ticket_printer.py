"""The ticket printer device: chosen by URL, status by DLE EOT, typed errors.

Like pyserial's ``serial_for_url``, the URL scheme picks a transport factory from a table
(``_FACTORIES``); ``TicketPrinter`` composes the transport and holds the device logic (status
before print, delivery confirmation after it, error mapping). Schemes:

``tcp://HOST[:PORT]``
    Raw TCP, port 9100 by default (python-escpos ``Network`` opens and sends).
``serial:///dev/ttyUSB0?baudrate=38400&parity=N&rtscts=1``
    pyserial via ``serial_for_url``; the path is the device. Options: baudrate, bytesize,
    parity (N E O M S), stopbits (1 1.5 2), rtscts, xonxoff, dsrdtr, exclusive.
``loop://``, ``socket://HOST:PORT``, ``rfc2217://HOST:PORT``
    pyserial's own URL handlers, same options (rfc2217 adds ign_set_control, poll_modem,
    timeout).
``file:///dev/usb/lp0``
    Write-only (a kernel printer device, or a file that must already exist): status cannot be
    read, so status() says ONLINE with paper UNKNOWN and print_job() sends without asking.
``usb://04b8:0202?interface=0&in_ep=0x82&out_ep=0x01``
    python-escpos ``Usb``; needs the optional pyusb (``pip install 'lobby-kiosk[usb]'``).
``sim://?fault=paper-low&jobs_dir=/tmp/jobs&render_png=1``
    An in-process drivers.sim.SimPrinter on 127.0.0.1, reachable as ``printer.simulator``.

Query parameters of every scheme: ``profile`` (python-escpos profile name, default TM-T20II)
and ``width_dots`` (paper width in dots, default 576). Unknown parameters are a ValueError.

Reads never use python-escpos: ``Network._read()`` is a blocking ``recv(16)`` under the 60 s
connect timeout, ``Serial._read()`` waits its whole timeout, and ``paper_status()`` reports
"paper OK" on an empty reply. Status replies are read with a deadline instead.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlsplit

import serial
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Network, Usb

from drivers.serial_url import (
    HANDLER_PARAMS,
    SERIAL_PARAMS,
    SerialLink,
    absolute_path,
    as_oserror,
    handler_target,
    host_port,
    parse_bool,
    parse_int,
    serial_options,
    url_params,
)

from .job import DEFAULT_PROFILE, TicketJob, make_profile
from .states import (
    CoverOpen,
    DeviceNotReady,
    DeviceState,
    PaperOut,
    PaperState,
    PrinterError,
    PrinterStatus,
    PrinterTimeout,
    Unsupported,
)
from .status import REQUIRED_QUERIES, find_status_byte, parse_status

if TYPE_CHECKING:
    from drivers.sim.printer import SimPrinter

DEFAULT_TCP_PORT = 9100
DLE_EOT = b"\x10\x04"
# n=3 last: it only adds error detail, and some printers never answer it.
STATUS_QUERY_ORDER = (1, 2, 4, 3)
# Sent after a job: the reply can only come once the printer has received every byte before
# it (links are in order), so it confirms delivery, and it shows a link that died mid-job.
CONFIRM_QUERY = DLE_EOT + b"\x01"
PLANNED_SCHEMES: tuple[str, ...] = ()  # reserved but not implemented: raise Unsupported
URL_PARAMS = ("profile", "width_dots")  # every scheme
# SERIAL_PARAMS and HANDLER_PARAMS (pyserial's options) come from drivers.serial_url.
USB_PARAMS = ("interface", "in_ep", "out_ep")
SIM_PARAMS = ("fault", "jobs_dir", "render_png")
PYSERIAL_DEFAULT_BAUD = 9600
# Serial writes are cut into slices no longer than this (reads wait at most
# drivers.serial_url.READ_SLICE): pyserial's timeouts are set once at open, so no call can
# block past its own deadline by more than one slice.
WRITE_SLICE = 2.0
USB_PYUSB_MISSING = "usb:// needs pyusb: pip install 'lobby-kiosk[usb]'"
WRITE_ONLY_DETAIL = "write-only link: paper and cover cannot be read"


@dataclass(frozen=True)
class PrinterUrl:
    scheme: str
    host: str = ""
    port: int = 0
    path: str = ""
    params: dict[str, str] = field(default_factory=dict)
    url: str = ""
    # What the transport opens: device path, pyserial URL, "VID:PID", "HOST:PORT".
    target: str = ""
    # The scheme's own parameters, validated and typed (e.g. {"baudrate": 38400}).
    options: dict[str, Any] = field(default_factory=dict)


class Transport(Protocol):
    """What TicketPrinter needs from a connection. Errors are OSError (TimeoutError ...)."""

    description: str
    can_read: bool

    def is_open(self) -> bool: ...
    def connect(self, timeout: float) -> None: ...
    def send(self, data: bytes, timeout: float) -> None: ...
    def recv(self, timeout: float) -> bytes: ...  # b"" = peer closed; TimeoutError if none
    def drain(self) -> bool: ...  # discard unread input; False if the link is gone
    def transfer_time(self, nbytes: int) -> float: ...  # seconds the wire needs, 0 if fast
    def close(self) -> None: ...  # end the link; unsent bytes may still go out
    def discard(self) -> None: ...  # end the link and throw away whatever was not sent
    def release(self) -> None: ...  # close and free what the transport owns (a simulator)


# -- transports -----------------------------------------------------------------------------
class TcpTransport:
    """Raw TCP (port 9100 style) through python-escpos ``Network``."""

    can_read = True

    def __init__(self, host: str, port: int, profile: object) -> None:
        self.host, self.port = host, port
        self.description = f"tcp://{host}:{port}"
        self._net = Network(host=host, port=port, timeout=3.0)
        self._net.profile = profile
        self._sock: socket.socket | None = None

    def is_open(self) -> bool:
        return self._sock is not None

    def connect(self, timeout: float) -> None:
        self.close()
        self._net.host, self._net.port = self.host, self.port
        self._net.timeout = timeout
        try:
            self._net.open(raise_not_found=True)
        except DeviceNotFoundError as e:
            # Network.open() wraps the OSError in a message; re-raise the original so the
            # caller can tell "refused" from "timed out" from "unknown host".
            cause = e.__context__
            raise cause if isinstance(cause, OSError) else OSError(str(e)) from None
        sock = self._net.device
        assert isinstance(sock, socket.socket)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # status round trips
        self._sock = sock

    def _socket(self) -> socket.socket:
        if self._sock is None:
            raise ConnectionError("not connected")
        return self._sock

    def send(self, data: bytes, timeout: float) -> None:
        self._socket().settimeout(timeout)  # since 3.5 a total bound for sendall()
        self._net._raw(data)  # sendall

    def recv(self, timeout: float) -> bytes:
        sock = self._socket()
        sock.settimeout(max(timeout, 0.001))
        return sock.recv(4096)

    def drain(self) -> bool:
        sock = self._socket()
        sock.settimeout(0.0)
        try:
            while True:
                if not sock.recv(4096):
                    return False
        except BlockingIOError:
            return True
        except OSError:
            return False

    def transfer_time(self, nbytes: int) -> float:
        return 0.0

    def close(self) -> None:
        self._sock = None
        self._net.close()

    def discard(self) -> None:
        # Linger 0: close with RST, so bytes still in our send buffer are dropped instead of
        # reaching the printer after we reported the job as failed.
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                      struct.pack("ii", 1, 0))
                self._sock.close()  # before Network.close()'s shutdown() could queue a FIN
        self.close()

    def release(self) -> None:
        self.close()


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
        deadline = time.monotonic() + timeout
        # About 1/4 s of line time per write: a stalled link (flow control held, cable out)
        # fails after WRITE_SLICE, and the whole job after ``timeout`` + one slice at most.
        step = max(64, self.baudrate // 40)
        view = memoryview(data)
        for i in range(0, len(view), step):
            if time.monotonic() > deadline:
                raise TimeoutError(f"sent {i} of {len(data)} bytes in {timeout:.1f} s")
            try:
                ser.write(view[i:i + step])
            except serial.SerialException as e:
                raise as_oserror(e) from None

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
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        while view:
            try:
                n = os.write(self._fd, view)
            except BlockingIOError:
                n = 0
            if n == 0:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([], [self._fd], [], left)[1]:
                    raise TimeoutError(f"{len(view)} of {len(data)} bytes not accepted")
            view = view[n:]

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


class UsbTransport:
    """USB printer class device through python-escpos ``Usb`` (pyusb).

    Status is read from the bulk IN endpoint with a short timeout. Untested against hardware
    in CI (no device); the error mapping follows pyusb's USBError.errno.
    """

    can_read = True

    def __init__(self, vid: int, pid: int, interface: int, in_ep: int, out_ep: int,
                 profile: object) -> None:
        import usb.core  # the factory checked that pyusb is installed

        self._usb_core = usb.core
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
        except DeviceNotFoundError as e:
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


class SimTransport(TcpTransport):
    """TCP to an in-process SimPrinter that this transport owns (``sim://``)."""

    def __init__(self, sim: SimPrinter, profile: object) -> None:
        super().__init__(sim.host, sim.port, profile)
        self.simulator = sim
        self.description = f"sim://{sim.host}:{sim.port}"

    def connect(self, timeout: float) -> None:
        if not self.simulator.running:  # released by TicketPrinter.close(): start again
            self.simulator.start()
        self.host, self.port = self.simulator.host, self.simulator.port
        super().connect(timeout)

    def transfer_time(self, nbytes: int) -> float:
        baud = self.simulator.baudrate
        return nbytes * 10 / baud if baud else 0.0

    def release(self) -> None:
        self.close()
        self.simulator.stop()  # its threads and socket; jobs and fault stay for inspection


# -- URL parsing ----------------------------------------------------------------------------
# Values, the query and pyserial's options are parsed by drivers.serial_url; these name the
# printer in its messages.
_WHAT = "printer URL"


def _bool(value: str, key: str, url: str) -> bool:
    return parse_bool(value, key, url, _WHAT)


def _int(value: str, key: str, url: str, lo: int, hi: int, base: int = 10) -> int:
    return parse_int(value, key, url, _WHAT, lo, hi, base)


def _allowed_params(scheme: str) -> tuple[str, ...]:
    if scheme == "serial":
        return URL_PARAMS + SERIAL_PARAMS
    if scheme in HANDLER_PARAMS:
        return URL_PARAMS + SERIAL_PARAMS + HANDLER_PARAMS[scheme]
    if scheme == "usb":
        return URL_PARAMS + USB_PARAMS
    if scheme == "sim":
        return URL_PARAMS + SIM_PARAMS
    return URL_PARAMS


def parse_printer_url(url: str) -> PrinterUrl:
    """Parse and validate a printer URL. ValueError for bad URLs, Unsupported for schemes
    that are reserved but not implemented yet. Syntax only: nothing is opened or imported
    (a usb:// URL parses without pyusb; open_printer() reports that)."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError("printer URL is empty")
    if "://" not in url:
        raise ValueError(f"printer URL {url!r} has no scheme; expected e.g. tcp://HOST:9100")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _FACTORIES:
        if scheme in PLANNED_SCHEMES:
            raise Unsupported(f"printer URL scheme {scheme}:// is not implemented yet "
                              f"(implemented: {', '.join(s + '://' for s in _FACTORIES)})")
        raise ValueError(f"unknown printer URL scheme {scheme!r} in {url!r}; expected one of "
                         f"{', '.join(s + '://' for s in (*_FACTORIES, *PLANNED_SCHEMES))}")
    params = url_params(parts, url, _WHAT, _allowed_params(scheme))

    if scheme == "tcp":
        if "[" in parts.netloc:
            raise Unsupported(f"IPv6 address in {url!r}: python-escpos Network is IPv4-only")
        host, port = host_port(parts, url, scheme, _WHAT, default_port=DEFAULT_TCP_PORT)
        return PrinterUrl(scheme, host, port, "", params, url, target=f"{host}:{port}")

    if scheme == "serial":
        path = absolute_path(parts, url, scheme, _WHAT)
        return PrinterUrl(scheme, "", 0, path, params, url, target=path,
                          options=serial_options(params, url, _WHAT))

    if scheme in HANDLER_PARAMS:
        target, host, port = handler_target(parts, params, url, _WHAT)
        return PrinterUrl(scheme, host, port, "", params, url, target=target,
                          options=serial_options(params, url, _WHAT))

    if scheme == "file":
        path = absolute_path(parts, url, scheme, _WHAT)
        return PrinterUrl(scheme, "", 0, path, params, url, target=path)

    if scheme == "usb":
        m = re.fullmatch(r"([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})", parts.netloc)
        if not m or parts.path not in ("", "/"):
            raise ValueError(f"usb printer URL {url!r}: expected usb://VID:PID in hex, "
                             f"e.g. usb://04b8:0202")
        vid, pid = int(m.group(1), 16), int(m.group(2), 16)
        opts: dict[str, Any] = {
            "vid": vid, "pid": pid,
            "interface": _int(params.get("interface", "0"), "interface", url, 0, 255),
            "in_ep": _int(params.get("in_ep", "0x82"), "in_ep", url, 0, 255, base=0),
            "out_ep": _int(params.get("out_ep", "0x01"), "out_ep", url, 0, 255, base=0),
        }
        return PrinterUrl(scheme, "", 0, "", params, url, target=f"{vid:04x}:{pid:04x}",
                          options=opts)

    assert scheme == "sim"
    if parts.netloc or parts.path not in ("", "/"):
        raise ValueError(f"sim printer URL {url!r} takes no host or path: sim://?fault=...")
    from drivers.sim.printer import FAULTS  # lazy: drivers.sim imports this package

    sim_opts: dict[str, Any] = {}
    if "fault" in params:
        if params["fault"] not in FAULTS or not params["fault"]:
            raise ValueError(f"fault={params['fault']!r} in printer URL {url!r}: expected one "
                             f"of {', '.join(f for f in FAULTS if f)}")
        sim_opts["fault"] = params["fault"]
    if "jobs_dir" in params:
        if not params["jobs_dir"].strip() or "\x00" in params["jobs_dir"]:
            raise ValueError(f"jobs_dir in printer URL {url!r} is empty")
        sim_opts["jobs_dir"] = params["jobs_dir"]
    if "render_png" in params:
        sim_opts["render_png"] = _bool(params["render_png"], "render_png", url)
    return PrinterUrl(scheme, "", 0, "", params, url, target="", options=sim_opts)


# -- factories ------------------------------------------------------------------------------
def _tcp_factory(u: PrinterUrl, profile: object) -> Transport:
    return TcpTransport(u.host, u.port, profile)


def _serial_factory(u: PrinterUrl, profile: object) -> Transport:
    description = u.target if u.scheme != "serial" else "serial://" + quote(u.target)
    return SerialTransport(u.target, u.options, description.split("?", 1)[0])


def _file_factory(u: PrinterUrl, profile: object) -> Transport:
    return FileTransport(u.target)


def _usb_factory(u: PrinterUrl, profile: object) -> Transport:
    try:
        import usb.core  # noqa: F401  (optional extra)
    except ImportError:
        raise Unsupported(USB_PYUSB_MISSING) from None
    o = u.options
    return UsbTransport(o["vid"], o["pid"], o["interface"], o["in_ep"], o["out_ep"], profile)


def _sim_factory(u: PrinterUrl, profile: object) -> Transport:
    from drivers.sim.printer import SimPrinter  # lazy: drivers.sim imports this package

    width = int(u.params.get("width_dots", "576"))
    jobs_dir = u.options.get("jobs_dir")
    sim = SimPrinter("127.0.0.1", 0, jobs_dir=os.path.expanduser(jobs_dir) if jobs_dir else None,
                     render_png=bool(u.options.get("render_png")), width_dots=width)
    if u.options.get("fault"):
        sim.set_fault(u.options["fault"])
    try:
        sim.start()
    except OSError as e:
        raise DeviceNotReady(f"sim://: cannot start the simulated printer ({e})") from None
    return SimTransport(sim, profile)


# scheme -> factory; a new transport registers here.
_FACTORIES: dict[str, Callable[[PrinterUrl, object], Transport]] = {
    "tcp": _tcp_factory,
    "serial": _serial_factory,
    "loop": _serial_factory,
    "socket": _serial_factory,
    "rfc2217": _serial_factory,
    "file": _file_factory,
    "usb": _usb_factory,
    "sim": _sim_factory,
}


# -- the device -----------------------------------------------------------------------------
class _Failure(Exception):
    """Internal: the connection itself failed. Carries both views of the failure."""

    def __init__(self, state: DeviceState, error: type[PrinterError], message: str) -> None:
        super().__init__(message)
        self.state, self.error, self.message = state, error, message


def _connect_failure(where: str, e: OSError, timeout: float) -> _Failure:
    why = e.strerror or str(e)
    if isinstance(e, TimeoutError):
        return _Failure(DeviceState.OFFLINE, PrinterTimeout,
                        f"{where}: no answer to connect within {timeout:g} s")
    if isinstance(e, socket.gaierror):
        return _Failure(DeviceState.NODEVICE, DeviceNotReady,
                        f"{where}: cannot resolve host ({why})")
    if isinstance(e, ConnectionRefusedError):
        return _Failure(DeviceState.NODEVICE, DeviceNotReady,
                        f"{where}: connection refused (nothing listening)")
    if e.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return _Failure(DeviceState.NODEVICE, DeviceNotReady,
                        f"{where}: no such device (unplugged or wrong path; {why})")
    if e.errno in (errno.EACCES, errno.EPERM):
        # Staff can fix it (udev rule, dialout/lp group), so a user error, not hardware.
        return _Failure(DeviceState.USERERROR, DeviceNotReady,
                        f"{where}: permission denied (add the kiosk user to the dialout or "
                        f"lp group; {why})")
    if e.errno in (errno.EBUSY, errno.EAGAIN):
        return _Failure(DeviceState.BUSY, DeviceNotReady,
                        f"{where}: device busy, in use by another program ({why})")
    if e.errno == errno.EINVAL:
        return _Failure(DeviceState.USERERROR, DeviceNotReady, f"{where}: {why}")
    return _Failure(DeviceState.NODEVICE, DeviceNotReady, f"{where}: cannot connect ({why})")


class TicketPrinter:
    """One ESC/POS ticket printer. Thread-safe: one lock serialises the connection."""

    def __init__(self, transport: Transport, url: str, timeout: float = 3.0,
                 profile: str | None = None, width_dots: int = 576) -> None:
        self.url = url
        self.timeout = timeout
        self.profile_name = profile or DEFAULT_PROFILE
        self.width_dots = width_dots
        self._profile = make_profile(profile, width_dots)
        self._t = transport
        self._lock = threading.RLock()

    def __enter__(self) -> TicketPrinter:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def simulator(self) -> SimPrinter | None:
        """The in-process simulated printer behind a sim:// URL (to inject faults), else None."""
        return getattr(self._t, "simulator", None)

    def capabilities(self) -> dict[str, object]:
        supports = self._profile.supports  # type: ignore[attr-defined]
        return {
            "cutter": bool(supports("paperFullCut") or supports("paperPartCut")),
            "width_dots": self.width_dots,
            "native_qr": bool(supports("qrCode")),
            "status": self._t.can_read,
            "can_read": self._t.can_read,
            "profile": self.profile_name,
            "transport": self._t.description,
        }

    def new_job(self) -> TicketJob:
        """A TicketJob matching this printer's profile and paper width."""
        return TicketJob(self.profile_name, self.width_dots)

    # -- connection -------------------------------------------------------------------
    def _connect(self, timeout: float) -> None:
        try:
            self._t.connect(timeout)
        except OSError as e:
            self._t.discard()
            raise _connect_failure(self._t.description, e, timeout) from None

    def _ensure_connected(self, timeout: float) -> bool:
        """Connect if needed; True if the connection is new."""
        if self._t.is_open() and self._t.drain():
            return False
        # Not connected, or stale (printer restarted, unplugged, or closed an idle link).
        # Discard: whatever the old link still held belongs to a job already reported failed.
        self._t.discard()
        self._connect(timeout)
        return True

    def _lost(self, e: OSError, doing: str) -> _Failure:
        self._t.discard()
        if isinstance(e, TimeoutError):
            return _Failure(DeviceState.OFFLINE, PrinterTimeout,
                            f"{self._t.description}: timed out {doing}")
        return _Failure(DeviceState.OFFLINE, DeviceNotReady,
                        f"{self._t.description}: connection lost {doing} ({e})")

    def _query(self, timeout: float) -> tuple[PrinterStatus, bool]:
        """Ask DLE EOT 1, 2, 4, 3. Returns (status, silent); raises _Failure."""
        deadline = time.monotonic() + timeout
        if not self._t.can_read:
            self._ensure_connected(min(timeout, self.timeout))
            return PrinterStatus(DeviceState.ONLINE, PaperState.UNKNOWN,
                                 detail=f"{self._t.description}: {WRITE_ONLY_DETAIL}"), False
        if self._ensure_connected(min(timeout, self.timeout)):
            return self._exchange(deadline, timeout)
        try:
            return self._exchange(deadline, timeout)
        except _Failure:
            # A reused connection can die between the liveness check and the query (the
            # peer's FIN was still in flight): one fresh attempt before reporting trouble.
            self._connect(min(max(deadline - time.monotonic(), 0.05), self.timeout))
            return self._exchange(deadline, timeout)

    def _read_status_byte(self, buf: bytes, deadline: float, doing: str
                          ) -> tuple[int | None, bytes]:
        """Read until a DLE EOT reply shows up or ``deadline`` passes; (None, buf) on time-out."""
        while True:
            found = find_status_byte(buf)
            if found is not None:
                return found[0], buf[found[1]:]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None, buf
            try:
                chunk = self._t.recv(remaining)
            except TimeoutError:
                return None, buf
            except OSError as e:
                raise self._lost(e, doing) from None
            if not chunk:
                self._t.discard()
                raise _Failure(DeviceState.OFFLINE, DeviceNotReady,
                               f"{self._t.description}: printer closed the connection {doing}")
            buf += chunk

    def _exchange(self, deadline: float, timeout: float) -> tuple[PrinterStatus, bool]:
        replies: dict[int, int | None] = {}
        buf = b""
        unanswered = 0
        for n in STATUS_QUERY_ORDER:
            try:
                self._t.send(DLE_EOT + bytes((n,)), max(deadline - time.monotonic(), 0.05))
            except OSError as e:
                raise self._lost(e, "sending a status query") from None
            got, buf = self._read_status_byte(buf, deadline, "reading status")
            replies[n] = got
            if got is None:
                # A late reply would be misread as the answer to the next query: drop the
                # connection so the next call starts clean.
                self._t.discard()
                unanswered = n
                break
        status = parse_status(replies)
        silent = any(replies.get(n) is None for n in REQUIRED_QUERIES)
        if silent:
            status = replace(status, detail=f"{self._t.description}: no status reply to "
                                            f"DLE EOT {unanswered} within {timeout:g} s")
        return status, silent

    def _confirm(self, size: int, deadline: float, budget: float) -> None:
        """Wait until the printer answers a status query sent after the job."""
        doing = f"after sending {size} bytes (job lost)"
        try:
            self._t.send(CONFIRM_QUERY, max(deadline - time.monotonic(), 0.05))
        except OSError as e:
            raise self._lost(e, doing) from None
        got, _ = self._read_status_byte(b"", deadline, doing)
        if got is None:
            self._t.discard()
            raise _Failure(DeviceState.OFFLINE, PrinterTimeout,
                           f"{self._t.description}: sent {size} bytes but the printer did not "
                           f"confirm them within {budget:.1f} s")

    # -- public -----------------------------------------------------------------------
    def status(self, timeout: float = 1.0) -> PrinterStatus:
        """Current status; never raises for device trouble (that is what it reports)."""
        with self._lock:
            try:
                return self._query(timeout)[0]
            except _Failure as f:
                return PrinterStatus(f.state, PaperState.UNKNOWN, detail=f.message)

    def send_budget(self, size: int) -> float:
        """Seconds print_job() allows for ``size`` bytes: the link's wire time for them, half
        again as margin, plus the printer timeout."""
        return self.timeout + 1.5 * self._t.transfer_time(size)

    def print_job(self, job: bytes) -> None:
        """Check status, send ``job``, confirm delivery. Raises PaperOut, CoverOpen,
        DeviceNotReady, PrinterTimeout (all PrinterError) instead of sending into a printer
        that cannot print, and when the link fails mid-job (the job is then lost: it is never
        resent, and what was not sent is discarded). Returning means the printer received
        every byte (on a write-only link such as file://: the device accepted them).
        Bounded by ``send_budget(len(job))`` plus the status timeout."""
        data = bytes(job)
        if not data:
            raise ValueError("print_job() got an empty job")
        with self._lock:
            try:
                where = self._t.description
                if self._t.can_read:
                    st, silent = self._query(self.timeout)
                    if st.cover_open:
                        raise CoverOpen(f"{where}: cover open")
                    if st.paper is PaperState.OUT:
                        raise PaperOut(f"{where}: paper out")
                    if silent:
                        raise PrinterTimeout(st.detail)
                    if not st.can_print:
                        raise DeviceNotReady(f"{where}: printer {st.state.value}"
                                             + (f" ({st.detail})" if st.detail else ""))
                else:
                    self._ensure_connected(self.timeout)  # nothing to ask: just open it
                budget = self.send_budget(len(data))
                deadline = time.monotonic() + budget
                try:
                    self._t.send(data, budget)
                except OSError as e:
                    raise self._lost(e, f"sending {len(data)} bytes") from None
                if self._t.can_read:
                    self._confirm(len(data), deadline, budget)
            except _Failure as f:
                raise f.error(f.message) from None

    def close(self) -> None:
        with self._lock:
            self._t.release()


def open_printer(url: str, timeout: float = 3.0) -> TicketPrinter:
    """Printer for ``url`` (see module doc). Does not connect: the first status() or
    print_job() does, so a printer that is off at start-up is not an error here. sim:// starts
    its simulator here; close() stops it (a later call starts it again)."""
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0, got {timeout!r}")
    u = parse_printer_url(url)
    profile = u.params.get("profile") or None
    width_text = u.params.get("width_dots", "576")
    try:
        width_dots = int(width_text)
    except ValueError:
        raise ValueError(f"width_dots={width_text!r} in printer URL {url!r} is not an integer"
                         ) from None
    if not 8 <= width_dots <= 4096:
        raise ValueError(f"width_dots={width_dots} in printer URL {url!r} is not 8..4096")
    prof = make_profile(profile, width_dots)
    transport = _FACTORIES[u.scheme](u, prof)
    return TicketPrinter(transport, url, timeout, profile, width_dots)
