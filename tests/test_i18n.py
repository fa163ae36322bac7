"""Catalogues: complete where they must be, honest where they may not be, and every
string drawable with the bundled font."""

from __future__ import annotations

import re
import string
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont

from kiosk.config import load_config
from kiosk.i18n import FALLBACK_MARK, LANGUAGE_NAMES, falls_back, translate, translate_marked
from kiosk.paths import FONT_BOLD, FONT_REGULAR, LOCALES, ROOT

LANGS = ["vi", "en", "kpm", "rad"]


def catalogue(lang: str):  # type: ignore[no-untyped-def]
    with open(LOCALES / lang / "LC_MESSAGES" / "kiosk.po", "rb") as fh:
        return read_po(fh)


def message_ids() -> set[str]:
    with open(LOCALES / "kiosk.pot", "rb") as fh:
        ids = {m.id for m in read_po(fh) if m.id}
    assert ids, "locales/kiosk.pot holds no message"  # or every loop over them checks nothing
    return ids


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_template_matches_the_source(tmp_path: Path) -> None:
    """Every tr()/N_()/_() string in the code and .kv files is in locales/kiosk.pot."""
    out = tmp_path / "fresh.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "tr", "-k", "tr_plain", "-k", "N_", "--no-location", "-o", str(out), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with open(out, "rb") as fh:
        fresh = {m.id for m in read_po(fh) if m.id}
    assert fresh == message_ids(), "run the pybabel extract line in babel.cfg and update .po"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_vietnamese_and_english_are_complete(lang: str) -> None:
    cat = catalogue(lang)
    translated = {m.id for m in cat if m.id and m.string and not m.fuzzy}
    assert translated == message_ids()


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_survive_translation(lang: str) -> None:
    # What the screen shows for every message (the fallback too, where the language has
    # nothing), then what the file holds (entries still marked for review too).
    for msgid in message_ids():
        assert placeholders(translate(lang, msgid)) == placeholders(msgid), msgid
    for m in catalogue(lang):
        if m.id and m.string:
            assert placeholders(m.string) == placeholders(m.id), m.id


@pytest.mark.parametrize("lang", ["kpm", "rad"])
def test_minority_languages_hold_only_sourced_text(lang: str) -> None:
    """A K'Ho or Ê Đê string must say where it comes from (a translator comment) and stay
    marked for review; so every message, with a string or without, shows in Vietnamese
    with the staff mark until a reviewer clears it."""
    own = {m.id: m for m in catalogue(lang) if m.id and m.string}
    for msgid in message_ids():
        if msgid in own:
            m = own[msgid]
            comments = " ".join(m.user_comments + m.auto_comments).lower()
            assert "source" in comments, f"{lang} {m.id!r} has no cited source"
            assert m.fuzzy, f"{lang} {m.id!r} must stay marked for review"
        assert translate_marked(lang, msgid) == translate("vi", msgid) + FALLBACK_MARK, msgid


@pytest.mark.parametrize("lang", LANGS)
def test_untranslated_strings_fall_back_to_vietnamese_never_english(lang: str) -> None:
    compiled = {m.id: m.string for m in catalogue(lang) if m.id and m.string and not m.fuzzy}
    fell_back = 0
    for msgid in message_ids():
        if falls_back(lang, msgid):
            fell_back += 1
            assert msgid not in compiled
            assert translate(lang, msgid) == translate("vi", msgid), msgid
        else:
            assert translate(lang, msgid) == compiled[msgid], msgid
    if lang in ("vi", "en"):
        assert fell_back == 0  # complete by rule


def all_visible_texts() -> list[str]:
    texts: list[str] = []
    for lang in LANGS:
        texts += [m.string for m in catalogue(lang) if m.id and m.string]
    texts += list(message_ids())
    cfg = load_config()
    texts += list(cfg.centre_names.values())
    for area in cfg.services:
        texts += list(area.names.values())
    texts += list(LANGUAGE_NAMES.values())
    texts.append(FALLBACK_MARK.strip())
    # The letters K'Ho and Ê Đê add to Vietnamese, for text that content updates bring.
    texts.append("ƀ Ƀ č Č ñ Ñ ĕ Ĕ ĭ Ĭ ŏ Ŏ ŭ Ŭ ê̆ ô̆ ơ̆ ư̆ â̆ c̆ Ê̆ Ô̆ Ơ̆ Ư̆ Â̆ C̆")
    return texts


@pytest.mark.parametrize("font", [FONT_REGULAR, FONT_BOLD], ids=lambda p: p.name)
def test_every_string_is_covered_by_the_bundled_font(font: Path) -> None:
    cmap = TTFont(font).getBestCmap()
    missing = set()
    for text in all_visible_texts():
        for form in (text, unicodedata.normalize("NFD", text)):
            missing |= {ch for ch in form if ord(ch) not in cmap and not ch.isspace()}
    assert not missing, f"{font.name} lacks {sorted(missing)}"


def test_no_catalogue_message_is_a_bare_key() -> None:
    for lang in LANGS:
        for msgid in message_ids():
            assert not re.fullmatch(r"[a-z_.]+", translate(lang, msgid))


def test_fallback_is_marked_for_staff_only_where_it_happens() -> None:
    assert translate_marked("kpm", "Home") == translate("vi", "Home") + FALLBACK_MARK
    assert translate_marked("vi", "Home") == translate("vi", "Home")
    assert translate_marked("en", "Home") == "Home"
    assert all(not falls_back("en", m) for m in message_ids())
    assert all(falls_back("kpm", m) for m in message_ids())  # nothing sourced in K'Ho yet
