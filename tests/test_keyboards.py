"""The on-screen keyboard's layouts (kiosk/keyboards.py): every letter a language needs is
there, drawn by the bundled font, and typing always gives NFC text a reader sees as typed."""

from __future__ import annotations

import unicodedata

from fontTools.ttLib import TTFont
from hypothesis import given
from hypothesis import strategies as st

from kiosk.keyboards import (
    ACUTE,
    BREVE,
    GRAVE,
    HOOK,
    Key,
    delete,
    layout,
    press,
    upper,
)
from kiosk.paths import ASSETS

FONT = ASSETS / "fonts" / "NotoSans-Regular.ttf"


def type_keys(lang: str, presses: list[tuple[str, str]], msgid: str = "") -> str:
    keys = {(k.kind, k.value): k for k in layout(lang, msgid).keys()}
    text = ""
    for kind, value in presses:
        text = press(text, keys.get((kind, value), Key(kind, value)))
    return text


def letters(lang: str) -> set[str]:
    return {k.value for k in layout(lang).letters}


def test_each_language_has_the_letters_its_writing_needs() -> None:
    assert {"ă", "â", "đ", "ê", "ô", "ơ", "ư"} <= letters("vi")
    kpm = {"ă", "â", "ĕ", "ê", "ĭ", "ŏ", "ô", "ơ", "ơ̆", "ŭ", "ư", "ư̆", "ƀ", "đ", "ñ"}
    assert kpm <= letters("kpm") and "č" not in letters("kpm")  # K'Ho writes c/ch
    assert kpm - {"ơ̆"} | {"č", "ê̆", "ô̆", "ơ̆", "ư̆", "â̆", "c̆"} <= letters("rad")
    # Base + U+0306 where Unicode has no precomposed letter; NFC where it has one.
    for lang in ("kpm", "rad"):
        for letter in letters(lang):
            assert unicodedata.normalize("NFC", letter) == letter, letter
    assert "ê\u0306" in letters("rad") and "ơ\u0306" in letters("kpm")
    assert {k.value for k in layout("kpm").marks} >= {GRAVE, ACUTE, BREVE}
    assert len(layout("xyz").letters) == len(layout("vi").letters)  # Vietnamese's


def test_the_bundled_font_draws_every_key() -> None:
    cmap = TTFont(FONT).getBestCmap()
    for lang in ("vi", "kpm", "rad"):
        for key in layout(lang, "People ahead: {count}").keys():
            for shifted in (False, True):
                missing = {c for c in key.label(shifted) if ord(c) not in cmap}
                assert not missing, (lang, key, missing)


def test_typing_with_marks_and_capitals() -> None:
    assert type_keys("vi", [("letter", "u"), ("mark", ACUTE)]) == "ú"
    assert type_keys("vi", [("letter", "ư"), ("mark", ACUTE)]) == "ứ"
    # A tone replaces the tone before it; a breve stays beside a tone.
    assert type_keys("vi", [("letter", "a"), ("mark", ACUTE), ("mark", HOOK)]) == "ả"
    kpm = type_keys("kpm", [("letter", "ơ" + BREVE), ("mark", GRAVE)])
    assert unicodedata.normalize("NFD", kpm) == "o\u031b\u0306\u0300"
    assert type_keys("kpm", [("mark", GRAVE), ("space", ""), ("mark", ACUTE)]) == " "
    assert upper("ƀ") == "Ƀ" and upper("ơ" + BREVE) == "Ơ" + BREVE and upper("č") == "Č"
    # Delete takes the last letter as seen, with its marks; a placeholder whole.
    assert delete("dơ̆") == "d" and delete("ứ") == "" and delete("a {count}") == "a "
    msgid = "People ahead: {count}"
    assert [k.value for k in layout("kpm", msgid).placeholders] == ["{count}"]


KEYS = st.sampled_from([*layout("rad", "{a}").keys(), *layout("kpm").keys(),
                        Key("space"), Key("delete"), Key("shift")])


@given(st.lists(st.tuples(KEYS, st.booleans()), max_size=40))
def test_any_key_sequence_gives_nfc_text_that_deletes_back_to_nothing(
        presses: list[tuple[Key, bool]]) -> None:
    text = ""
    for key, shifted in presses:
        text = press(text, key, shifted)
        assert unicodedata.normalize("NFC", text) == text
        # No combining mark without a letter under it.
        decomposed = unicodedata.normalize("NFD", text)
        for i, char in enumerate(decomposed):
            if unicodedata.combining(char):
                j = i
                while j > 0 and unicodedata.combining(decomposed[j - 1]):
                    j -= 1
                assert j > 0 and unicodedata.category(decomposed[j - 1]).startswith("L")
    for _ in range(len(text) + 1):
        shorter = delete(text)
        assert len(shorter) < len(text) or not text
        text = shorter
    assert text == ""
