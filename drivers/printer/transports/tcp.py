"""``tcp://HOST[:PORT]``: raw TCP, port 9100 by default, on a plain IPv4 socket.

python-escpos ``Network`` is not used for the link: it logs "Network printer enabled" and
"Closing Network connection" at INFO on the root logger on every open and close, and the
kiosk opens a connection for every status poll (staff reading the journal should see state
changes, not polls). Its sendall() also gives up after a fixed total time, however well the
printer keeps up.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from urllib.parse import SplitResult

from drivers.serial_url import host_port

from ..states import Unsupported
from .base import WHAT, PrinterUrl, Scheme, Transport

DEFAULT_TCP_PORT = 9100
# A TCP printer may sit behind a serial bridge: nothing on the socket says how fast the wire
# beyond it is, so a job's time is reckoned at the slowest speed such bridges are set to.
SLOWEST_BRIDGE_BAUD = 9600


class TcpTransport:
    """Raw TCP (port 9100 style)."""

    can_read = True

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.description = f"tcp://{host}:{port}"
        self._sock: socket.socket | None = None

    def is_open(self) -> bool:
        return self._sock is not None

    def connect(self, timeout: float) -> None:
        self.close()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect((self.host, self.port))
        except OSError:
            sock.close()
            raise
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # status round trips
        self._sock = sock

    def _socket(self) -> socket.socket:
        if self._sock is None:
            raise ConnectionError("not connected")
        return self._sock

    def send(self, data: bytes, timeout: float) -> None:
        # Progress-based: each send() waits at most ``timeout`` for room, so only a printer
        # that accepts nothing for that long fails; a slow one takes the time its wire needs.
        sock = self._socket()
        sock.settimeout(timeout)
        view = memoryview(data)
        while view:
            view = view[sock.send(view):]

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
        return nbytes * 10 / SLOWEST_BRIDGE_BAUD  # 8N1: 10 bits a byte

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):  # the peer may already be gone
                sock.shutdown(socket.SHUT_RDWR)  # a FIN after whatever is still unsent
            sock.close()

    def discard(self) -> None:
        # Linger 0 and no shutdown(): close with RST, so bytes still in our send buffer are
        # dropped instead of reaching the printer after we reported the job as failed.
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()

    def release(self) -> None:
        self.close()


def parse(parts: SplitResult, params: dict[str, str], url: str) -> PrinterUrl:
    if "[" in parts.netloc:
        raise Unsupported(f"IPv6 address in {url!r}: the TCP printer link is IPv4-only")
    host, port = host_port(parts, url, "tcp", WHAT, default_port=DEFAULT_TCP_PORT)
    return PrinterUrl("tcp", host, port, "", params, url, target=f"{host}:{port}")


def open_transport(u: PrinterUrl, profile: object) -> Transport:
    return TcpTransport(u.host, u.port)


SCHEMES = {"tcp": Scheme((), parse, open_transport)}
