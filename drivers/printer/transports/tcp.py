"""``tcp://HOST[:PORT]``: raw TCP, port 9100 by default, through python-escpos ``Network``."""

from __future__ import annotations

import contextlib
import socket
import struct
from urllib.parse import SplitResult

from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Network

from drivers.serial_url import host_port

from ..states import Unsupported
from .base import WHAT, PrinterUrl, Scheme, Transport

DEFAULT_TCP_PORT = 9100


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


def parse(parts: SplitResult, params: dict[str, str], url: str) -> PrinterUrl:
    if "[" in parts.netloc:
        raise Unsupported(f"IPv6 address in {url!r}: python-escpos Network is IPv4-only")
    host, port = host_port(parts, url, "tcp", WHAT, default_port=DEFAULT_TCP_PORT)
    return PrinterUrl("tcp", host, port, "", params, url, target=f"{host}:{port}")


def open_transport(u: PrinterUrl, profile: object) -> Transport:
    return TcpTransport(u.host, u.port, profile)


SCHEMES = {"tcp": Scheme((), parse, open_transport)}
