"""Reading the chip: read_chip() against a pure-Python eMRTD card (BAC + secure messaging).

``FakeCccdChip`` is this test's card simulator. Its cryptography is written here, apart
from drivers.idcard.bac, so the two sides check each other; keyed with ICAO Doc 9303
Part 11 Appendix D's values it must produce the appendix's exact APDUs (see
test_drv_idcard_bac.py for where those values come from).
"""

from __future__ import annotations

import logging
import tracemalloc
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.idcard import (
    BacFailed,
    ChipData,
    ChipError,
    Dg13,
    IdCardError,
    SecureMessagingError,
    UnsupportedReader,
    parse_dg1,
    parse_dg13,
    parse_td1,
    read_chip,
)
from drivers.idcard.chip import MAX_FILE_BYTES, PYSCARD_HINT
from drivers.idcard.tlv import parse_tlv
from drivers.sim.emrtd_card import FakeCccdChip, dg1, dg13, icao_digit, tlv

h = bytes.fromhex
TODAY = date(2026, 6, 1)

# ICAO 9303 Part 11 Appendix D (values: see test_drv_idcard_bac.py)
MRZ_INFORMATION = "L898902C<369080619406236"
RND_IC = h("4608F91988702212")
RND_IFD = h("781723860C06C226")
K_IFD = h("0B795240CB7049B01C19B33E32804F0B")
K_IC = h("0B4F80323EB3191CB04970CB4052790B")
CMD_DATA = h("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2"
             "5F1448EEA8AD90A7")
RESP_DATA = h("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F"
              "2F2D235D074D7449")
EF_COM = h("60145F0104303130365F36063034303030305C026175")
PUBLISHED_SM = [
    (h("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"),
     h("990290008E08FA855A5D4C50A8ED9000")),
    (h("0CB000000D9701048E08ED6705417E96BA5500"),
     h("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")),
    (h("0CB000040D9701128E082EA28A70F3C7B53500"),
     h("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000")),
]

# The constructed Vietnamese MRZ of test_drv_idcard_mrz.py (check digits worked there).
VN = ("IDVNM1920045670068192004567<<6",
      "9203158F3203156VNM<<<<<<<<<<<4",
      "NGUYEN<<THI<MAI<<<<<<<<<<<<<<<")
VN_ID = "068192004567"


VN_DG13 = {
    1: VN_ID, 2: "Nguyễn Thị Mai", 3: "15/03/1992", 4: "Nữ", 5: "Việt Nam", 6: "Kinh",
    7: "Không", 8: "Xã Lạc Dương, Tỉnh Lâm Đồng",
    9: "Thôn Đưng K'Si, Xã Lạc Dương, Tỉnh Lâm Đồng, một địa chỉ đủ dài để đọc nhiều lần",
    10: "Nốt ruồi C:1cm trên trước mép phải", 11: "10/08/2021", 12: "15/03/2032",
    13: ["Nguyễn Văn Bình", "Trần Thị Lan"], 16: "250123456", 99: "future field",
}
PERSONAL = [VN_ID, VN_ID[3:], "Nguyễn", "Mai", "15/03/1992", "Đưng", "250123456", "NGUYEN",
            "Bình", "1992"]


def vn_card(**kwargs: object) -> FakeCccdChip:
    files = {0x011E: EF_COM, 0x0101: dg1(VN), 0x010D: dg13(VN_DG13)}
    return FakeCccdChip(parse_td1(VN, today=TODAY).mrz_information, files, **kwargs)  # type: ignore[arg-type]


# -- tests ------------------------------------------------------------------------------------
def test_appendix_d_exchange_is_reproduced_byte_for_byte() -> None:
    l1 = "I<UTOL898902C<3" + "<" * 15
    l2 = "6908061F9406236UTO" + "<" * 11
    l2 += icao_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    lines = (l1, l2, "ERIKSSON<<ANNA<MARIA".ljust(30, "<"))
    mrz = parse_td1(lines, today=TODAY)
    assert mrz.mrz_information == MRZ_INFORMATION
    card = FakeCccdChip(MRZ_INFORMATION, {0x011E: EF_COM, 0x0101: dg1(lines)},
                        rnd_ic=RND_IC, k_ic=K_IC)
    randoms = iter([RND_IFD, K_IFD])
    data = read_chip(card, mrz, today=TODAY, random_bytes=lambda n: next(randoms))

    t = card.transcript
    assert t[0] == (h("00A4040C07A0000002471001"), h("9000"))
    assert t[1] == (h("0084000008"), RND_IC + h("9000"))
    assert t[2] == (h("0082000028") + CMD_DATA + h("28"), RESP_DATA + h("9000"))
    assert t[3:6] == PUBLISHED_SM  # SELECT EF.COM, READ BINARY 4, READ BINARY 18
    assert data["COM"] == EF_COM
    assert data["DG1"].surname == "ERIKSSON" and data["DG1"].document_number == "L898902C"
    assert data["DG13"] is None  # this chip has no DG13 (6A82 under secure messaging)


def test_vietnamese_card_with_dg13() -> None:
    card = vn_card()
    data = read_chip(card, "\n".join(VN), today=TODAY)
    assert isinstance(data, ChipData) and set(data) == {"COM", "DG1", "DG13"}
    assert data["DG1"].id_number == VN_ID
    d = data["DG13"]
    assert isinstance(d, Dg13)
    assert d.fields[2] == ("Nguyễn Thị Mai",) and d.fields[13] == ("Nguyễn Văn Bình",
                                                                     "Trần Thị Lan")
    assert d.named()["field_99"] == ("future field",)
    who = data.identity()
    assert (who.id_number, who.full_name, who.given_name, who.sex) == (
        VN_ID, "Nguyễn Thị Mai", "Mai", "F")
    assert (who.birth_date, who.issue_date, who.expiry_date) == (
        date(1992, 3, 15), date(2021, 8, 10), date(2032, 3, 15))
    assert who.old_id == "250123456" and who.source == "chip" and "Đưng" in who.address
    reads = [c for c, _ in card.transcript if c[1] == 0xB0]
    assert len(reads) >= 7  # DG13 (> 223 bytes) took more than one chunk


def test_mrz_information_string_is_accepted() -> None:
    card = vn_card()
    info = parse_td1(VN, today=TODAY).mrz_information
    assert read_chip(card, info, today=TODAY)["DG1"].id_number == VN_ID


def test_wrong_mrz_fails_bac() -> None:
    info = parse_td1(VN, today=TODAY).mrz_information
    misread = info[:10] + "9303159" + info[17:]  # birth date misread: keys of no card
    with pytest.raises(BacFailed) as e:
        read_chip(vn_card(), misread)
    assert e.value.sw == 0x6300 and e.value.field == "EXTERNAL AUTHENTICATE"


@pytest.mark.parametrize("which", [1, 2, 3, 5])
def test_a_tampered_answer_is_refused(which: int) -> None:
    with pytest.raises(SecureMessagingError, match="MAC"):
        read_chip(vn_card(tamper_response=which), "\n".join(VN), today=TODAY)


def test_card_without_emrtd_application() -> None:
    with pytest.raises(ChipError) as e:
        read_chip(vn_card(has_emrtd=False), "\n".join(VN), today=TODAY)
    assert (e.value.field, e.value.sw) == ("SELECT AID", 0x6A82)


def test_unparseable_dg13_is_left_out(caplog: pytest.LogCaptureFixture) -> None:
    card = vn_card()
    card.files[0x010D] = tlv(0x6D, b"\x30\x05\x02\x01")  # truncated inside
    with caplog.at_level(logging.DEBUG, logger="drivers.idcard"):
        data = read_chip(card, "\n".join(VN), today=TODAY)
    assert data["DG13"] is None
    assert "DG13 not parsed" in caplog.text


def test_oversized_file_is_refused() -> None:
    card = vn_card()
    card.files[0x010D] = b"\x6d\x82" + (MAX_FILE_BYTES).to_bytes(2, "big")
    with pytest.raises(ChipError, match="larger than"):
        read_chip(card, "\n".join(VN), today=TODAY)


def test_no_personal_data_in_repr_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        data = read_chip(vn_card(), "\n".join(VN), today=TODAY)
        logging.getLogger("kiosk.test").info("read %s %r", data, data["DG13"])
    for text in (repr(data), str(data), repr(data["DG13"]), str(data["DG13"].masked()),
                 caplog.text):
        for secret in PERSONAL:
            assert secret not in text, (secret, text)
    data.wipe()
    assert len(data) == 0


def test_pcsc_without_pyscard_says_how_to_install() -> None:
    try:
        import smartcard  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("pyscard is installed here")
    with pytest.raises(UnsupportedReader) as e:
        read_chip("ACS ACR1252", "\n".join(VN))
    assert "pip install pyscard" in str(e.value) and str(e.value) == PYSCARD_HINT


# -- fuzzing -------------------------------------------------------------------------------------
def _only_typed_errors(fn, data: bytes) -> None:  # type: ignore[no-untyped-def]
    try:
        fn(data)
    except IdCardError:
        pass


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=10_240))
def test_fuzz_tlv_dg1_dg13_random_bytes(data: bytes) -> None:
    _only_typed_errors(parse_tlv, data)
    _only_typed_errors(parse_dg13, data)
    _only_typed_errors(parse_dg13, b"\x6d\x82" + len(data).to_bytes(2, "big") + data)
    _only_typed_errors(lambda d: parse_dg1(d, today=TODAY), data)


tlv_tree = st.recursive(
    st.tuples(st.sampled_from([0x02, 0x0C, 0x13, 0x1E, 0x04]), st.binary(max_size=20)).map(
        lambda tv: tlv(*tv)),
    lambda children: st.tuples(st.sampled_from([0x30, 0x31, 0x6D, 0xA0]),
                               st.lists(children, max_size=4)).map(
        lambda tc: tlv(tc[0], b"".join(tc[1]))),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(st.lists(tlv_tree, max_size=5))
def test_fuzz_dg13_shaped_trees(items: list[bytes]) -> None:
    try:
        d = parse_dg13(tlv(0x6D, b"".join(items)))
    except IdCardError:
        return
    repr(d)
    try:
        d.to_identity()
    except IdCardError:
        pass


def test_deep_nesting_is_bounded() -> None:
    blob = b"\x04\x00"
    for _ in range(3000):
        blob = tlv(0x30, blob) if len(blob) < 60_000 else blob
    tracemalloc.start()
    try:
        _only_typed_errors(parse_dg13, tlv(0x6D, blob[:10_000]))
        _only_typed_errors(parse_dg13, tlv(0x6D, blob))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000
