"""Status vocabulary and typed errors for the QR / barcode scanner (CEN/XFS style)."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.device import DeviceState  # one vocabulary for every device

__all__ = [
    "DeviceNotReady",
    "DeviceState",
    "ScannerError",
    "ScannerStatus",
    "ScannerTimeout",
    "SsiChecksumError",
    "TriggerRejected",
    "Unsupported",
]


@dataclass(frozen=True)
class ScannerStatus:
    state: DeviceState
    detail: str = ""

    @property
    def online(self) -> bool:
        return self.state is DeviceState.ONLINE


class ScannerError(Exception):
    """Base class of every error the scanner driver raises on purpose."""


class DeviceNotReady(ScannerError):
    """The scanner is unplugged, unreachable, or the link broke while sending to it."""


class ScannerTimeout(ScannerError):
    """The scanner did not accept a command or did not acknowledge it in time."""


class Unsupported(ScannerError):
    """The transport or feature is not available (an optional package is missing, the
    link is read-only, no host trigger is configured ...)."""


class TriggerRejected(ScannerError):
    """A Zebra SSI scanner answered CMD_NAK to a trigger command."""

    def __init__(self, message: str, cause: int) -> None:
        super().__init__(message)
        self.cause = cause


class SsiChecksumError(ScannerError):
    """An SSI packet whose checksum does not match its bytes. ``length`` is how many bytes
    the damaged packet occupies, so a reader can skip it and carry on."""

    def __init__(self, expected: int, received: int, length: int) -> None:
        super().__init__(f"SSI checksum {received:04X}, expected {expected:04X} "
                         f"({length}-byte packet)")
        self.expected, self.received, self.length = expected, received, length
