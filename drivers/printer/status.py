"""Parse ESC/POS real-time status replies (DLE EOT n) without trusting silence.

Reply shapes (docs/architecture.md, Ticket printer status):
  DLE EOT n reply   0xx1xx10  (b & 0x93 == 0x12)
  ASB block         4 bytes, the first 0xx1xx00 (b & 0x93 == 0x10), the rest 0xx0xxxx
  GS r reply        0xx0xxxx
"""

from __future__ import annotations

from collections.abc import Mapping

from .states import DeviceState, PaperState, PrinterStatus

# DLE EOT n bits
N1_OFFLINE = 0x08
N2_COVER_OPEN = 0x04
N2_PAPER_END_STOP = 0x20
N2_ERROR = 0x40
N3_AUTOCUTTER = 0x08
N3_UNRECOVERABLE = 0x20
N3_AUTO_RECOVERABLE = 0x40
N4_NEAR_END = 0x0C
N4_PAPER_END = 0x60

ASB_LENGTH = 4
REQUIRED_QUERIES = (1, 2, 4)


def is_status_reply(b: int) -> bool:
    """True if ``b`` has the DLE EOT reply shape 0xx1xx10."""
    return 0 <= b <= 0xFF and b & 0x93 == 0x12


def is_asb_first_byte(b: int) -> bool:
    """True if ``b`` looks like the first byte of an Automatic Status Back block (0xx1xx00)."""
    return 0 <= b <= 0xFF and b & 0x93 == 0x10


def find_status_byte(data: bytes) -> tuple[int, int] | None:
    """Return ``(status_byte, index_after_it)`` for the first DLE EOT reply in ``data``.

    ASB blocks are skipped whole (their later bytes could otherwise be misread), GS r replies
    and garbage one byte at a time. A truncated ASB block at the end yields None: the caller
    should read more before deciding.
    """
    i = 0
    n = len(data)
    while i < n:
        b = data[i]
        if is_asb_first_byte(b):
            i += ASB_LENGTH
        elif is_status_reply(b):
            return b, i + 1
        else:
            i += 1
    return None


def pick_status_byte(data: bytes) -> int | None:
    """First valid DLE EOT reply byte in ``data``, skipping ASB blocks, GS r replies, garbage."""
    found = find_status_byte(data)
    return None if found is None else found[0]


def _valid(replies: Mapping[int, int | None], n: int) -> int | None:
    b = replies.get(n)
    if isinstance(b, int) and is_status_reply(b):
        return b
    return None


def parse_status(replies: Mapping[int, int | None]) -> PrinterStatus:
    """Map DLE EOT 1..4 replies to a PrinterStatus.

    n=1, 2 and 4 are required: if any is missing (None) or malformed the printer is reported
    OFFLINE and its paper is never reported as present (a silent printer is not a healthy one).
    n=3 is optional detail (error causes); absent or None just means "no detail".
    """
    n1, n2, n3, n4 = (_valid(replies, n) for n in (1, 2, 3, 4))

    # Paper evidence from whatever did answer: never upgrade to FULL on partial answers.
    paper_out = (n2 is not None and n2 & N2_PAPER_END_STOP) or (
        n4 is not None and n4 & N4_PAPER_END
    )
    cover_open = bool(n2 is not None and n2 & N2_COVER_OPEN)

    missing = [n for n, b in ((1, n1), (2, n2), (4, n4)) if b is None]
    if missing:
        return PrinterStatus(
            DeviceState.OFFLINE,
            PaperState.OUT if paper_out else PaperState.UNKNOWN,
            cover_open=cover_open,
            detail="no valid reply to DLE EOT " + ", ".join(str(n) for n in missing),
        )
    assert n1 is not None and n2 is not None and n4 is not None

    if paper_out:
        paper = PaperState.OUT
    elif n4 & N4_NEAR_END:
        paper = PaperState.LOW
    else:
        paper = PaperState.FULL

    cutter_error = bool(n3 is not None and n3 & N3_AUTOCUTTER)
    errors = []
    if cutter_error:
        errors.append("autocutter error")
    if n3 is not None and n3 & N3_UNRECOVERABLE:
        errors.append("unrecoverable error")
    if n3 is not None and n3 & N3_AUTO_RECOVERABLE:
        errors.append("auto-recoverable error")
    if n2 & N2_ERROR and not errors:
        errors.append("error")

    # Precedence: hardware fault, then what staff can fix (cover, paper), then plain offline.
    if errors:
        state, detail = DeviceState.HWERROR, ", ".join(errors)
    elif cover_open:
        state, detail = DeviceState.USERERROR, "cover open"
    elif paper is PaperState.OUT:
        state, detail = DeviceState.USERERROR, "paper out"
    elif n1 & N1_OFFLINE:
        state, detail = DeviceState.OFFLINE, "printer offline"
    else:
        state, detail = DeviceState.ONLINE, "paper low" if paper is PaperState.LOW else ""
    return PrinterStatus(state, paper, cover_open=cover_open, cutter_error=cutter_error,
                         detail=detail)
