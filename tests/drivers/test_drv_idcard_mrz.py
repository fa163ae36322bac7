"""ICAO 9303 TD1 MRZ: the published specimens, a constructed Vietnamese CCCD, typed errors.

Check digits in this file come from ``icao_digit`` below, written independently of the code
under test (and, for the Vietnamese example, also worked by hand in the comments).
"""

from __future__ import annotations

import hashlib
import logging
import tracemalloc
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.idcard import (
    BadCheckDigit,
    BadField,
    IdCardError,
    NotAnIdCard,
    Td1,
    check_digit,
    parse_td1,
)

TODAY = date(2026, 6, 1)


def icao_digit(text: str) -> str:
    """ICAO 9303 Part 3 check digit, independent of drivers.idcard.mrz."""
    total = 0
    for i, ch in enumerate(text):
        if ch == "<":
            value = 0
        elif ch.isdigit():
            value = ord(ch) - ord("0")
        else:
            value = ord(ch) - ord("A") + 10
        total += value * [7, 3, 1][i % 3]
    return str(total % 10)


# ICAO Doc 9303 Part 5 (7th edition, 2015), TD1 specimen (Utopia, Anna Maria Eriksson), as
# reproduced in public MRZ test suites (e.g. snifter/MRZCode.NET README).
ERIKSSON = ("I<UTOD231458907<<<<<<<<<<<<<<<",
            "7408122F1204159UTO<<<<<<<<<<<6",
            "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
# ICAO Doc 9303 Part 11, Appendix D.2: TD1 with a document number longer than 9 characters
# (D23145890734, check digit 9): '<' at position 15, the number continues in optional data.
STEVENSON = ("I<UTOD23145890<7349<<<<<<<<<<<",
             "3407127M9507122UTO<<<<<<<<<<<2",
             "STEVENSON<<PETER<JOHN<<<<<<<<<")

# Constructed Vietnamese CCCD (fictional): ID 068192004567 = Lâm Đồng 068, woman born in the
# 1900s (1), '92, random 004567. By hand (weights 7 3 1):
#   192004567    → 7+27+2+0+0+4+35+18+7 = 100 → 0
#   068192004567 → 0+18+8+7+27+2+0+0+4+35+18+7 = 126 → 6
#   920315       → 63+6+0+21+3+5 = 98 → 8;  320315 → 21+6+0+21+3+5 = 56 → 6
#   composite over "1920045670068192004567<<6" "9203158" "3203156" "<"*11 → 474 → 4
VN = ("IDVNM1920045670068192004567<<6",
      "9203158F3203156VNM<<<<<<<<<<<4",
      "NGUYEN<<THI<MAI<<<<<<<<<<<<<<<")
VN_ID = "068192004567"


def build_vn(id_number: str = VN_ID, birth: str = "920315", sex: str = "F",
             expiry: str = "320315", name: str = "NGUYEN<<THI<MAI", doc: str | None = None,
             id_check: str | None = None) -> tuple[str, str, str]:
    """A Vietnamese TD1 with every check digit right (unless overridden)."""
    doc = id_number[3:] if doc is None else doc
    l1 = f"IDVNM{doc}{icao_digit(doc)}{id_number}<<{id_check or icao_digit(id_number)}"
    l2 = f"{birth}{icao_digit(birth)}{sex}{expiry}{icao_digit(expiry)}VNM{'<' * 11}"
    l2 += icao_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    return l1, l2, name.ljust(30, "<")


def fix_composite(l1: str, l2: str, l3: str) -> tuple[str, str, str]:
    return l1, l2[:29] + icao_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]), l3


def test_independent_check_digits_agree_with_the_published_specimens() -> None:
    assert icao_digit("D23145890") == "7" and icao_digit("740812") == "2"
    assert icao_digit("120415") == "9"
    assert icao_digit(ERIKSSON[0][5:30] + ERIKSSON[1][0:7] + ERIKSSON[1][8:15]
                      + ERIKSSON[1][18:29]) == "6"
    assert icao_digit("D23145890734") == "9"
    assert build_vn() == VN  # the hand-worked example above


@pytest.mark.parametrize("text", ["0123456789", "ABCXYZ<", "L898902C<", "<<<<", "",
                                  "IDVNM1920045670068192004567<<6"])
def test_check_digit_matches_the_independent_one(text: str) -> None:
    assert str(check_digit(text)) == icao_digit(text)


def test_part5_td1_specimen() -> None:
    m = parse_td1("\n".join(ERIKSSON), today=TODAY)
    assert (m.document_code, m.issuing_state, m.document_number) == ("I", "UTO", "D23145890")
    assert (m.birth_date, m.sex, m.expiry_date) == (date(1974, 8, 12), "F", date(2012, 4, 15))
    assert (m.nationality, m.surname, m.given_names) == ("UTO", "ERIKSSON", "ANNA MARIA")
    assert m.optional_data_1 == m.optional_data_2 == m.id_number == ""
    assert m.mrz_information == "D23145890" + "7" + "7408122" + "1204159"
    with pytest.raises(NotAnIdCard):
        m.to_identity()  # not a Vietnamese card


def test_part11_long_document_number() -> None:
    m = parse_td1(list(STEVENSON), today=TODAY)
    assert m.document_number == "D23145890734"
    assert m.optional_data_1 == ""
    assert (m.birth_date, m.sex) == (date(1934, 7, 12), "M")
    assert m.expiry_date == date(2095, 7, 12)  # the driver's rule: expiry years are 20yy
    assert (m.surname, m.given_names) == ("STEVENSON", "PETER JOHN")
    # The BAC input keeps the whole number and its check digit. ZeroPass dmrtd's and gmrtd's
    # tests give this MRZ information and key seed for this specimen (dmrtd attributes it to
    # Appendix D.2; not checked against the ICAO text itself).
    assert m.mrz_information == "D23145890734934071279507122"
    assert hashlib.sha1(m.mrz_information.encode()).hexdigest()[:32] == \
        "b366ad857ddca2b08c0e299811714730"


def test_vietnamese_cccd() -> None:
    m = parse_td1("\r\n".join(VN) + "\r\n", today=TODAY)
    assert (m.document_code, m.issuing_state, m.nationality) == ("ID", "VNM", "VNM")
    assert m.id_number == VN_ID and m.document_number == VN_ID[3:]
    assert (m.birth_date, m.sex, m.expiry_date) == (date(1992, 3, 15), "F", date(2032, 3, 15))
    assert m.full_name == "NGUYEN THI MAI"
    who = m.to_identity()
    assert (who.id_number, who.given_name, who.source, who.address) == (VN_ID, "MAI", "mrz", "")
    assert who.expiry_date == date(2032, 3, 15)


@pytest.mark.parametrize("form", [
    lambda lines: "".join(lines),  # one 90-character run (as in DG1)
    lambda lines: "\r".join(lines),
    lambda lines: "  " + "\n\n".join(lines) + "  \n",
    lambda lines: list(lines),
    lambda lines: tuple(lines),
])
def test_input_forms(form) -> None:  # type: ignore[no-untyped-def]
    assert parse_td1(form(VN), today=TODAY).id_number == VN_ID


def test_two_digit_birth_years_take_the_recent_past_century() -> None:
    def birth(yymmdd: str, today: date) -> date:
        lines = build_vn(id_number=f"0681{yymmdd[:2]}004567", birth=yymmdd)
        return parse_td1(lines, today=today, check_structure=False).birth_date  # type: ignore

    assert birth("260601", TODAY) == date(2026, 6, 1)  # born today
    assert birth("260602", TODAY) == date(1926, 6, 2)  # tomorrow is the future: 1926
    assert birth("000229", TODAY) == date(2000, 2, 29)
    assert birth("991231", date(2001, 1, 1)) == date(1999, 12, 31)


@pytest.mark.parametrize(("lines", "field"), [
    ((ERIKSSON[0][:14] + "8" + ERIKSSON[0][15:], *ERIKSSON[1:]), "document_number"),
    ((ERIKSSON[0], "7408123" + ERIKSSON[1][7:], ERIKSSON[2]), "birth_date"),
    ((ERIKSSON[0], ERIKSSON[1][:14] + "0" + ERIKSSON[1][15:], ERIKSSON[2]), "expiry_date"),
    ((ERIKSSON[0], ERIKSSON[1][:29] + "7", ERIKSSON[2]), "composite"),
    ((ERIKSSON[0], ERIKSSON[1][:29] + "<", ERIKSSON[2]), "composite"),
    ((STEVENSON[0].replace("7349", "7348"), *STEVENSON[1:]), "document_number"),
    (build_vn(id_check="5"), "id_number"),
])
def test_each_check_digit_failure_names_its_field(lines: tuple[str, ...], field: str) -> None:
    with pytest.raises(BadCheckDigit) as e:
        parse_td1(list(lines), today=TODAY)
    assert e.value.field == field


@pytest.mark.parametrize(("lines", "field"), [
    (build_vn(birth="920230"), "birth_date"),  # 30 February, check digit right
    (build_vn(expiry="321301"), "expiry_date"),
    (build_vn(sex="Q"), "sex"),
    (build_vn(sex="M"), "id_number"),  # the ID's 4th digit says woman
    (build_vn(birth="930315"), "id_number"),  # the ID says born '92
    (build_vn(doc="192004568"), "document_number"),  # not the ID's last 9 digits
    (build_vn(id_number="003192004567"), "id_number"),  # no such province code
    (build_vn(name="NGUYEN<<TH1"), "name"),
    (build_vn(name="<<MAI"), "surname"),
    ((VN[0].replace("IDVNM", "XDVNM"), *VN[1:]), "document_code"),
    (fix_composite(VN[0][:27] + "<<A", *VN[1:]), "optional_data_1"),
    (fix_composite(VN[0][:26] + "<<<<", *VN[1:]), "optional_data_1"),
    ((VN[0].lower(), *VN[1:]), "line 1"),
    ((VN[0], VN[1][:29], VN[2]), "line 2"),
    ((VN[0], VN[1], VN[2] + "<" * 14), "line 3"),  # a TD3-length line
])
def test_bad_fields_are_named(lines: tuple[str, ...], field: str) -> None:
    with pytest.raises(BadField) as e:
        parse_td1(list(lines), today=TODAY)
    assert e.value.field == field
    assert VN_ID not in str(e.value) and "NGUYEN" not in str(e.value)


@pytest.mark.parametrize("text", ["", "IDVNM", "\n".join(VN[:2]), "\n".join(VN * 2),
                                  "x" * 2000, b"\n".join(s.encode() for s in VN)])
def test_not_a_td1(text: str | bytes) -> None:
    with pytest.raises((NotAnIdCard, TypeError)):
        parse_td1(text, today=TODAY)  # type: ignore[arg-type]


def test_structure_check_off_accepts_unknown_province_codes() -> None:
    assert parse_td1(build_vn(id_number="999192004567"), today=TODAY,
                     check_structure=False).id_number == "999192004567"


def test_a_vietnamese_card_without_the_id_check_digit_still_parses() -> None:
    lines = build_vn(id_check="<")
    assert parse_td1(lines, today=TODAY).id_number == VN_ID


def test_masking_and_wipe(caplog: pytest.LogCaptureFixture) -> None:
    m = parse_td1(VN, today=TODAY)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("kiosk.test").info("mrz %s %r", m, [m])
    for text in (repr(m), str(m), str(m.masked()), caplog.text):
        for secret in (VN_ID, VN_ID[3:], "NGUYEN", "MAI", "920315", "1992", VN[0], VN[1]):
            assert secret not in text
    assert m.masked()["id_number"] == "••••••••4567"
    assert m.masked()["surname"] == "N•••••"
    m.wipe()
    assert (m.id_number, m.document_number, m.surname, m.lines) == ("", "", "", ())
    assert m.birth_date is None
    with pytest.raises(BadField):
        m.mrz_information  # noqa: B018


# -- fuzzing -------------------------------------------------------------------------------------
def _only_typed_errors(mrz: str | list[str]) -> Td1 | None:
    try:
        return parse_td1(mrz, today=TODAY)
    except IdCardError:
        return None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=10_240))
def test_fuzz_random_text(text: str) -> None:
    _only_typed_errors(text)


mrz_char = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")


@settings(max_examples=500, deadline=None)
@given(st.sampled_from([ERIKSSON, STEVENSON, VN]), st.integers(0, 89), mrz_char)
def test_fuzz_one_character_changed(base: tuple[str, str, str], pos: int, ch: str) -> None:
    flat = "".join(base)
    m = _only_typed_errors(flat[:pos] + ch + flat[pos + 1:])
    if m is not None:  # accepted: then every check digit really holds
        l1, l2, _ = m.lines
        assert icao_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]) == l2[29]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(mrz_char, min_size=28, max_size=32), min_size=2, max_size=4))
def test_fuzz_mrz_shaped_lines(lines: list[str]) -> None:
    _only_typed_errors(lines)


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=10_240))
def test_memory_is_bounded_for_10_kb(text: str) -> None:
    tracemalloc.start()
    try:
        _only_typed_errors(text)
        _only_typed_errors([text, text, text])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200_000
