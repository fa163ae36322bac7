"""ICAO 9303 TD1 machine readable zone (3 lines × 30), as on the back of the chip CCCD.

Layout (ICAO 9303 Part 5; positions 1-based)::

    line 1: document code 1-2, issuing state 3-5, document number 6-14, check 15,
            optional data 16-30
    line 2: birth yymmdd 1-6, check 7, sex 8, expiry yymmdd 9-14, check 15,
            nationality 16-18, optional data 19-29, composite check 30
            (over line 1 6-30, line 2 1-7, 9-15, 19-29)
    line 3: surname << given names, '<' between words

Check digit (ICAO 9303 Part 3): 0-9 → 0-9, A-Z → 10-35, '<' → 0, weights 7, 3, 1 repeating,
sum mod 10. A document number longer than 9 characters puts '<' at position 15 and continues
in the optional data, followed by its check digit and a '<' (Part 11 Appendix D.2 example
``I<UTOD23145890<7349<<<...``: number D23145890734, check digit 9).

Vietnam: line 1 starts ``IDVNM``; the document number is the last 9 digits of the 12-digit
ID number; optional data 1 holds the 12-digit ID, ``<<`` and a check digit over the 12
digits. That last digit is not from a published specification: it is what every public
sample of a chip CCCD MRZ found shows (checked by hand against four of them).

Two-digit years: a birth year takes the most recent century that puts it in the past and
the holder at most 120 years old; an expiry year is 20yy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .errors import BadCheckDigit, BadField, NotAnIdCard
from .identity import (
    CitizenIdentity,
    check_id_number,
    mask_date,
    mask_id,
    mask_name,
    mask_text,
    masked_fields,
)

TD1_LINE = 30
MAX_MRZ_CHARS = 1024  # three lines and some whitespace are ~95; refuse big input unparsed
MAX_AGE_YEARS = 120
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUES = {c: i for i, c in enumerate(_ALPHABET)} | {"<": 0}
_WEIGHTS = (7, 3, 1)
_LINE = re.compile(r"[A-Z0-9<]{30}", re.ASCII)
_VN_OPTIONAL_1 = re.compile(r"([0-9]{12})<<([0-9<])", re.ASCII)
_SEX = {"M": "M", "F": "F", "X": "X", "<": "X"}


def check_digit(data: str) -> int:
    """ICAO 9303 check digit of ``data`` (A-Z 0-9 <); ValueError for other characters."""
    total = 0
    for i, c in enumerate(data):
        value = _VALUES.get(c)
        if value is None:
            raise ValueError("MRZ check digit over a character outside A-Z 0-9 <")
        total += value * _WEIGHTS[i % 3]
    return total % 10


def _verify(data: str, digit: str, field_name: str) -> None:
    if not ("0" <= digit <= "9") or check_digit(data) != int(digit):
        raise BadCheckDigit(field_name)


def _split(mrz: str | Sequence[str]) -> list[str]:
    if isinstance(mrz, str):
        if len(mrz) > MAX_MRZ_CHARS:
            raise NotAnIdCard(f"longer than {MAX_MRZ_CHARS} characters")
        raw = mrz.splitlines()
    elif isinstance(mrz, Sequence):
        raw = list(mrz)
        if len(raw) > 8 or not all(isinstance(x, str) for x in raw):
            raise NotAnIdCard("expected 3 lines of text")
        if sum(len(x) for x in raw) > MAX_MRZ_CHARS:
            raise NotAnIdCard(f"longer than {MAX_MRZ_CHARS} characters")
    else:
        raise TypeError(f"MRZ must be str or a sequence of lines, not {type(mrz).__name__}")
    lines = [x.strip() for x in raw if x.strip()]
    if len(lines) == 1 and len(lines[0]) == 3 * TD1_LINE:  # one run of 90 characters
        one = lines[0]
        lines = [one[:30], one[30:60], one[60:]]
    if len(lines) != 3:
        raise NotAnIdCard(f"a TD1 MRZ has 3 lines, got {len(lines)}")
    for i, line in enumerate(lines, 1):
        if len(line) != TD1_LINE:
            raise BadField(f"line {i}", f"must be {TD1_LINE} characters, got {len(line)}")
        if not _LINE.fullmatch(line):
            raise BadField(f"line {i}", "character outside A-Z 0-9 <")
    return lines


def _yymmdd(text: str, field_name: str) -> tuple[int, int, int]:
    if not text.isdigit():
        raise BadField(field_name, "must be 6 digits yymmdd")
    return int(text[:2]), int(text[2:4]), int(text[4:])


def birth_date_from_yymmdd(text: str, today: date) -> date:
    yy, mm, dd = _yymmdd(text, "birth_date")
    real = False
    for century in (today.year // 100 * 100, today.year // 100 * 100 - 100):
        try:
            d = date(century + yy, mm, dd)
        except ValueError:
            continue
        real = True
        age = today.year - d.year - ((today.month, today.day) < (d.month, d.day))
        if d <= today and age <= MAX_AGE_YEARS:
            return d
    if not real:
        raise BadField("birth_date", "not a real calendar date")
    raise BadField("birth_date", f"not in the past {MAX_AGE_YEARS} years")


def expiry_date_from_yymmdd(text: str) -> date:
    yy, mm, dd = _yymmdd(text, "expiry_date")
    try:
        return date(2000 + yy, mm, dd)
    except ValueError:
        raise BadField("expiry_date", "not a real calendar date") from None


_MASKERS: dict[str, Any] = {
    "document_number": mask_id, "id_number": mask_id, "optional_data_1": mask_id,
    "optional_data_2": mask_id, "birth_date": mask_date, "expiry_date": mask_date,
    "surname": mask_name, "given_names": mask_name,
    "lines": lambda v: mask_text("x" if v else ""),
}


@dataclass(frozen=True, repr=False)
class Td1:
    """A parsed, check-digit-verified TD1 MRZ. ``id_number`` is set for Vietnamese CCCDs."""

    document_code: str
    issuing_state: str
    document_number: str
    optional_data_1: str
    birth_date: date | None
    sex: str
    expiry_date: date | None
    nationality: str
    optional_data_2: str
    surname: str
    given_names: str
    lines: tuple[str, ...]
    id_number: str = ""

    @property
    def mrz_information(self) -> str:
        """The BAC key input (ICAO 9303 Part 11): document number (at least 9 characters,
        '<'-padded) + check digit, birth + check digit, expiry + check digit."""
        if len(self.lines) != 3:
            raise BadField("mrz", "wiped")
        number = self.document_number.ljust(9, "<")
        l2 = self.lines[1]
        return f"{number}{check_digit(number)}{l2[0:7]}{l2[8:15]}"

    @property
    def full_name(self) -> str:
        return f"{self.surname} {self.given_names}".strip()

    def to_identity(self) -> CitizenIdentity:
        """The citizen as an MRZ tells it (upper case, no diacritics, no address)."""
        if not self.id_number:
            raise NotAnIdCard("not a Vietnamese CCCD MRZ", field="issuing_state")
        return CitizenIdentity(id_number=self.id_number, full_name=self.full_name,
                               birth_date=self.birth_date, sex=self.sex,
                               expiry_date=self.expiry_date, source="mrz")

    def masked(self) -> dict[str, str]:
        return masked_fields(self, _MASKERS)

    def wipe(self) -> None:
        """Drop the personal data (limits: see drivers.idcard.identity)."""
        for name, masker in _MASKERS.items():
            empty: Any = None if masker is mask_date else () if name == "lines" else ""
            object.__setattr__(self, name, empty)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.masked().items())
        return f"Td1({inner})"

    __str__ = __repr__


def parse_td1(mrz: str | Sequence[str], *, today: date | None = None,
              check_structure: bool = True) -> Td1:
    """Parse and verify a TD1 MRZ: text with 3 lines (any line ending), one 90-character run,
    or a sequence of 3 lines. Raises NotAnIdCard, BadField or BadCheckDigit (naming the field).

    ``today`` (default: the system date) decides the birth century. ``check_structure``
    applies to Vietnamese ID numbers: see :func:`drivers.idcard.identity.check_id_number`.
    """
    l1, l2, l3 = _split(mrz)
    today = today or date.today()

    document_code = l1[0:2].rstrip("<")
    if l1[0] not in "ACI":
        raise BadField("document_code", "a TD1 document code starts with A, C or I")
    issuing_state = l1[2:5].rstrip("<")
    optional_1 = l1[15:30]
    if l1[14] == "<":  # long document number: it continues in optional data 1
        extension = optional_1.split("<", 1)[0]
        if not extension:
            raise BadCheckDigit("document_number")
        document_number = l1[5:14] + extension[:-1]
        _verify(document_number, extension[-1], "document_number")
        optional_1 = optional_1[len(extension) + 1:]
    else:
        document_number = l1[5:14].rstrip("<")
        _verify(l1[5:14], l1[14], "document_number")
    _verify(l2[0:6], l2[6], "birth_date")
    _verify(l2[8:14], l2[14], "expiry_date")
    _verify(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29], "composite")

    birth_date = birth_date_from_yymmdd(l2[0:6], today)
    expiry_date = expiry_date_from_yymmdd(l2[8:14])
    sex = _SEX.get(l2[7])
    if sex is None:
        raise BadField("sex", "must be M, F, X or <")

    id_number = ""
    if l1.startswith("IDVNM"):
        m = _VN_OPTIONAL_1.fullmatch(l1[15:30])
        if not m:
            raise BadField("optional_data_1", "expected the 12-digit ID number, << and a "
                                              "check digit")
        id_number = m.group(1)
        if m.group(2) != "<":
            _verify(id_number, m.group(2), "id_number")
        if document_number != id_number[3:]:
            raise BadField("document_number", "is not the last 9 digits of the ID number")
        check_id_number(id_number, birth_date=birth_date, sex=sex,
                        check_structure=check_structure)

    if any(c.isdigit() for c in l3):
        raise BadField("name", "digits in the name line")
    primary, _, secondary = l3.partition("<<")
    surname = " ".join(primary.replace("<", " ").split())
    given_names = " ".join(secondary.replace("<", " ").split())
    if not surname:
        raise BadField("surname", "empty")
    return Td1(document_code=document_code, issuing_state=issuing_state,
               document_number=document_number, optional_data_1=optional_1.rstrip("<"),
               birth_date=birth_date, sex=sex, expiry_date=expiry_date,
               nationality=l2[15:18].rstrip("<"), optional_data_2=l2[18:29].rstrip("<"),
               surname=surname, given_names=given_names, lines=(l1, l2, l3),
               id_number=id_number)
