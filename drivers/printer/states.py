"""Status vocabulary and typed errors for the ticket printer (CEN/XFS style)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from drivers.device import DeviceState

__all__ = ["CoverOpen", "DeviceNotReady", "DeviceState", "PaperOut", "PaperState",
           "PrinterError", "PrinterStatus", "PrinterTimeout", "Unsupported"]


class PaperState(enum.Enum):
    FULL = "full"
    LOW = "low"
    OUT = "out"
    JAMMED = "jammed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PrinterStatus:
    state: DeviceState
    paper: PaperState
    cover_open: bool = False
    cutter_error: bool = False
    detail: str = ""

    @property
    def can_print(self) -> bool:
        # Paper UNKNOWN is tolerated only because write-only transports (file://) cannot ask;
        # bidirectional transports report a missing reply as OFFLINE, so they never get here.
        return (
            self.state is DeviceState.ONLINE
            and self.paper in (PaperState.FULL, PaperState.LOW, PaperState.UNKNOWN)
            and not self.cover_open
        )


class PrinterError(Exception):
    """Base class of every error the printer driver raises on purpose."""


class DeviceNotReady(PrinterError):
    """The printer is unreachable, offline, in error, or the connection broke."""


class PaperOut(PrinterError):
    """The printer reports no paper."""


class CoverOpen(PrinterError):
    """The printer reports its cover open."""


class PrinterTimeout(PrinterError):
    """The printer did not answer or accept data within the timeout."""


class Unsupported(PrinterError):
    """The transport or feature is not available (yet) for this printer."""
