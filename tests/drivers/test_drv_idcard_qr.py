"""The CCCD front QR: field rules, the 2024 11-field variant, hostile input, masking."""

from __future__ import annotations

import logging
import tracemalloc
import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.idcard import (
    BadField,
    CitizenIdentity,
    IdCardError,
    NotAnIdCard,
    check_id_number,
    mask_id,
    mask_name,
    parse_cccd_qr,
)
from drivers.idcard.cccd_qr import MAX_QR_BYTES

# Fictional citizen. ID: Lâm Đồng 068, man born in the 1900s → 0, born '90 → 90, 6 random.
ID = "068090001234"
NAME = "Nguyễn Văn An"
ADDRESS = "Thôn Đưng K'Si, Xã Lạc Dương, Tỉnh Lâm Đồng"
FIELDS = [ID, "250123456", NAME, "15031990", "Nam", ADDRESS, "10082021"]
QR = "|".join(FIELDS)
PERSONAL = [ID, "250123456", "Nguyễn", "Văn", "An", "15031990", "Đưng", "1990"]


def qr(**changes: str) -> str:
    names = ["id", "old", "name", "birth", "sex", "address", "issued"]
    values = dict(zip(names, FIELDS, strict=True)) | changes
    return "|".join(values[n] for n in names)


def test_parses_the_seven_fields() -> None:
    who = parse_cccd_qr(QR)
    assert who == CitizenIdentity(id_number=ID, full_name=NAME, birth_date=date(1990, 3, 15),
                                  sex="M", address=ADDRESS, issue_date=date(2021, 8, 10),
                                  old_id="250123456", source="qr")
    assert who.given_name == "An"  # the name Vietnamese address people by
    assert parse_cccd_qr(QR.encode("utf-8")) == who


def test_2024_cards_with_four_empty_trailing_fields() -> None:
    assert parse_cccd_qr(QR + "||||") == parse_cccd_qr(QR)
    with pytest.raises(BadField) as e:
        parse_cccd_qr(QR + "|||x|")
    assert e.value.field == "trailing fields"


@pytest.mark.parametrize("text", [QR + "|", QR + "|||", QR + "|||||", "|".join(FIELDS[:6]),
                                  QR + "||||||"])
def test_other_field_counts_are_not_an_id_card(text: str) -> None:
    with pytest.raises(NotAnIdCard, match="fields"):
        parse_cccd_qr(text)


def test_a_woman_born_in_the_2000s_and_an_empty_old_id() -> None:
    # 3 = woman born in the 2000s (Decree 137/2015 Art. 13); 05 = born 2005.
    who = parse_cccd_qr(qr(id="068305000777", old="", name="Liêng Hót Ha K'Sương",
                           birth="28022005",
                           sex="Nữ", issued="01072024"))
    assert (who.sex, who.old_id, who.birth_date) == ("F", "", date(2005, 2, 28))
    assert who.given_name == "K'Sương"  # K'Ho names carry an apostrophe


def test_nfd_text_bom_and_line_ending_are_normalised() -> None:
    text = "\ufeff" + unicodedata.normalize("NFD", QR) + "\r\n"
    assert parse_cccd_qr(text) == parse_cccd_qr(QR)


@pytest.mark.parametrize(("change", "field"), [
    ({"id": "06809000123"}, "id_number"),
    ({"id": "0680900012345"}, "id_number"),
    ({"id": "06809000123４"}, "id_number"),  # a full-width digit is not an ASCII digit
    ({"id": "003090001234"}, "id_number"),  # 003 is no province code (Circular 07/2016)
    ({"id": "068190001234"}, "id_number"),  # 1 = woman, but the QR says Nam
    ({"id": "068091001234"}, "id_number"),  # born '91 per the ID, 1990 per the QR
    ({"old": "25012345"}, "old_id"),
    ({"old": "25012345x"}, "old_id"),
    ({"name": ""}, "full_name"),
    ({"name": "   "}, "full_name"),
    ({"name": "Nguyễn Văn 4n"}, "full_name"),
    ({"name": "Nguyễn\u202eVăn"}, "full_name"),  # bidi override
    ({"name": "<script>"}, "full_name"),
    ({"birth": "31021990"}, "birth_date"),  # 31 February
    ({"birth": "1503199"}, "birth_date"),
    ({"birth": "15-03-90"}, "birth_date"),
    ({"sex": "Male"}, "sex"),
    ({"sex": "nam"}, "sex"),
    ({"address": ""}, "address"),
    ({"address": "Thôn 1\x00"}, "address"),
    ({"address": "Thôn 1\u200b"}, "address"),  # zero-width space: invisible
    ({"issued": "32082021"}, "issue_date"),
    ({"issued": "01011980"}, "birth_date"),  # issued before birth
])
def test_bad_fields_are_named(change: dict[str, str], field: str) -> None:
    with pytest.raises(BadField) as e:
        parse_cccd_qr(qr(**change))
    assert e.value.field == field
    for secret in PERSONAL:
        assert secret not in str(e.value)


def test_structure_check_can_be_turned_off_for_ids_registered_abroad() -> None:
    parse_cccd_qr(qr(id="999090001234"), check_structure=False)
    with pytest.raises(BadField):
        parse_cccd_qr(qr(id="99909000123"), check_structure=False)  # 12 digits still


def test_issue_date_in_the_future_only_with_a_trusted_today() -> None:
    parse_cccd_qr(QR)  # no clock check by default
    with pytest.raises(BadField) as e:
        parse_cccd_qr(QR, today=date(2021, 8, 9))
    assert e.value.field == "issue_date"


@pytest.mark.parametrize("data", [b"\xff\xfe" + QR.encode(), QR.encode()[:-1] + b"\xc3",
                                  "https://dichvucong.gov.vn/p/x", "", "\ud800|a"])
def test_not_utf8_or_not_fields(data: bytes | str) -> None:
    with pytest.raises(NotAnIdCard):
        parse_cccd_qr(data)


def test_oversized_input_is_refused_before_parsing() -> None:
    big = QR + " " * (MAX_QR_BYTES - len(QR.encode()) + 1)
    with pytest.raises(NotAnIdCard, match="longer than"):
        parse_cccd_qr(big)
    with pytest.raises(NotAnIdCard, match="longer than"):
        parse_cccd_qr(b"x" * 10_000)


def test_id_number_rules() -> None:
    check_id_number("001200000000", birth_date=date(2000, 1, 1), sex="M")
    check_id_number("001300000000", birth_date=date(2000, 1, 1), sex="F")
    check_id_number("096199123456", birth_date=date(1999, 12, 31), sex="F")
    with pytest.raises(BadField):
        check_id_number("097199123456")  # beyond the 63 codes
    with pytest.raises(BadField):
        check_id_number("001000000000", birth_date=date(2000, 1, 1), sex="M")


# -- personal data ---------------------------------------------------------------------------
def test_repr_str_and_masked_view_hide_personal_data(caplog: pytest.LogCaptureFixture) -> None:
    who = parse_cccd_qr(QR)
    shown = [repr(who), str(who), f"{who}", str(who.masked()), repr([who])]
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("kiosk.test").info("citizen %s / %r", who, who)
    shown.append(caplog.text)
    for text in shown:
        for secret in PERSONAL + [ADDRESS, "Thôn"]:
            assert secret not in text, (secret, text)
    assert who.masked()["id_number"] == "••••••••1234"
    assert who.masked()["full_name"] == "N••••• V•• A•"
    assert who.masked()["birth_date"] == "••/••/••••"
    assert who.masked()["address"] == "•••"
    assert who.masked()["sex"] == "M" and who.masked()["source"] == "qr"
    assert mask_id("250123456") == "•••••3456" and mask_id("123") == "•••"
    assert mask_name("Nguyễn Văn A") == "N••••• V•• A"


def test_wipe_drops_every_personal_field() -> None:
    who = parse_cccd_qr(QR)
    who.wipe()
    assert who.wiped
    assert (who.id_number, who.full_name, who.given_name, who.old_id, who.address) == ("",) * 5
    assert who.birth_date is None and who.issue_date is None
    assert "wiped" in repr(who)
    with pytest.raises(AttributeError):
        who.id_number = ID  # type: ignore[misc]  # frozen: only wipe() may change it


# -- fuzzing -------------------------------------------------------------------------------------
def _only_typed_errors(data: bytes | str) -> None:
    try:
        who = parse_cccd_qr(data)
    except IdCardError:
        return
    assert len(who.id_number) == 12 and who.full_name


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=10_240))
def test_fuzz_random_bytes(data: bytes) -> None:
    _only_typed_errors(data)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2_000))
def test_fuzz_random_text(data: str) -> None:
    _only_typed_errors(data)


field_text = st.one_of(st.sampled_from(FIELDS + ["", "Nữ", "31021990", "29022000"]),
                       st.text(max_size=40), st.from_regex(r"[0-9]{0,13}", fullmatch=True))


@settings(max_examples=500, deadline=None)
@given(st.lists(field_text, min_size=5, max_size=13))
def test_fuzz_structured_fields(parts: list[str]) -> None:
    _only_typed_errors("|".join(parts))


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=1, max_size=10_240))
def test_memory_is_bounded_for_10_kb(data: bytes) -> None:
    tracemalloc.start()
    try:
        _only_typed_errors(data)
        _only_typed_errors(QR + "|" + data.decode("latin-1"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200_000
