"""What the kiosk reads from an identity document, whichever reader produced it.

The ID-card driver hands over a CitizenIdentity (the front QR, or the chip) or a Td1 (the
MRZ on the back); the kiosk only masks, links and wipes them, and greets the citizen by
name. Typing them by these Protocols keeps drivers' classes out of the session's types.
"""

from __future__ import annotations

from typing import Protocol


class IdentityDocument(Protocol):
    """Any read of an ID card: personal data that must be masked and wiped."""

    @property
    def id_number(self) -> str: ...

    def masked(self) -> dict[str, str]:
        """Every field as text, personal data masked: safe to log or show to staff."""
        ...

    def wipe(self) -> None:
        """Drops the personal data (overwrites what can be overwritten)."""
        ...


class Citizen(IdentityDocument, Protocol):
    """Who the citizen is (drivers.idcard CitizenIdentity): what a visit holds."""

    @property
    def given_name(self) -> str: ...


class MachineReadableZone(IdentityDocument, Protocol):
    """The MRZ on the back of the card (drivers.idcard Td1): the key to the chip."""

    def to_identity(self) -> Citizen: ...
