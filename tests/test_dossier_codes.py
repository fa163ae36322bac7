"""Dossier codes: both formats recognised, as typed or scanned, and nothing else taken for
one; the provider's answers parsed or refused. Fuzzed with hypothesis."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from hypothesis import example, given
from hypothesis import strategies as st

from kiosk.dossier import BadAnswer, DossierStatus, parse_answer
from kiosk.scans import (
    DOSSIER_CODE,
    DOSSIER_CODE_2018,
    MAX_DOSSIER_CODE,
    ScanKind,
    classify,
    normalise_dossier_code,
    parse_dossier_code,
)

UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


def alnum(n: int) -> st.SearchStrategy[str]:
    return st.text(UPPER_ALNUM, min_size=n, max_size=n)


def digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=low, max_size=high)


# Circular 03/2025/TT-VPCP: MX1X2.Y1Y2Y3.Z1Z2-YYMMDD-AAXXXX
codes_2025 = st.builds(lambda m, y, z, d, aa, seq: f"{m}.{y}.{z}-{d:%y%m%d}-{aa}{seq}",
                       alnum(3), alnum(3), alnum(2), days, alnum(2), digits(4, 8))
# Circular 01/2018/TT-VPCP: <agency id 000.00.15.H42>-YYMMDD-XXXX
codes_2018 = st.builds(lambda a, b, c, agency, d, seq: f"{a}.{b}.{c}.{agency}-{d:%y%m%d}-{seq}",
                       digits(3, 3), digits(2, 2), digits(2, 2),
                       st.builds(str.__add__, st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
                                 digits(2, 2)), days, digits(4, 8))
codes = st.one_of(codes_2025, codes_2018)


@given(codes)
@example("000.00.15.H42-250701-0001")
@example("H42.123.45-250701-AB0001")
def test_both_formats_are_recognised_bare_or_in_a_lookup_url(code: str) -> None:
    assert parse_dossier_code(code) == code
    assert classify(code.encode()).dossier_code == code
    for url in (f"https://dichvucong.example.gov.vn/tra-cuu/{code}",
                f"https://dvc.example.vn/tra-cuu/{code}/",
                f"https://dvc.example.vn/tra-cuu?ma={code}&lang=vi"):
        found = classify(url.encode())
        assert found.kind is ScanKind.DOSSIER and found.dossier_code == code, url


@given(codes, st.lists(st.sampled_from(" \t"), max_size=6), st.randoms())
def test_a_typed_code_is_normalised(code: str, spaces: list[str], rnd) -> None:  # type: ignore[no-untyped-def]
    typed = list(code.lower() if rnd.random() < 0.5 else code)
    for space in spaces:
        typed.insert(rnd.randint(0, len(typed)), space)
    assert parse_dossier_code("".join(typed)) == code


@given(st.text(max_size=60))
@example("0123456789abcdef")
@example("H42.123.45-251399-AB0001")  # no 99th day
@example("000.00.15.H42-250229-0001")  # 2025 has no 29 February
def test_parsing_any_text_gives_a_code_of_either_format_or_none(text: str) -> None:
    code = parse_dossier_code(text)
    if code is not None:
        assert code == normalise_dossier_code(text) and len(code) <= MAX_DOSSIER_CODE
        assert DOSSIER_CODE.fullmatch(code) or DOSSIER_CODE_2018.fullmatch(code)
        shaped = (DOSSIER_CODE.fullmatch(code) or DOSSIER_CODE_2018.fullmatch(code))
        yymmdd = shaped["date"]  # type: ignore[index]
        date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))  # a real day


@given(st.text())
def test_normalising_is_idempotent_and_leaves_no_space(text: str) -> None:
    once = normalise_dossier_code(text)
    assert normalise_dossier_code(once) == once
    assert not any(ch.isspace() for ch in once)


@given(st.text("0123456789abcdef", min_size=16, max_size=16))
def test_a_ticket_id_is_never_a_dossier_code(ticket_id: str) -> None:
    assert parse_dossier_code(ticket_id) is None
    assert classify(ticket_id.encode()).kind is ScanKind.TICKET


def test_an_id_card_or_a_dated_web_address_is_not_a_dossier_code() -> None:
    cccd = "001099006789||Nguyễn Văn An|01011999|Nam|Thôn 1, xã Lạc Dương|15082021"
    assert classify(cccd.encode()).kind is ScanKind.ID_CARD
    for text in ("https://shop.example/sale-251130-0001", "promo-251130-0001",
                 "2025-11-30-0001", "000.00.15-251130-0001", "000.00.15.H42-251130-001",
                 "000.00.15.H42 251130 0001 and more", "H42.123.45-251130-AB001"):
        assert classify(text.encode()).kind is ScanKind.UNKNOWN, text


NOW = datetime(2025, 11, 30, 9, 12, tzinfo=timezone(timedelta(hours=7)))
CODE = "H42.123.45-251103-AB0012"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8)


@given(st.binary(max_size=300))
def test_any_bytes_from_the_provider_are_an_answer_or_bad(body: bytes) -> None:
    try:
        parse_answer(body, CODE, NOW)
    except BadAnswer as exc:
        assert "\n" not in str(exc)


@given(st.fixed_dictionaries(
    {"code": st.sampled_from([CODE, "OTHER"]) | json_values,
     "status": st.sampled_from(list(DossierStatus)) | json_values,
     "updated_at": st.sampled_from(["2025-11-04T14:05:00+07:00", "2025-11-04"]) | json_values},
    optional={"procedure": st.text() | json_values}))
def test_any_json_object_is_an_answer_or_bad(record: dict) -> None:
    body = json.dumps(record).encode()
    try:
        answer = parse_answer(body, CODE, NOW)
    except BadAnswer:
        return
    assert answer.code == CODE and answer.status in set(DossierStatus)
    assert answer.procedure is None or (0 < len(answer.procedure) <= 300)


@given(json_values)
@example([{"code": CODE, "status": "ready", "updated_at": "2025-11-04"}])
@example([{"code": CODE, "status": ["ready"], "updated_at": "2025-11-04"}])
def test_any_json_as_the_providers_data_is_dossiers_or_one_line(records: object) -> None:
    from kiosk.dossier_ref import DataFileError, check_dossiers

    try:
        dossiers = check_dossiers(records, "data.json")
    except DataFileError as exc:
        assert str(exc).startswith("data.json: ") and "\n" not in str(exc)
        return
    for code, record in dossiers.items():
        assert parse_dossier_code(code) == code and record["status"] in set(DossierStatus)
