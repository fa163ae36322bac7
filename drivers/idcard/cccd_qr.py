"""The QR code on the front of the 2021 chip CCCD.

UTF-8 text, fields split by ``|`` (docs/architecture.md, ID cards)::

    ID (12 digits) | old CMND (9 digits or empty) | full name | birth ddmmyyyy |
    sex (Nam/Nữ) | permanent address | issue date ddmmyyyy

Cards issued in 2024 have been seen with 4 extra empty fields (11 in all). Anything else is
rejected with a typed error naming the field, never quoting it (a QR is untrusted input: a
hostile one must get a clear message, not a crash, and its text must not reach the log).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from .errors import BadField, NotAnIdCard
from .identity import CitizenIdentity, check_id_number

MAX_QR_BYTES = 1024  # a real CCCD QR is ~150-250 bytes; bigger is refused before parsing
FIELDS = 7
FIELDS_2024 = 11  # 7 + 4 empty trailing fields
MAX_NAME_CHARS = 100
MAX_ADDRESS_CHARS = 400

_OLD_ID = re.compile(r"[0-9]{9}", re.ASCII)
_DATE = re.compile(r"[0-9]{8}", re.ASCII)
_SEX = {"Nam": "M", "Nữ": "F"}
# Names: letters and combining marks (K'Ho letters such as ơ̆ have no precomposed form),
# spaces, and the apostrophe of K'Ho names (K'Duẩn, Lơ Mu K'Yến: ASCII ' or U+2019).
_NAME_PUNCT = frozenset("'\u2019")


def _bad_chars(text: str) -> bool:
    """Control, format (bidi overrides), surrogate, private-use or unassigned characters."""
    return any(unicodedata.category(c)[0] == "C" for c in text)


def _valid_name(name: str) -> bool:
    if not name or not unicodedata.category(name[0]).startswith("L"):
        return False
    return all(c == " " or c in _NAME_PUNCT or unicodedata.category(c)[0] in "LM"
               for c in name)


def parse_ddmmyyyy(text: str, field_name: str) -> date:
    if not _DATE.fullmatch(text):
        raise BadField(field_name, "must be 8 digits ddmmyyyy")
    try:
        return date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        raise BadField(field_name, "not a real calendar date") from None


def _decode(data: bytes | bytearray | memoryview | str) -> str:
    if isinstance(data, str):
        if len(data) > MAX_QR_BYTES:  # chars ≤ UTF-8 bytes: surely too big
            raise NotAnIdCard(f"longer than {MAX_QR_BYTES} bytes")
        try:
            raw = data.encode("utf-8")  # lone surrogates fail here
        except UnicodeEncodeError:
            raise NotAnIdCard("not valid Unicode text") from None
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        raise TypeError(f"QR data must be bytes or str, not {type(data).__name__}")
    if len(raw) > MAX_QR_BYTES:
        raise NotAnIdCard(f"longer than {MAX_QR_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NotAnIdCard("not valid UTF-8") from None
    # A BOM or the scanner's line ending are not part of the card's text.
    return unicodedata.normalize("NFC", text.removeprefix("\ufeff").strip("\r\n"))


def parse_cccd_qr(data: bytes | bytearray | memoryview | str, *, today: date | None = None,
                  check_structure: bool = True) -> CitizenIdentity:
    """Parse the CCCD front QR into a :class:`CitizenIdentity` (``source="qr"``).

    Raises NotAnIdCard (not a CCCD QR: too big, not UTF-8, wrong field count) or BadField /
    a subclass naming the failing field. ``today``: if given, an issue date after it is
    rejected; by default the kiosk's clock is not trusted for that (a drained RTC battery
    would reject every card). ``check_structure``: see :func:`check_id_number`.
    """
    text = _decode(data)
    if "|" not in text:
        raise NotAnIdCard("no '|'-separated fields")
    parts = text.split("|")
    if len(parts) == FIELDS_2024:
        if any(parts[FIELDS:]):
            raise BadField("trailing fields", "fields 8-11 must be empty")
        parts = parts[:FIELDS]
    elif len(parts) != FIELDS:
        raise NotAnIdCard(f"expected {FIELDS} fields (or {FIELDS_2024} with 4 empty at the "
                          f"end), got {len(parts)}")
    id_number, old_id, name, birth, sex_text, address, issued = parts

    check_id_number(id_number, check_structure=False)  # the shape first, in field order
    if old_id and not _OLD_ID.fullmatch(old_id):
        raise BadField("old_id", "must be 9 digits or empty")
    full_name = " ".join(name.split())
    if not full_name:
        raise BadField("full_name", "empty")
    if len(full_name) > MAX_NAME_CHARS:
        raise BadField("full_name", f"longer than {MAX_NAME_CHARS} characters")
    if not _valid_name(full_name):
        raise BadField("full_name", "only letters, spaces and apostrophes are allowed")
    birth_date = parse_ddmmyyyy(birth, "birth_date")
    sex = _SEX.get(sex_text)
    if sex is None:
        raise BadField("sex", "must be Nam or Nữ")
    address = " ".join(address.split())
    if not address:
        raise BadField("address", "empty")
    if len(address) > MAX_ADDRESS_CHARS:
        raise BadField("address", f"longer than {MAX_ADDRESS_CHARS} characters")
    if _bad_chars(address):
        raise BadField("address", "contains control or invisible characters")
    issue_date = parse_ddmmyyyy(issued, "issue_date")
    if birth_date > issue_date:
        raise BadField("birth_date", "after the issue date")
    if today is not None and issue_date > today:
        raise BadField("issue_date", "in the future")
    check_id_number(id_number, birth_date=birth_date, sex=sex, check_structure=check_structure)
    return CitizenIdentity(id_number=id_number, full_name=full_name, birth_date=birth_date,
                           sex=sex, address=address, issue_date=issue_date, old_id=old_id,
                           source="qr")
