"""What a scanned code is: an ID card, one of our queue tickets, a dossier receipt, or not
something the kiosk knows. Every scan anywhere in the flow goes through `classify`.

Nothing here logs a payload: an ID card's QR holds the citizen's number, name, birth date
and address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from kiosk.i18n import N_
from kiosk.identity import Citizen, IdentityDocument, MachineReadableZone

MAX_PAYLOAD = 4096  # a CCCD QR is ~150 bytes; anything far larger is not for us

# Our tickets' QR: the ticket id (kiosk/store/queue.py, secrets.token_hex(8)).
TICKET_ID = re.compile(r"[0-9a-f]{16}")
# Dossier codes (docs/architecture.md, Scanned codes). Two formats are in use:
# - Circular 03/2025/TT-VPCP Art. 13 as amended, for centrally provided services:
#   MX1X2.Y1Y2Y3.Z1Z2-YYMMDD-AAXXXX — agency electronic id, receipt date, platform id and a
#   daily sequence of at least 4 digits.
# - The older one of Circular 01/2018/TT-VPCP (guiding Decree 61/2018/ND-CP), still on
#   receipts issued before the change: <agency id>-YYMMDD-XXXX, the agency id having the
#   shape of QCVN 102:2016/BTTTT (Circular 10/2016/TT-BTTTT): three digits, two, two, and a
#   letter with two digits (H for a province, G for a ministry), e.g. 000.00.15.H42, as the
#   ids "000.00.00.H41" and "000.00.04.G14" appear in public one-stop-shop code on GitHub.
#   The Circulars' own text was not in the reference store when this was written: both
#   shapes are to be confirmed against the text and real receipts before lookups rely on
#   them; a provider answers 404 for a code it does not know, whatever its shape.
# Both end in a receipt date, which must be a real calendar day: this, the dots and the
# dashes keep a ticket id (16 hex digits), an ID card's QR ('|'-separated) or a web address
# with a date in it from being taken for a dossier code.
DOSSIER_CODE = re.compile(
    r"(?P<agency>[A-Z0-9]{3}\.[A-Z0-9]{3}\.[A-Z0-9]{2})-(?P<date>\d{6})-(?P<seq>[A-Z0-9]{2}\d{4,})"
)
DOSSIER_CODE_2018 = re.compile(
    r"(?P<agency>\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})-(?P<date>\d{6})-(?P<seq>\d{4,})"
)
DOSSIER_FORMATS = (DOSSIER_CODE, DOSSIER_CODE_2018)
MAX_DOSSIER_CODE = 40  # the longest either format gives with a long sequence number


def normalise_dossier_code(text: str) -> str:
    """A code as typed or read: upper case, without spaces (a citizen copies the receipt's
    code with the spaces it was printed with)."""
    return "".join(text.split()).upper()


def parse_dossier_code(text: str) -> str | None:
    """The dossier code in `text` (normalised), or None when it is in neither format."""
    code = normalise_dossier_code(text)
    if len(code) > MAX_DOSSIER_CODE:
        return None
    for shape in DOSSIER_FORMATS:
        found = shape.fullmatch(code)
        if found and _receipt_day(found["date"]):
            return code
    return None


def _receipt_day(yymmdd: str) -> bool:
    try:
        date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        return False
    return True


class ScanKind(StrEnum):
    ID_CARD = "id_card"  # the QR on the front of a chip CCCD
    ID_MRZ = "id_mrz"  # the MRZ on its back, from an MRZ reader
    TICKET = "ticket"
    DOSSIER = "dossier"
    UNKNOWN = "unknown"


class ScanProblem(StrEnum):
    """Why a scan was not understood: what the citizen is told depends on it."""

    TOO_LONG = "too_long"
    NOT_TEXT = "not_text"
    ID_CARD_REFUSED = "id_card_refused"  # an ID card's QR or MRZ that did not check out
    GARBLED = "garbled"  # the reader dropped a partial or corrupt frame


@dataclass(frozen=True)
class Classified:
    kind: ScanKind
    citizen: Citizen | None = None  # ID_CARD: the front QR's CitizenIdentity
    mrz: MachineReadableZone | None = None  # ID_MRZ: the back's Td1, the key to the chip
    ticket_id: str | None = None
    dossier_code: str | None = None
    problem_kind: ScanProblem | None = None
    # The problem for logs and staff, naming a refused field (never its value).
    problem: str | None = None

    @property
    def identity(self) -> IdentityDocument | None:
        """Whichever ID card read this is (mask before showing)."""
        return self.citizen if self.citizen is not None else self.mrz


# What the citizen is told about a scan the kiosk did not understand (msgids).
UNKNOWN_CODE = N_("This code is not one the kiosk knows. Please ask the staff.")
PROBLEM_MESSAGES: dict[ScanProblem, str] = {
    ScanProblem.ID_CARD_REFUSED: N_("This ID card could not be read. Please try again or "
                                    "ask the staff."),
    ScanProblem.GARBLED: N_("The code could not be read. Please hold it still and try "
                            "again."),
}


def refused(kind: ScanProblem, detail: str) -> Classified:
    """A scan the kiosk does not understand, and why."""
    return Classified(ScanKind.UNKNOWN, problem_kind=kind, problem=detail)


def garbled(reason: object) -> Classified:
    """A read the scanner or MRZ reader dropped as corrupt (kiosk/devices.py)."""
    return refused(ScanProblem.GARBLED, f"garbled read: {reason}")


def problem_message(found: Classified) -> str:
    """The msgid telling the citizen why their scan did nothing."""
    if found.problem_kind is None:
        return UNKNOWN_CODE
    return PROBLEM_MESSAGES.get(found.problem_kind, UNKNOWN_CODE)


def _dossier_code(text: str) -> str | None:
    candidate = text.strip()
    if "://" in candidate:  # a receipt QR holding a lookup URL that ends in the code
        try:
            parts = urlsplit(candidate)
        except ValueError:  # e.g. "http://[x": an unclosed IPv6 host; not a receipt's URL
            return None
        candidate = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1] or parts.query)
        for piece in re.split(r"[&=?/]", unquote(parts.query)):
            if parse_dossier_code(piece):
                candidate = piece
    elif any(ch.isspace() for ch in candidate):
        return None  # a bare code is one word; spaces are forgiven only when typed
    return parse_dossier_code(candidate)


def classify(payload: bytes, today: date | None = None) -> Classified:
    """Never raises for any payload: the kiosk must go on whatever is scanned."""
    # Imported on the first scan: the ID-card driver brings `cryptography` (for the chip),
    # which a kiosk without a scanner should not load at start.
    from drivers.idcard import IdCardError, NotAnIdCard, parse_cccd_qr, parse_td1

    if len(payload) > MAX_PAYLOAD:
        return refused(ScanProblem.TOO_LONG, f"too long ({len(payload)} bytes)")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return refused(ScanProblem.NOT_TEXT, "not UTF-8 text")
    stripped = text.strip()
    if TICKET_ID.fullmatch(stripped):
        return Classified(ScanKind.TICKET, ticket_id=stripped)
    if "|" in stripped:
        try:
            # check_structure=False: the card's own QR is authoritative; the province-code
            # table does not cover citizens registered abroad, who must not be turned away.
            identity = parse_cccd_qr(stripped, today=today, check_structure=False)
            return Classified(ScanKind.ID_CARD, citizen=identity)
        except NotAnIdCard:
            pass  # some other code with a '|' in it
        except IdCardError as exc:
            return refused(ScanProblem.ID_CARD_REFUSED, f"ID card QR refused: {_field(exc)}")
    lines = [line for line in re.split(r"[\r\n]+", stripped) if line]
    if len(lines) == 3 and all(len(line) == 30 for line in lines) and lines[0][:1] in "IAC":
        try:
            identity = parse_td1(lines, today=today, check_structure=False)
            return Classified(ScanKind.ID_MRZ, mrz=identity)
        except IdCardError as exc:
            return refused(ScanProblem.ID_CARD_REFUSED,
                           f"ID card MRZ refused: {_field(exc)}")
    code = _dossier_code(stripped)
    if code:
        return Classified(ScanKind.DOSSIER, dossier_code=code)
    return Classified(ScanKind.UNKNOWN)


def _field(exc: Exception) -> str:
    """The failing field's name and the kind of problem; the typed errors never carry the
    field's value, so this is safe to log."""
    return str(exc)
