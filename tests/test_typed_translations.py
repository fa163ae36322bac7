"""Translations typed on the kiosk by staff (kiosk/typed_translations.py): marked for review
until another staff member checks them, then shown instead of Vietnamese.

The texts typed here are test strings made of the languages' letters, never K'Ho or Ê Đê
sentences: no one may invent those.
"""

from __future__ import annotations

import json
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk import i18n
from kiosk.cli import main
from kiosk.config import Config, load_config
from kiosk.i18n import FALLBACK_MARK, translate, translate_marked
from kiosk.i18n_tools import placeholders
from kiosk.typed_translations import (
    TypedRefused,
    mark_reviewed,
    save_typed,
    typed_entries,
    typed_locales,
    typed_po,
)

MSGID = "Choose a service"
WITH_PLACEHOLDER = "Counter: {numbers}"
TEXT = "test ƀ ơ̆ ư̆ ñ"  # letters of the language, not a translation


@pytest.fixture
def cfg(tmp_path: Path) -> Iterator[Config]:
    cfg = replace(load_config(), data_dir=tmp_path / "data")
    i18n.use_typed_locales(typed_locales(cfg))  # as kiosk/content.py does at start
    yield cfg
    i18n.use_typed_locales(None)


def test_a_typed_translation_waits_for_review(cfg: Config) -> None:
    path = save_typed(cfg, "kpm", MSGID, TEXT, "Ka Hoa")
    assert path == cfg.data_dir / "content/locales/kpm/LC_MESSAGES/kiosk.po"
    entry = typed_entries(cfg, "kpm")[MSGID]
    assert (entry.text, entry.reviewed, entry.typed_by, entry.reviewed_by) == (
        TEXT, False, "Ka Hoa", None)
    with open(path, "rb") as fh:
        msg = read_po(fh).get(MSGID)
    assert msg.fuzzy and msg.user_comments == [
        f"typed on this kiosk by Ka Hoa, {cfg.now().date().isoformat()}"]
    # Not shown yet: the citizen still sees Vietnamese, and staff the mark.
    assert translate_marked("kpm", MSGID) == translate("vi", MSGID) + FALLBACK_MARK
    assert typed_entries(cfg, "rad") == {}


def test_the_typist_cannot_review_it_another_staff_member_can(cfg: Config) -> None:
    save_typed(cfg, "kpm", MSGID, TEXT, "Ka Hoa")
    for same in ("Ka Hoa", " ka  HOA "):
        with pytest.raises(TypedRefused) as refused:
            mark_reviewed(cfg, "kpm", MSGID, same)
        assert "another staff member" in str(refused.value)
        assert refused.value.text("vi").startswith("Ka Hoa đã gõ bản dịch này")
    assert not typed_entries(cfg, "kpm")[MSGID].reviewed

    mark_reviewed(cfg, "kpm", MSGID, "Y Bih")
    entry = typed_entries(cfg, "kpm")[MSGID]
    assert (entry.reviewed, entry.typed_by, entry.reviewed_by) == (True, "Ka Hoa", "Y Bih")
    # Shown from now on, without the fallback mark, in that language only.
    assert translate_marked("kpm", MSGID) == TEXT
    assert translate_marked("rad", MSGID) == translate("vi", MSGID) + FALLBACK_MARK
    assert translate("vi", MSGID) != TEXT


def test_typing_over_a_reviewed_entry_needs_a_review_again(cfg: Config) -> None:
    save_typed(cfg, "kpm", MSGID, TEXT, "Ka Hoa")
    mark_reviewed(cfg, "kpm", MSGID, "Y Bih")
    save_typed(cfg, "kpm", MSGID, TEXT + " ĕ", "Y Bih")
    entry = typed_entries(cfg, "kpm")[MSGID]
    assert (entry.text, entry.reviewed, entry.typed_by) == (TEXT + " ĕ", False, "Y Bih")
    assert translate_marked("kpm", MSGID).endswith(FALLBACK_MARK)
    with pytest.raises(TypedRefused):
        mark_reviewed(cfg, "kpm", MSGID, "Y Bih")
    mark_reviewed(cfg, "kpm", MSGID, "Ka Hoa")
    assert translate("kpm", MSGID) == TEXT + " ĕ"


@pytest.mark.parametrize(("text", "expected"), [
    ("", "empty"),
    ("   ", "empty"),
    ("bell \x07", "U+0007"),
    ("line\nbreak", "U+000A"),  # the message has none
    ("x" * 1001, "longer than 1000"),
])
def test_text_that_cannot_be_shown_is_refused(cfg: Config, text: str, expected: str) -> None:
    with pytest.raises(TypedRefused) as refused:
        save_typed(cfg, "kpm", MSGID, text, "Ka Hoa")
    assert expected in str(refused.value) and "\n" not in str(refused.value)
    assert typed_entries(cfg, "kpm") == {}


@pytest.mark.parametrize("text", ["Quầy", "Quầy {number}", "Quầy {numbers", "{numbers} {x}"])
def test_placeholders_must_be_the_originals(cfg: Config, text: str) -> None:
    with pytest.raises(TypedRefused) as refused:
        save_typed(cfg, "kpm", WITH_PLACEHOLDER, text, "Ka Hoa")
    assert "{numbers}" in str(refused.value)
    assert "{numbers}" in refused.value.text("vi")  # the staff screen says it in Vietnamese


@pytest.mark.parametrize(("lang", "msgid", "expected"), [
    ("vi", MSGID, "reference language"),
    ("xx", MSGID, "not a language of this kiosk"),
    ("K'Ho", MSGID, "not a language tag"),
    ("kpm", "Not a message of the kiosk", "not a message of the kiosk"),
])
def test_only_the_kiosks_languages_and_messages(cfg: Config, lang: str, msgid: str,
                                               expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        save_typed(cfg, lang, msgid, TEXT, "Ka Hoa")


def test_reviewing_what_nobody_typed(cfg: Config) -> None:
    with pytest.raises(ValueError, match="no translation"):
        mark_reviewed(cfg, "kpm", MSGID, "Y Bih")


def test_staff_actions_reach_the_audit(cfg: Config) -> None:
    rows: list[tuple[str, str]] = []
    save_typed(cfg, "kpm", MSGID, TEXT, "Ka Hoa", audit=lambda a, d: rows.append((a, d)))
    mark_reviewed(cfg, "kpm", MSGID, "Y Bih", audit=lambda a, d: rows.append((a, d)))
    assert rows == [("translation_typed", f"kpm {MSGID!r}"),
                    ("translation_reviewed", f"kpm {MSGID!r}")]


def test_a_broken_typed_file_leaves_the_shipped_texts(cfg: Config) -> None:
    path = typed_po(cfg, "kpm")
    path.parent.mkdir(parents=True)
    path.write_bytes(b'msgid "Choose a service"\nmsgstr "x\n\x00\xff garbage')
    assert translate_marked("kpm", MSGID) == translate("vi", MSGID) + FALLBACK_MARK
    assert typed_entries(cfg, "kpm") == {}
    with pytest.raises(ValueError, match="cannot be read"):  # not overwritten with one entry
        save_typed(cfg, "kpm", MSGID, TEXT, "Ka Hoa")


def test_a_content_bundles_translation_comes_first(cfg: Config, tmp_path: Path) -> None:
    """The chain: content bundle's locales, then typed on this kiosk, then shipped."""
    bundle = tmp_path / "bundle-locales"
    (bundle / "kpm" / "LC_MESSAGES").mkdir(parents=True)
    (bundle / "kpm" / "LC_MESSAGES" / "kiosk.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Back"\nmsgstr "from the bundle"\n', encoding="utf-8")
    save_typed(cfg, "kpm", MSGID, TEXT, "Ka Hoa")
    mark_reviewed(cfg, "kpm", MSGID, "Y Bih")
    save_typed(cfg, "kpm", "Back", "typed back", "Ka Hoa")
    mark_reviewed(cfg, "kpm", "Back", "Y Bih")
    i18n.use_content_locales(bundle)
    try:
        assert translate_marked("kpm", "Back") == "from the bundle"
        assert translate_marked("kpm", MSGID) == TEXT  # the bundle has none: the typed one
    finally:
        i18n.use_content_locales(None)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_export_and_report_include_typed_entries(cfg: Config, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(cfg.data_dir)]

    def kpm_row() -> dict:
        rows = json.loads(_run(capsys, "i18n", "report", "--json", *data))
        return next(r for r in rows if r["lang"] == "kpm")

    before = kpm_row()
    save_typed(cfg, "kpm", MSGID, TEXT, "Ka Hoa")
    save_typed(cfg, "kpm", WITH_PLACEHOLDER, "test {numbers} ơ̆", "Ka Hoa")
    mark_reviewed(cfg, "kpm", WITH_PLACEHOLDER, "Y Bih")
    after = kpm_row()
    assert after["strings_translated"] == before["strings_translated"] + 1
    assert after["strings_review"] == before["strings_review"] + 1
    assert after["strings_missing"] == before["strings_missing"] - 2

    out = tmp_path / "kpm-export.po"
    _run(capsys, "i18n", "export", "--lang", "kpm", "--out", str(out), *data)
    with open(out, "rb") as fh:
        exported = read_po(fh)
    typed, reviewed = exported.get(MSGID), exported.get(WITH_PLACEHOLDER)
    assert (typed.string, typed.fuzzy) == (TEXT, True)
    assert (reviewed.string, reviewed.fuzzy) == ("test {numbers} ơ̆", False)
    assert any(c.startswith("typed on this kiosk by Ka Hoa") for c in typed.user_comments)
    assert any(c.startswith("reviewed by Y Bih") for c in reviewed.user_comments)
    assert typed.user_comments[0].startswith("vi: ")  # the Vietnamese beside, as for any


# --- letters and placeholders --------------------------------------------------------------

BREVE = "\u0306"
# K'Ho and Ê Đê letters as an on-screen keyboard or a phone may send them: precomposed, or a
# base letter and combining marks (ơ̆ ư̆ ê̆ ô̆ â̆ c̆ have no precomposed form), with tones.
LETTERS = ["ă", "a" + BREVE, "â", "ĕ", "e" + BREVE, "ê", "ê" + BREVE, "e\u0302" + BREVE,
           "ĭ", "ŏ", "ô", "ô" + BREVE, "ơ", "ơ" + BREVE, "o\u031b" + BREVE, "ŭ", "ư",
           "ư" + BREVE, "u\u031b" + BREVE, "â" + BREVE, "c" + BREVE, "ƀ", "Ƀ", "đ", "Đ",
           "ñ", "n\u0303", "č", "c\u030c", "Ơ" + BREVE, "Ư" + BREVE, "ò", "o\u0300",
           "ờ", "ơ\u0300", "ă\u0301", "ế", "ệ", "a", "k", "h", "'", " "]
TONES = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]


@st.composite
def typed_texts(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.lists(st.tuples(st.sampled_from(LETTERS), st.sampled_from(TONES)),
                                   min_size=1, max_size=6), min_size=1, max_size=5))
    parts = ["".join(a + t for a, t in word) for word in words]
    # The placeholder anywhere among the words, as a translation may reorder them.
    at = draw(st.integers(0, len(parts)))
    parts.insert(at, "{numbers}")
    return " ".join(parts)


@pytest.fixture(scope="module")
def shared_cfg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Config]:
    cfg = replace(load_config(), data_dir=tmp_path_factory.mktemp("typed") / "data")
    i18n.use_typed_locales(typed_locales(cfg))
    yield cfg
    i18n.use_typed_locales(None)


@settings(max_examples=40, deadline=None)
@given(text=typed_texts())
def test_any_text_of_the_letters_is_kept_as_written_and_shown_once_reviewed(
        shared_cfg: Config, text: str) -> None:
    cfg = shared_cfg
    save_typed(cfg, "kpm", WITH_PLACEHOLDER, text, "Ka Hoa")
    saved = typed_entries(cfg, "kpm")[WITH_PLACEHOLDER].text
    assert saved == unicodedata.normalize("NFC", text).strip()
    # Precomposed where Unicode has the letter; a breve stays combining only where it has
    # none (ơ̆ ư̆ ê̆ ô̆ â̆ c̆ …).
    for i, ch in enumerate(saved):
        if ch == BREVE:
            assert unicodedata.normalize("NFC", saved[i - 1] + BREVE) == saved[i - 1] + BREVE
    assert placeholders(saved) == {"numbers"}
    assert translate_marked("kpm", WITH_PLACEHOLDER).endswith(FALLBACK_MARK)
    mark_reviewed(cfg, "kpm", WITH_PLACEHOLDER, "Y Bih")
    shown = translate_marked("kpm", WITH_PLACEHOLDER)
    assert shown == saved and shown.format(numbers="1, 2") == saved.replace("{numbers}", "1, 2")


@settings(max_examples=30, deadline=None)
@given(text=st.text(max_size=40))
def test_any_text_is_saved_or_refused_in_one_sentence(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cfg = replace(load_config(), data_dir=Path(folder))
        try:
            save_typed(cfg, "rad", WITH_PLACEHOLDER, text, "Ka Hoa")
        except TypedRefused as refused:
            assert "\n" not in str(refused)
            assert typed_entries(cfg, "rad") == {}
        else:
            assert placeholders(typed_entries(cfg, "rad")[WITH_PLACEHOLDER].text) == {"numbers"}
