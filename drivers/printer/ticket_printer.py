"""The ticket printer device: chosen by URL, status by DLE EOT, typed errors.

Like pyserial's ``serial_for_url``, the URL scheme picks a transport factory from a table;
``TicketPrinter`` composes the transport and holds the device logic (status before print,
error mapping). This round implements ``tcp://HOST[:PORT]`` (python-escpos ``Network``);
serial://, usb://, file://, sim:// ... are reserved and raise Unsupported.

Query parameters (all schemes): ``profile`` (python-escpos profile name, default TM-T20II)
and ``width_dots`` (paper width in dots, default 576), e.g. ``tcp://10.0.0.5:9100?width_dots=384``.

python-escpos ``Network`` is used to open the socket and send (``open()``, ``_raw()``), but
not to read: its ``_read()`` is a blocking ``recv(16)`` under the 60 s connect timeout and its
``paper_status()`` reports "paper OK" on an empty reply. Status replies are read from the
``device`` socket directly with a deadline.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Protocol
from urllib.parse import parse_qsl, urlsplit

from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Network

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

DEFAULT_TCP_PORT = 9100
DLE_EOT = b"\x10\x04"
# n=3 last: it only adds error detail, and some printers never answer it.
STATUS_QUERY_ORDER = (1, 2, 4, 3)
PLANNED_SCHEMES = ("serial", "usb", "file", "sim", "loop", "socket", "rfc2217")
URL_PARAMS = ("profile", "width_dots")


@dataclass(frozen=True)
class PrinterUrl:
    scheme: str
    host: str = ""
    port: int = 0
    path: str = ""
    params: dict[str, str] = field(default_factory=dict)
    url: str = ""


class Transport(Protocol):
    """What TicketPrinter needs from a connection. Errors are OSError (TimeoutError ...)."""

    description: str
    can_read: bool

    def is_open(self) -> bool: ...
    def connect(self, timeout: float) -> None: ...
    def send(self, data: bytes, timeout: float) -> None: ...
    def recv(self, timeout: float) -> bytes: ...  # b"" = peer closed; TimeoutError if none
    def drain(self) -> bool: ...  # discard unread input; False if the peer has closed
    def close(self) -> None: ...


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
        self._socket().settimeout(timeout)
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

    def close(self) -> None:
        self._sock = None
        self._net.close()


def parse_printer_url(url: str) -> PrinterUrl:
    """Parse and validate a printer URL. ValueError for bad URLs, Unsupported for schemes
    that are reserved but not implemented yet."""
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
    try:
        query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise ValueError(f"malformed query string {parts.query!r} in printer URL {url!r}") from None
    params = dict(query)
    unknown = sorted(set(params) - set(URL_PARAMS))
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)} in printer URL {url!r}; "
                         f"allowed: {', '.join(URL_PARAMS)}")
    if parts.fragment:
        raise ValueError(f"printer URL {url!r} must not have a #fragment")
    if scheme == "tcp":
        if parts.username is not None or parts.password is not None:
            raise ValueError(f"tcp printer URL {url!r} must not contain user:password@")
        if "[" in parts.netloc:
            raise Unsupported(f"IPv6 address in {url!r}: python-escpos Network is IPv4-only")
        host = parts.hostname or ""
        if not host:
            raise ValueError(f"tcp printer URL {url!r} has no host; expected tcp://HOST:PORT")
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"tcp printer URL {url!r}: port must be an integer 1..65535"
                             ) from None
        if port is None:
            port = DEFAULT_TCP_PORT
        if not 1 <= port <= 65535:
            raise ValueError(f"tcp printer URL {url!r}: port must be 1..65535")
        if parts.path not in ("", "/"):
            raise ValueError(f"tcp printer URL {url!r} must not have a path ({parts.path!r})")
        return PrinterUrl(scheme, host, port, "", params, url)
    return PrinterUrl(scheme, parts.hostname or "", 0, parts.path, params, url)


def _tcp_factory(u: PrinterUrl, profile: object) -> Transport:
    return TcpTransport(u.host, u.port, profile)


# scheme -> factory; new transports register here (serial://, usb://, file://, sim:// ...).
_FACTORIES: dict[str, Callable[[PrinterUrl, object], Transport]] = {"tcp": _tcp_factory}


class _Failure(Exception):
    """Internal: the connection itself failed. Carries both views of the failure."""

    def __init__(self, state: DeviceState, error: type[PrinterError], message: str) -> None:
        super().__init__(message)
        self.state, self.error, self.message = state, error, message


def _connect_failure(where: str, e: OSError, timeout: float) -> _Failure:
    if isinstance(e, TimeoutError):
        return _Failure(DeviceState.OFFLINE, PrinterTimeout,
                        f"{where}: no answer to connect within {timeout:g} s")
    if isinstance(e, socket.gaierror):
        return _Failure(DeviceState.NODEVICE, DeviceNotReady,
                        f"{where}: cannot resolve host ({e.strerror or e})")
    if isinstance(e, ConnectionRefusedError):
        return _Failure(DeviceState.NODEVICE, DeviceNotReady,
                        f"{where}: connection refused (nothing listening)")
    return _Failure(DeviceState.NODEVICE, DeviceNotReady,
                    f"{where}: cannot connect ({e.strerror or e})")


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

    def capabilities(self) -> dict[str, object]:
        supports = self._profile.supports  # type: ignore[attr-defined]
        return {
            "cutter": bool(supports("paperFullCut") or supports("paperPartCut")),
            "width_dots": self.width_dots,
            "native_qr": bool(supports("qrCode")),
            "status": self._t.can_read,
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
            self._t.close()
            raise _connect_failure(self._t.description, e, timeout) from None

    def _ensure_connected(self, timeout: float) -> bool:
        """Connect if needed; True if the connection is new."""
        if self._t.is_open() and self._t.drain():
            return False
        # Not connected, or stale (printer restarted or closed an idle link).
        self._t.close()
        self._connect(timeout)
        return True

    def _lost(self, e: OSError, doing: str) -> _Failure:
        self._t.close()
        if isinstance(e, TimeoutError):
            return _Failure(DeviceState.OFFLINE, PrinterTimeout,
                            f"{self._t.description}: timed out {doing}")
        return _Failure(DeviceState.OFFLINE, DeviceNotReady,
                        f"{self._t.description}: connection lost {doing} ({e})")

    def _query(self, timeout: float) -> tuple[PrinterStatus, bool]:
        """Ask DLE EOT 1, 2, 4, 3. Returns (status, silent); raises _Failure."""
        deadline = time.monotonic() + timeout
        if self._ensure_connected(min(timeout, self.timeout)):
            return self._exchange(deadline, timeout)
        try:
            return self._exchange(deadline, timeout)
        except _Failure:
            # A reused connection can die between the liveness check and the query (the
            # peer's FIN was still in flight): one fresh attempt before reporting trouble.
            self._connect(min(max(deadline - time.monotonic(), 0.05), self.timeout))
            return self._exchange(deadline, timeout)

    def _exchange(self, deadline: float, timeout: float) -> tuple[PrinterStatus, bool]:
        replies: dict[int, int | None] = {}
        buf = b""
        unanswered = 0
        for n in STATUS_QUERY_ORDER:
            try:
                self._t.send(DLE_EOT + bytes((n,)), max(deadline - time.monotonic(), 0.05))
            except OSError as e:
                raise self._lost(e, "sending a status query") from None
            got: int | None = None
            while True:
                found = find_status_byte(buf)
                if found is not None:
                    got, end = found
                    buf = buf[end:]
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    chunk = self._t.recv(remaining)
                except TimeoutError:
                    break
                except OSError as e:
                    raise self._lost(e, "reading status") from None
                if not chunk:
                    self._t.close()
                    raise _Failure(DeviceState.OFFLINE, DeviceNotReady,
                                   f"{self._t.description}: printer closed the connection")
                buf += chunk
            replies[n] = got
            if got is None:
                # A late reply would be misread as the answer to the next query: drop the
                # connection so the next call starts clean.
                self._t.close()
                unanswered = n
                break
        status = parse_status(replies)
        silent = any(replies.get(n) is None for n in REQUIRED_QUERIES)
        if silent:
            status = replace(status, detail=f"{self._t.description}: no status reply to "
                                            f"DLE EOT {unanswered} within {timeout:g} s")
        return status, silent

    # -- public -----------------------------------------------------------------------
    def status(self, timeout: float = 1.0) -> PrinterStatus:
        """Current status; never raises for device trouble (that is what it reports)."""
        with self._lock:
            try:
                return self._query(timeout)[0]
            except _Failure as f:
                return PrinterStatus(f.state, PaperState.UNKNOWN, detail=f.message)

    def print_job(self, job: bytes) -> None:
        """Check status, then send ``job``. Raises PaperOut, CoverOpen, DeviceNotReady,
        PrinterTimeout (all PrinterError) instead of sending into a printer that cannot print.
        Returning means every byte was handed to the connection, not that it printed."""
        data = bytes(job)
        if not data:
            raise ValueError("print_job() got an empty job")
        with self._lock:
            try:
                st, silent = self._query(self.timeout)
                where = self._t.description
                if st.cover_open:
                    raise CoverOpen(f"{where}: cover open")
                if st.paper is PaperState.OUT:
                    raise PaperOut(f"{where}: paper out")
                if silent:
                    raise PrinterTimeout(st.detail)
                if not st.can_print:
                    raise DeviceNotReady(f"{where}: printer {st.state.value}"
                                         + (f" ({st.detail})" if st.detail else ""))
                try:
                    self._t.send(data, self.timeout)
                except OSError as e:
                    raise self._lost(e, f"sending {len(data)} bytes") from None
            except _Failure as f:
                raise f.error(f.message) from None

    def close(self) -> None:
        with self._lock:
            self._t.close()


def open_printer(url: str, timeout: float = 3.0) -> TicketPrinter:
    """Printer for ``url`` (see module doc). Does not connect: the first status() or
    print_job() does, so a printer that is off at start-up is not an error here."""
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
