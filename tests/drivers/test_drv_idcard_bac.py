"""BAC and secure messaging against ICAO Doc 9303 Part 11, Appendix D (worked example).

Every hex value below is published in ICAO Doc 9303 "Machine Readable Travel Documents",
Part 11 "Security Mechanisms for MRTDs" (7th ed. 2015 / 8th ed. 2021), Appendix D "Worked
example: Basic Access Control (informative)": D.2 key derivation from the MRZ, D.3 mutual
authentication and session keys, D.4 secure messaging (SELECT EF.COM, READ BINARY twice).
They were taken from public test suites that reproduce that appendix value by value
(zienit/icao-examples BACTest.java and SMTest.java, AndyQ/NFCPassportReader
SecureMessagingTests.swift, ZeroPass dmrtd's ISO 9797 tests), which agree with each other.
"""

from __future__ import annotations

import hashlib
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.idcard import BacFailed, ChipError, IdCardError, SecureMessaging, SecureMessagingError
from drivers.idcard.bac import (
    adjust_parity,
    bac_keys,
    key_seed,
    mutual_auth_data,
    pad,
    parse_command,
    perform_bac,
    retail_mac,
    session_from_response,
    session_keys,
    tdes_decrypt,
    tdes_encrypt,
    unpad,
)

h = bytes.fromhex

# D.2
MRZ_INFORMATION = "L898902C<369080619406236"
K_SEED = h("239AB9CB282DAF66231DC5A4DF6BFBAE")
K_ENC = h("AB94FDECF2674FDFB9B391F85D7F76F2")
K_MAC = h("7962D9ECE03D1ACD4C76089DCE131543")
# D.3
RND_IC = h("4608F91988702212")
RND_IFD = h("781723860C06C226")
K_IFD = h("0B795240CB7049B01C19B33E32804F0B")
S = h("781723860C06C2264608F919887022120B795240CB7049B01C19B33E32804F0B")
E_IFD = h("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
M_IFD = h("5F1448EEA8AD90A7")
CMD_DATA = E_IFD + M_IFD
K_IC = h("0B4F80323EB3191CB04970CB4052790B")
R = h("4608F91988702212781723860C06C2260B4F80323EB3191CB04970CB4052790B")
E_IC = h("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F")
M_IC = h("2F2D235D074D7449")
RESP_DATA = E_IC + M_IC
SESSION_SEED = h("0036D272F5C350ACAC50C3F572D23600")
KS_ENC = h("979EC13B1CBFE9DCD01AB0FED307EAE5")
KS_MAC = h("F1CB1F1FB5ADF208806B89DC579DC1F8")
SSC = h("887022120C06C226")
# D.4.1 SELECT EF.COM
SELECT_COM = h("00A4020C02011E")
SELECT_COM_ENCRYPTED = h("6375432908C044F6")
SELECT_COM_M = h("0CA4020C800000008709016375432908C044F6")
SELECT_COM_N = h("887022120C06C2270CA4020C800000008709016375432908C044F68000000000")
SELECT_COM_CC = h("BF8B92D635FF24F8")
SELECT_COM_PROTECTED = h("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")
SELECT_COM_RAPDU = h("990290008E08FA855A5D4C50A8ED9000")
SELECT_COM_K = h("887022120C06C22899029000")
SELECT_COM_RESP_CC = h("FA855A5D4C50A8ED")
# D.4.2 READ BINARY of the first 4 bytes
READ4 = h("00B0000004")
READ4_N = h("887022120C06C2290CB0000080000000970104")
READ4_CC = h("ED6705417E96BA55")
READ4_PROTECTED = h("0CB000000D9701048E08ED6705417E96BA5500")
READ4_RAPDU = h("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")
READ4_K = h("887022120C06C22A8709019FF0EC34F992265199029000")
READ4_RESP_CC = h("AD55CC17140B2DED")
READ4_DATA = h("60145F01")
# D.4.3 READ BINARY of the remaining 18 bytes
READ18 = h("00B0000412")
READ18_PROTECTED = h("0CB000040D9701128E082EA28A70F3C7B53500")
READ18_RAPDU = h("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A99029000"
                 "8E08C8B2787EAEA07D749000")
READ18_DATA = h("04303130365F36063034303030305C026175")


def test_d2_keys_from_the_mrz() -> None:
    assert key_seed(MRZ_INFORMATION) == K_SEED
    assert hashlib.sha1(MRZ_INFORMATION.encode()).digest()[:16] == K_SEED
    assert bac_keys(MRZ_INFORMATION) == (K_ENC, K_MAC)


def test_parity_adjustment_gives_odd_parity_and_keeps_the_high_bits() -> None:
    for key in (K_ENC, K_MAC, KS_ENC, KS_MAC, adjust_parity(bytes(range(256)))):
        assert all(bin(b).count("1") % 2 == 1 for b in key)
    assert all(a >> 1 == b >> 1 for a, b in zip(adjust_parity(bytes(range(256))), range(256),
                                                  strict=True))


def test_d3_mutual_authentication() -> None:
    assert tdes_encrypt(K_ENC, S) == E_IFD
    assert retail_mac(K_MAC, E_IFD) == M_IFD
    assert mutual_auth_data(K_ENC, K_MAC, RND_IC, RND_IFD, K_IFD) == CMD_DATA
    # the chip's side of the example, checked with the same primitives
    assert tdes_decrypt(K_ENC, E_IFD) == S
    assert tdes_encrypt(K_ENC, R) == E_IC
    assert retail_mac(K_MAC, E_IC) == M_IC


def test_d3_session_keys_and_ssc() -> None:
    assert bytes(a ^ b for a, b in zip(K_IFD, K_IC, strict=True)) == SESSION_SEED
    assert session_keys(K_IFD, K_IC) == (KS_ENC, KS_MAC)
    sm = session_from_response(K_ENC, K_MAC, RND_IC, RND_IFD, K_IFD, RESP_DATA)
    assert (sm.ks_enc, sm.ks_mac, sm.ssc) == (KS_ENC, KS_MAC, SSC)


def test_d4_intermediate_values() -> None:
    assert tdes_encrypt(KS_ENC, pad(h("011E"))) == SELECT_COM_ENCRYPTED
    assert retail_mac(KS_MAC, SELECT_COM_N[:-5]) == SELECT_COM_CC  # MAC pads N itself
    assert pad(SELECT_COM_N[:-5]) == SELECT_COM_N
    assert SELECT_COM_M == pad(h("0CA4020C")) + h("870901") + SELECT_COM_ENCRYPTED
    assert retail_mac(KS_MAC, SELECT_COM_K) == SELECT_COM_RESP_CC
    assert retail_mac(KS_MAC, READ4_N) == READ4_CC
    assert retail_mac(KS_MAC, READ4_K) == READ4_RESP_CC


def test_d4_secure_messaging_exchange() -> None:
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    assert sm.protect(SELECT_COM) == SELECT_COM_PROTECTED
    assert sm.ssc == h("887022120C06C227")
    assert sm.unprotect(SELECT_COM_RAPDU) == (b"", 0x9000)
    assert sm.ssc == h("887022120C06C228")
    assert sm.protect(READ4) == READ4_PROTECTED
    assert sm.unprotect(READ4_RAPDU) == (READ4_DATA, 0x9000)
    assert sm.protect(READ18) == READ18_PROTECTED
    assert sm.unprotect(READ18_RAPDU) == (READ18_DATA, 0x9000)
    assert sm.ssc == h("887022120C06C22C")
    # EF.COM as read: tag 60, length 0x14
    assert READ4_DATA + READ18_DATA == h("60145F0104303130365F36063034303030305C026175")


class AppendixDCard:
    """Just enough chip to replay Appendix D's GET CHALLENGE and EXTERNAL AUTHENTICATE."""

    def __init__(self, answer: bytes = RESP_DATA + b"\x90\x00") -> None:
        self.answer = answer
        self.commands: list[bytes] = []

    def __call__(self, apdu: bytes) -> bytes:
        self.commands.append(apdu)
        if apdu == h("0084000008"):
            return RND_IC + b"\x90\x00"
        return self.answer


def test_perform_bac_sends_the_published_command() -> None:
    card = AppendixDCard()
    randoms = iter([RND_IFD, K_IFD])
    sm = perform_bac(card, MRZ_INFORMATION, random_bytes=lambda n: next(randoms))
    assert card.commands == [h("0084000008"), h("0082000028") + CMD_DATA + h("28")]
    assert (sm.ks_enc, sm.ks_mac, sm.ssc) == (KS_ENC, KS_MAC, SSC)


@pytest.mark.parametrize(("answer", "reason"), [
    (h("6300"), "refused"),
    (h("6982"), "refused"),
    (RESP_DATA[:-1] + bytes([RESP_DATA[-1] ^ 1]) + h("9000"), "MAC"),
    (RESP_DATA[:39] + h("9000"), "40 bytes"),
    (b"\x90", "shorter"),
])
def test_bac_failures_are_typed(answer: bytes, reason: str) -> None:
    randoms = iter([RND_IFD, K_IFD])
    with pytest.raises(ChipError, match=reason) as e:
        perform_bac(AppendixDCard(answer), MRZ_INFORMATION, random_bytes=lambda n: next(randoms))
    assert e.value.field == "EXTERNAL AUTHENTICATE"
    assert isinstance(e.value, BacFailed) or reason == "shorter"


def test_an_answer_to_other_challenges_is_refused() -> None:
    # A chip that answers with the right keys but someone else's RND.IFD (a replay).
    other = tdes_encrypt(K_ENC, RND_IC + bytes(8) + K_IC)
    randoms = iter([RND_IFD, K_IFD])
    with pytest.raises(BacFailed, match="challenges"):
        perform_bac(AppendixDCard(other + retail_mac(K_MAC, other) + h("9000")),
                    MRZ_INFORMATION, random_bytes=lambda n: next(randoms))


@pytest.mark.parametrize("flip", range(14))
def test_tampered_responses_are_refused_and_end_the_session(flip: int) -> None:
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    sm.protect(SELECT_COM)
    bad = bytearray(SELECT_COM_RAPDU)
    bad[flip] ^= 0x01
    with pytest.raises((SecureMessagingError, ChipError)):
        sm.unprotect(bytes(bad))
    assert sm.closed
    with pytest.raises(SecureMessagingError, match="ended"):
        sm.protect(READ4)


def test_a_plain_error_answer_keeps_its_status_word() -> None:
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    sm.protect(SELECT_COM)
    with pytest.raises(ChipError) as e:
        sm.unprotect(h("6A82"))
    assert e.value.sw == 0x6A82


def test_replayed_response_fails_because_the_ssc_moved_on() -> None:
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    sm.protect(SELECT_COM)
    sm.unprotect(SELECT_COM_RAPDU)
    sm.protect(SELECT_COM)
    with pytest.raises(SecureMessagingError, match="MAC"):
        sm.unprotect(SELECT_COM_RAPDU)


def test_wipe_zeroes_the_session_keys() -> None:
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    sm.wipe()
    assert sm.ks_enc == bytes(16) and sm.ks_mac == bytes(16) and sm.closed
    assert "979E" not in repr(sm)


def test_command_apdu_cases() -> None:
    assert parse_command(h("00A4020C")) == (h("00A4020C"), b"", None)
    assert parse_command(h("00B0000000")) == (h("00B00000"), b"", 256)
    assert parse_command(SELECT_COM) == (h("00A4020C"), h("011E"), None)
    assert parse_command(h("00A4020C02011E00")) == (h("00A4020C"), h("011E"), 256)
    for bad in (b"", h("00A402"), h("00A4020C0000"), h("00A4020C03011E")):
        with pytest.raises(ValueError):
            parse_command(bad)
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    big = sm.protect(h("00D60000E0") + bytes(0xE0))  # DO'87' with a 2-byte length
    assert big[5:8] == h("8781E9")
    with pytest.raises(ValueError):
        sm.protect(h("00D60000F0") + bytes(0xF0))  # would not fit a short APDU


@given(st.binary(max_size=300))
def test_padding_round_trips(data: bytes) -> None:
    padded = pad(data)
    assert len(padded) % 8 == 0 and 0 < len(padded) - len(data) <= 8
    assert unpad(padded) == data


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=10_240))
def test_fuzz_unprotect_random_answers(data: bytes) -> None:
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    sm.protect(SELECT_COM)
    try:
        sm.unprotect(data)
    except IdCardError:
        assert sm.closed
    else:
        raise AssertionError("a random answer verified")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([0x85, 0x87, 0x99, 0x8E, 0x01]), max_size=5),
       st.lists(st.binary(max_size=40), min_size=5, max_size=5))
def test_fuzz_unprotect_shaped_answers(tags: list[int], values: list[bytes]) -> None:
    body = b"".join(bytes([t, len(v)]) + v for t, v in zip(tags, values, strict=False))
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    sm.protect(SELECT_COM)
    with pytest.raises(IdCardError):
        sm.unprotect(body + h("9000"))


@settings(max_examples=30, deadline=None)
@given(st.binary(min_size=1, max_size=10_240))
def test_memory_is_bounded_for_10_kb(data: bytes) -> None:
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    sm.protect(SELECT_COM)
    tracemalloc.start()
    try:
        with pytest.raises(IdCardError):
            sm.unprotect(h("8782") + len(data).to_bytes(2, "big") + data + h("9000"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200_000
