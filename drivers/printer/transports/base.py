"""What a printer transport is: the parsed URL it is made from, the link it opens, and the
entry a scheme has in the registry (drivers.printer.transports)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import SplitResult

from ..profiles import DEFAULT_WIDTH_DOTS

# Values, the query and pyserial's options are parsed by drivers.serial_url; this names the
# printer in its messages.
WHAT = "printer URL"
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
    profile: str | None = None  # python-escpos profile name; None: the default
    width_dots: int = DEFAULT_WIDTH_DOTS


class Transport(Protocol):
    """What TicketPrinter needs from a connection. Errors are OSError (TimeoutError ...)."""

    description: str
    can_read: bool

    def is_open(self) -> bool: ...
    def connect(self, timeout: float) -> None: ...
    # TimeoutError once the link has accepted no byte for ``timeout`` s: a slow link that
    # keeps accepting takes as long as it needs (file:// and usb://, fast links, bound the
    # whole write by ``timeout``).
    def send(self, data: bytes, timeout: float) -> None: ...
    def recv(self, timeout: float) -> bytes: ...  # b"" = peer closed; TimeoutError if none
    def drain(self) -> bool: ...  # discard unread input; False if the link is gone
    # Seconds ``nbytes`` may need on the wire at the link's slowest plausible pace, 0 if fast.
    def transfer_time(self, nbytes: int) -> float: ...
    def close(self) -> None: ...  # end the link; unsent bytes may still go out
    def discard(self) -> None: ...  # end the link and throw away whatever was not sent
    def release(self) -> None: ...  # close and free what the transport owns (a simulator)


@dataclass(frozen=True)
class Scheme:
    """One URL scheme: its own query keys (besides profile and width_dots), how its URL is
    read (``parse(parts, params, url)`` -> PrinterUrl; ValueError or Unsupported) and how its
    transport is made (``open(url, profile)``, not connecting yet)."""

    params: tuple[str, ...]
    parse: Callable[[SplitResult, dict[str, str], str], PrinterUrl]
    open: Callable[[PrinterUrl, object], Transport]
