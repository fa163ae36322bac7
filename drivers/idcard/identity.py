"""The citizen's identity as read from a card, with masking, wiping and the ID number rules.

Personal data (docs/architecture.md, Personal data): ID numbers, names, birth dates and
addresses must never reach a log in clear. Every object here that holds them masks them in
``repr``/``str`` (so an accidental ``log.info("%s", identity)`` or a traceback shows
``••••••••6789``), offers a ``masked()`` view for diagnostics, and a ``wipe()`` for the end
of the citizen's session.

What ``wipe()`` can and cannot do in Python: ``str`` and ``date`` objects are immutable, so
wiping replaces this object's references with empty values; the old strings become garbage
and CPython frees (but does not zero) their memory. Copies held elsewhere (the raw QR text
the caller passed in, a scanner's buffer, a traceback's frame locals, interned strings) are
out of reach. Overwriting immutable objects in place with ctypes would corrupt the
interpreter and is not attempted. Mutable buffers this driver owns (``bytearray`` keys and
frame buffers) are zeroed in place.

The 12-digit personal identification number (Decree 137/2015/NĐ-CP Art. 13, Circular
07/2016/TT-BCA Art. 7 and Appendix 1): 3 digits province code of birth registration,
1 digit century and sex (1900s: male 0, female 1; 2000s: 2/3; 2100s: 4/5; 2200s: 6/7;
2300s: 8/9), 2 digits last two digits of the birth year, 6 digits random.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from .errors import BadField

MASK = "•"

# Circular 07/2016/TT-BCA, Appendix 1 (63 provinces, codes of birth registration). The 2025
# province mergers did not renumber ID numbers already issued.
PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn",
    "008": "Tuyên Quang", "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu",
    "014": "Sơn La", "015": "Yên Bái", "017": "Hòa Bình", "019": "Thái Nguyên",
    "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang", "025": "Phú Thọ",
    "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định",
    "037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh",
    "044": "Quảng Bình", "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng",
    "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định", "054": "Phú Yên",
    "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng",
    "070": "Bình Phước", "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh", "080": "Long An", "082": "Tiền Giang",
    "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long", "087": "Đồng Tháp",
    "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}

_ID12 = re.compile(r"[0-9]{12}", re.ASCII)
SEXES = ("M", "F", "X")  # ICAO letters; the QR's Nam/Nữ map to M/F


# -- masking --------------------------------------------------------------------------------
def masked_fields(record: Any, maskers: Mapping[str, Callable[[Any], str]]) -> dict[str, str]:
    """Every field of a dataclass as text, those in `maskers` masked by theirs."""
    out: dict[str, str] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        masker = maskers.get(f.name)
        out[f.name] = masker(value) if masker else str(value)
    return out


def mask_id(value: str | None) -> str:
    """A 12-digit ID number ending in 6789 → ``••••••••6789``: the last 4 digits stay
    (enough to tell two cards apart at the counter), and nothing at all of short values."""
    if not value:
        return ""
    keep = 4 if len(value) >= 8 else 0
    return MASK * (len(value) - keep) + value[len(value) - keep:]


def mask_name(value: str | None) -> str:
    """``Nguyễn Văn An`` → ``N••••• V•• A•``: initials only."""
    if not value:
        return ""
    return " ".join(w[0] + MASK * (len(w) - 1) for w in value.split())


def mask_date(value: date | None) -> str:
    return "" if value is None else f"{MASK * 2}/{MASK * 2}/{MASK * 4}"


def mask_text(value: str | None) -> str:
    """Addresses and other free text: nothing of the content."""
    return MASK * 3 if value else ""


# -- ID number rules --------------------------------------------------------------------------
def id_century_sex_digit(birth_year: int, sex: str) -> int | None:
    """The 4th digit Decree 137/2015 Art. 13 prescribes, or None if it cannot say."""
    century = birth_year // 100 - 19  # 1900s → 0, 2000s → 1 ...
    if not 0 <= century <= 4 or sex not in ("M", "F"):
        return None
    return 2 * century + (1 if sex == "F" else 0)


def check_id_number(value: str, *, birth_date: date | None = None, sex: str = "",
                    field_name: str = "id_number", check_structure: bool = True) -> None:
    """Raise BadField unless ``value`` is a plausible 12-digit personal ID number.

    ``check_structure``: the province code must be one of Circular 07/2016's 63 codes, and
    when birth date and sex are known the century/sex digit and the birth-year digits must
    agree with them. Citizens whose birth was registered abroad carry a country code
    instead of a province code; those codes were not confirmed here, so such IDs fail the
    structure check: callers that must accept them pass ``check_structure=False``.
    """
    if not isinstance(value, str) or not _ID12.fullmatch(value):
        raise BadField(field_name, "must be 12 digits")
    if not check_structure:
        return
    if value[:3] not in PROVINCE_CODES:
        raise BadField(field_name, "first 3 digits are not a province code (Circular 07/2016)")
    if birth_date is not None:
        if value[4:6] != f"{birth_date.year % 100:02d}":
            raise BadField(field_name, "digits 5-6 do not match the birth year")
        expected = id_century_sex_digit(birth_date.year, sex)
        if expected is not None and int(value[3]) != expected:
            raise BadField(field_name, "4th digit does not match the birth century and sex")


# -- the identity -----------------------------------------------------------------------------
# Fields that hold personal data, with how to mask them.
_MASKERS: dict[str, Any] = {
    "id_number": mask_id, "old_id": mask_id, "full_name": mask_name,
    "given_name": mask_name, "birth_date": mask_date, "address": mask_text,
    "issue_date": mask_date, "expiry_date": mask_date,
}


@dataclass(frozen=True, repr=False)
class CitizenIdentity:
    """Who the citizen is, as read from the card's QR, MRZ or chip.

    ``sex`` is ``"M"``, ``"F"`` (or ``"X"``/``""`` when a source does not say);
    ``given_name`` is the last word of the full name: Vietnamese address people by it
    ("Chào anh An"). ``source`` is ``"qr"``, ``"mrz"`` or ``"chip"``; MRZ names are upper
    case without diacritics, and an MRZ has no address, old ID or issue date.
    """

    id_number: str
    full_name: str
    birth_date: date | None
    sex: str
    address: str = ""
    issue_date: date | None = None
    old_id: str = ""
    expiry_date: date | None = None
    source: str = "qr"
    given_name: str = field(init=False, default="")
    wiped: bool = field(init=False, default=False, compare=False)

    def __post_init__(self) -> None:
        words = self.full_name.split()
        object.__setattr__(self, "given_name", words[-1] if words else "")

    def masked(self) -> dict[str, str]:
        """Every field as text, personal data masked: safe to log or show to staff."""
        return masked_fields(self, _MASKERS)

    def wipe(self) -> None:
        """Drop the personal data (see the module docstring for what Python allows)."""
        for name, masker in _MASKERS.items():
            object.__setattr__(self, name, None if masker is mask_date else "")
        object.__setattr__(self, "wiped", True)

    def __repr__(self) -> str:
        m = self.masked()
        inner = ", ".join(f"{k}={v!r}" for k, v in m.items() if k != "wiped")
        return f"CitizenIdentity({inner}{', wiped' if self.wiped else ''})"

    __str__ = __repr__
