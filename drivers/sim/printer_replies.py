"""What the simulated printer answers to real-time status commands, for each fault."""

from __future__ import annotations

import random

from drivers.printer.status import is_status_reply

FAULTS: tuple[str | None, ...] = (None, "paper-out", "paper-low", "cover-open", "offline",
                                  "silent", "garbage", "slow", "disconnect-mid-job")
# DLE EOT n replies per fault (docs/architecture.md, Ticket printer status). Faults not
# listed answer as healthy (slow: late; disconnect-mid-job: until it strikes), except silent
# and garbage.
STATUS_REPLIES: dict[str | None, dict[int, int]] = {
    None: {1: 0x16, 2: 0x12, 3: 0x12, 4: 0x12},
    "paper-low": {1: 0x16, 2: 0x12, 3: 0x12, 4: 0x1E},
    "paper-out": {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E},
    "cover-open": {1: 0x1E, 2: 0x16, 3: 0x12, 4: 0x12},
    "offline": {1: 0x1E, 2: 0x12, 3: 0x12, 4: 0x12},
}
CANNOT_PRINT = frozenset({"paper-out", "cover-open", "offline"})
# Status traffic, never part of a printed job.
STATUS_COMMANDS = frozenset({"DLE EOT", "DLE ENQ", "DLE DC4", "GS a", "GS r"})
_rng = random.Random()


def asb_block(fault: str | None) -> bytes:
    """Automatic Status Back: 4 bytes, the first shaped 0xx1xx00."""
    b1 = 0x10 | (0x08 if fault in CANNOT_PRINT else 0) | (0x20 if fault == "cover-open" else 0)
    b3 = 0x0C if fault == "paper-out" else 0x03 if fault == "paper-low" else 0x00
    return bytes((b1, 0x00, b3, 0x00))


def garbage() -> bytes:
    """A few random bytes none of which is shaped like a DLE EOT reply."""
    out = bytearray()
    while len(out) < 3:
        b = _rng.randrange(256)
        if not is_status_reply(b):
            out.append(b)
    return bytes(out)


def status_reply(cmd: str, arg: int, fault: str | None) -> bytes:
    """The answer to a status command (b"" for none) of a printer with ``fault``; silent,
    garbage and slow are the caller's (they change whether and when it answers)."""
    if fault not in STATUS_REPLIES:
        fault = None  # slow, disconnect-mid-job: the printer itself is fine
    if cmd == "DLE EOT":
        reply = STATUS_REPLIES[fault].get(arg)
        return bytes((reply,)) if reply is not None else b""
    if cmd == "GS a":
        return asb_block(fault) if arg != 0 else b""
    if cmd == "GS r" and arg in (1, 49):
        return bytes((0x0C if fault == "paper-out" else 0x03 if fault == "paper-low" else 0x00,))
    if cmd == "GS r" and arg in (2, 50):
        return b"\x00"
    return b""
