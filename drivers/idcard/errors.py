"""Typed errors of the ID card (CCCD) driver.

Every error names the field that failed, never its value: exception texts reach logs and
crash reports, which must not hold personal data (docs/architecture.md, Personal data).
"""

from __future__ import annotations

from typing import Any


class IdCardError(Exception):
    """Base class of every error the ID card driver raises on purpose."""

    field: str = ""


class NotAnIdCard(IdCardError):
    """The input is not a CCCD QR or a TD1 MRZ at all: wrong shape, encoding or size."""

    def __init__(self, reason: str, field: str = "input") -> None:
        super().__init__(f"not an ID card ({field}): {reason}")
        self.reason = reason
        self.field = field

    def __reduce__(self) -> tuple[Any, ...]:  # custom __init__: keep exceptions picklable
        return (type(self), (self.reason, self.field))


class BadField(IdCardError):
    """A field is present but invalid (not a real date, wrong length, bad characters ...)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field, self.reason))


class BadCheckDigit(BadField):
    """An ICAO 9303 check digit does not match the field it protects."""

    def __init__(self, field: str) -> None:
        super().__init__(field, "check digit does not match")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field,))


class BadFrame(IdCardError):
    """A reader's frame is broken: bad checksum, cut short, garbage, too long.

    Framers return these (they do not raise them) so one bad frame does not hide the next.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"bad frame: {reason}")
        self.field = "frame"
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.reason,))

    def __eq__(self, other: object) -> bool:  # value semantics help tests and dedup
        return type(other) is type(self) and other.reason == self.reason  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.reason))


class _ReaderProblem(IdCardError):
    """A problem with the reader itself rather than with a card: the reason is the text."""

    def __init__(self, reason: str, field: str = "reader") -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.reason, self.field))


class UnsupportedReader(_ReaderProblem):
    """The reader or its library is not available here (e.g. pyscard not installed)."""


class ReaderError(_ReaderProblem):
    """The link to a reader failed (unplugged, I/O error); the reader stopped."""


class ChipError(IdCardError):
    """The chip refused a command or answered something malformed."""

    def __init__(self, field: str, reason: str, sw: int | None = None) -> None:
        text = f"{field}: {reason}" + (f" (SW {sw:04X})" if sw is not None else "")
        super().__init__(text)
        self.field = field
        self.reason = reason
        self.sw = sw

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field, self.reason, self.sw))


class BacFailed(ChipError):
    """Basic Access Control failed: wrong MRZ keys, or the chip's answer did not verify."""


class SecureMessagingError(ChipError):
    """A secure-messaging response did not verify (MAC, padding, missing data objects)."""
