"""TCVN-3 printer text: encode, send, decode back."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.printer import TicketJob, Unsupported, decode_job, tcvn3

VIETNAMESE = ("ĂÂĐÊÔƠƯăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
              "ÀẢÃÁẠẰẲẴẮẶẦẨẪẤẬÈẺẼÉẸỀỂỄẾỆÌỈĨÍỊÒỎÕÓỌỒỔỖỐỘỜỞỠỚỢÙỦŨÚỤỪỬỮỨỰỲỶỸÝỴ")


def test_every_vietnamese_letter_has_a_byte() -> None:
    assert all(tcvn3.can_encode(ch) for ch in VIETNAMESE)
    assert len(set(VIETNAMESE)) == 134


def test_known_bytes() -> None:
    # TCVN 5712 VN3: ă â ê ô ơ ư đ are 0xA8-0xAE on the lowercase page.
    assert "ăâêôơưđ".encode("tcvn3-1") == bytes(range(0xA8, 0xAF))
    assert tcvn3.encode("Đ") == b"\x1bt\x1f\xa7\x1bt\x00"


def test_kho_letters_are_not_tcvn3() -> None:
    for text in ("ƀ", "Ƀ", "ơ̆", "ê̆", "č", "ñ"):
        assert not tcvn3.can_encode(text)
        with pytest.raises(ValueError):
            tcvn3.encode_runs(text)


def test_decomposed_input_is_normalised() -> None:
    nfd = unicodedata.normalize("NFD", "Việt")
    assert tcvn3.can_encode(nfd)
    assert tcvn3.encode(nfd) == tcvn3.encode("Việt")


ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:"


@given(st.text(alphabet=VIETNAMESE + ASCII, min_size=1, max_size=40)
       .filter(lambda t: t.strip() == t and t != ""))
def test_round_trip_through_the_decoder(text: str) -> None:
    job = TicketJob().init().vietnamese_text(text + "\n")
    assert decode_job(job.to_bytes()).texts == [text]


def test_profile_without_tcvn3_refuses() -> None:
    job = TicketJob(profile="TM-T88III", width_dots=512)
    assert not job.has_tcvn3
    with pytest.raises(Unsupported):
        job.vietnamese_text("Việt")
