"""What a scanner source is: the parsed URL it is made from, the link it reads, and the
entry a scheme has in the registry (drivers.scanner.sources)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import SplitResult

# Values, the query and pyserial's options are parsed by drivers.serial_url; this names the
# scanner in its messages.
WHAT = "scanner URL"


@dataclass(frozen=True)
class ScannerUrl:
    scheme: str  # "serial" (bare paths too), "loop", "socket", "rfc2217", "evdev"
    target: str  # what is opened: device path, or pyserial URL for its own handlers
    options: dict[str, Any] = field(default_factory=dict)  # typed: pyserial kwargs / grab
    url: str = ""
    description: str = ""  # the URL without its query, for status and logs


class Source(Protocol):
    """Where scanner bytes come from. Errors are OSError (TimeoutError ...)."""

    description: str
    can_write: bool
    keyboard_wedge: bool

    def open(self) -> None: ...
    def read(self, timeout: float) -> bytes: ...  # b"" if nothing came within ``timeout``
    def write(self, data: bytes, timeout: float) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Scheme:
    """One URL scheme: its query keys, how its URL is read (``parse(parts, params, url)``;
    ValueError only, nothing imported) and how its source is made (``open(url)``; Unsupported
    if an optional package is missing)."""

    params: tuple[str, ...]
    parse: Callable[[SplitResult, dict[str, str], str], ScannerUrl]
    open: Callable[[ScannerUrl], Source]
