"""What a language's voice is made of, how numbers are read, and number calls assembled
from real recorded segment files (kiosk/voice.py; docs/architecture.md, Voice)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from kiosk.config import ServiceArea, load_config
from kiosk.i18n import translate
from kiosk.paths import LOCALES
from kiosk.prompts import PROMPTS
from kiosk.voice import (
    HINTS_FILE,
    assemble,
    call_segments,
    find_segment,
    hint_text,
    load_hints,
    number_segments,
    reading,
    ticket_segments,
    vi_number_words,
    voice_items,
)

VI_WORDS = {"muoi_teen", "muoi", "mot_tail", "lam", "tram", "linh", "nghin"}
DIGITS = set("0123456789")

# What a Vietnamese speaker says, written out, for the cases people get wrong.
KNOWN = {
    0: "không", 1: "một", 5: "năm", 10: "mười", 11: "mười một", 15: "mười lăm",
    21: "hai mươi mốt", 24: "hai mươi bốn", 25: "hai mươi lăm", 100: "một trăm",
    101: "một trăm linh một", 105: "một trăm linh năm", 110: "một trăm mười",
    115: "một trăm mười lăm", 1000: "một nghìn", 1005: "một nghìn không trăm linh năm",
    1010: "một nghìn không trăm mười", 1100: "một nghìn một trăm",
    2021: "hai nghìn không trăm hai mươi mốt", 9999: "chín nghìn chín trăm chín mươi chín",
}
SAID = {"muoi_teen": "mười", "muoi": "mươi", "mot_tail": "mốt", "lam": "lăm",
        "tram": "trăm", "linh": "linh", "nghin": "nghìn",
        **dict(zip("0123456789", "không một hai ba bốn năm sáu bảy tám chín".split(),
                   strict=True))}


def said(segments: list[str]) -> str:
    return " ".join(SAID[s] for s in segments)


def heard(segments: list[str]) -> int:
    """The number a listener hears, worked out from the segments alone, checking the
    places each word may come."""
    value = group = pending = 0
    previous = None
    for s in segments:
        if s in DIGITS:
            assert previous not in DIGITS | {"mot_tail", "lam"}, segments
            pending = int(s)
        elif s == "tram":
            assert previous in DIGITS, segments
            group, pending = group + pending * 100, 0
        elif s == "muoi":
            assert previous in DIGITS - {"0", "1"}, segments
            group, pending = group + pending * 10, 0
        elif s == "muoi_teen":
            assert previous in {None, "tram", "nghin"}, segments
            group += 10
        elif s == "linh":
            assert previous == "tram", segments
        elif s == "mot_tail":
            assert previous == "muoi", segments  # "mốt" only after twenty, thirty …
            pending = 1
        elif s == "lam":
            assert previous in {"muoi", "muoi_teen"}, segments  # "lăm" after ten or tens
            pending = 5
        elif s == "nghin":
            value, group, pending = value + (group + pending) * 1000, 0, 0
        else:
            raise AssertionError(f"{s} is no Vietnamese number word")
        previous = s
    return value + group + pending


@pytest.mark.parametrize("number", sorted(KNOWN))
def test_known_vietnamese_numbers(number: int) -> None:
    assert said(vi_number_words(number)) == KNOWN[number]


@given(st.integers(min_value=0, max_value=9999))
def test_every_number_to_9999_reads_in_vietnamese(number: int) -> None:
    segments = vi_number_words(number)
    assert set(segments) <= DIGITS | VI_WORDS
    assert heard(segments) == number
    # "không" only alone, or for the hundreds after nghìn ("một nghìn không trăm …").
    for i, s in enumerate(segments):
        if s == "0":
            assert segments == ["0"] or segments[i - 1:i + 2] == ["nghin", "0", "tram"]
    # After "linh" comes a single digit, and nothing after it.
    if "linh" in segments:
        assert segments.index("linh") == len(segments) - 2


@given(st.integers(min_value=10_000, max_value=999_999))
def test_larger_numbers_read_in_thousands(number: int) -> None:
    assert heard(vi_number_words(number)) == number


@given(letters=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", max_size=2),
       digits=st.text("0123456789", min_size=1, max_size=6))
def test_ticket_numbers_in_each_reading(letters: str, digits: str) -> None:
    text = letters + digits
    # Digits: every printed digit, leading zeros too.
    assert number_segments("en", text) == [*letters.lower(), *digits]
    assert number_segments("kpm", text) == number_segments("rad", text) == number_segments(
        "en", text)
    # Vietnamese: the number, leading zeros dropped.
    vi = number_segments("vi", text)
    assert vi[:len(letters)] == list(letters.lower())
    assert heard(vi[len(letters):]) == int(digits)


def test_readings_and_examples() -> None:
    assert reading("vi") == "words-vi"
    assert {reading(lang) for lang in ("en", "kpm", "rad", "fr")} == {"digits"}
    assert number_segments("vi", "A012") == ["a", "muoi_teen", "2"]
    assert number_segments("en", "A012") == ["a", "0", "1", "2"]
    assert number_segments("vi", "B000") == ["b", "0"]
    assert call_segments("vi", "A105", 12) == ["invite", "a", "1", "tram", "linh", "5",
                                               "to_counter", "muoi_teen", "2"]
    assert call_segments("kpm", "A105", 3) == ["invite", "a", "1", "0", "5", "to_counter",
                                               "3"]
    assert ticket_segments("vi", "C021") == ["your_number", "c", "2", "muoi", "mot_tail"]
    assert ticket_segments("rad", "C021") == ["your_number", "c", "0", "2", "1"]


@given(st.text(max_size=12))
def test_anything_else_is_not_a_number_to_call(text: str) -> None:
    if re.fullmatch(r"[A-Za-z]*[0-9]+", text, flags=re.ASCII):
        assert number_segments("vi", text)
    else:
        with pytest.raises(ValueError, match="not a number to call"):
            number_segments("vi", text)


# --- what is recorded --------------------------------------------------------------------


def centre(*letters: str):  # type: ignore[no-untyped-def]
    return replace(load_config(), services=tuple(
        ServiceArea(letter, {"vi": f"Dịch vụ {letter}"}, (1,)) for letter in letters))


def pot_ids() -> set[str]:
    with open(LOCALES / "kiosk.pot", "rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


@pytest.mark.parametrize("lang", ["vi", "en", "kpm", "rad"])
def test_each_language_records_its_prompts_then_its_segments(lang: str) -> None:
    cfg = centre("A", "C", "K")
    items = voice_items(cfg, lang)
    prompts = [i for i in items if i.kind == "prompt"]
    segments = [i for i in items if i.kind == "segment"]
    assert items == prompts + segments
    assert [i.id for i in prompts] == list(PROMPTS)
    assert [i.msgid for i in prompts] == list(PROMPTS.values())
    names = [i.name for i in segments]
    assert [i.id for i in segments] == [f"segments/{n}" for n in names]
    assert names[:3] == ["invite", "your_number", "to_counter"]
    # Exactly the centre's letters, and every digit.
    assert {n for n in names if n.isalpha() and len(n) == 1} == {"a", "c", "k"}
    assert DIGITS <= set(names)
    assert (set(names) & VI_WORDS) == (VI_WORDS if lang == "vi" else set())
    assert len(names) == len(set(names))
    # Every sentence and every "where it plays" is a translated message (a letter is
    # itself); what the Vietnamese speaker reads is the Vietnamese sentence.
    ids = pot_ids()
    for item in items:
        assert item.where in ids and (item.msgid in ids or item.msgid in {"A", "C", "K"})
    texts = {i.name: translate("vi", i.msgid) for i in segments}
    assert (texts["invite"], texts["your_number"], texts["to_counter"]) == (
        "Mời số", "Số thứ tự của Ông/Bà là", "đến quầy")
    # Every segment any call or ticket of this centre needs is among the items.
    for number in ("A001", "C015", "K1005", "A021", "C105", "K999"):
        assert set(call_segments(lang, number, 12) + ticket_segments(lang, number)) <= set(names)


def test_a_prompt_and_a_segment_have_their_own_files(tmp_path: Path) -> None:
    from kiosk.voice import find_item

    cfg = centre("A")
    items = {i.id: i for i in voice_items(cfg, "kpm")}
    assert items["home"].file == "home.ogg"
    assert items["segments/a"].file == "segments/a.ogg"
    (tmp_path / "kpm" / "segments").mkdir(parents=True)
    (tmp_path / "kpm" / "segments" / "a.wav").write_bytes(b"RIFF")
    (tmp_path / "kpm" / "a.ogg").write_bytes(b"OggS")  # a prompt's place, not the letter's
    assert find_item("kpm", items["segments/a"], [tmp_path]) == tmp_path / "kpm/segments/a.wav"
    assert find_segment("kpm", "a", tmp_path) == tmp_path / "kpm/segments/a.wav"
    assert find_item("kpm", items["home"], [tmp_path]) is None
    assert find_segment("rad", "a", [tmp_path]) is None


# --- hints --------------------------------------------------------------------------------


def test_hints_cite_a_source_and_a_grade_for_every_digit() -> None:
    hints = load_hints()
    assert set(hints) == {"kpm", "rad"}
    for lang in ("kpm", "rad"):
        assert set(hints[lang]) == DIGITS  # digits reading: no hundred or thousand needed
        for name, hint in hints[lang].items():
            assert hint.sources and all(s.strip() for s in hint.sources), (lang, name)
            assert hint.grade in {"A", "B", "C", "D", "—"}, (lang, name)
            assert hint.found == (hint.grade != "—"), (lang, name)
            assert hint.found or "not found" in hint.note.lower()
    assert not hints["kpm"]["0"].found and not hints["rad"]["0"].found
    # K'Ho's two spelling traditions, both given where they differ.
    assert "pram" in hints["kpm"]["5"].word and "prăm" in hints["kpm"]["5"].word
    assert hints["rad"]["8"].word == "sa păn"
    items = {i.name: i for i in voice_items(centre("A"), "kpm")}
    assert items["3"].hint is not None and items["3"].hint.word == "pe"
    assert items["invite"].hint is None
    assert all(i.hint is None for i in voice_items(centre("A"), "vi"))


def test_a_hint_is_shown_to_staff_with_its_source() -> None:
    hints = load_hints()
    text = hint_text(hints["rad"]["1"], "vi")
    assert text.startswith("Tài liệu ghi: sa (mức A; ") and "lexibank/abvd" in text
    assert hint_text(hints["kpm"]["0"], "en") == "Not found in the sources"


def test_hints_are_never_in_a_catalogue() -> None:
    """The words sources write are for the speaker; they never become a translation. (The
    Vietnamese catalogue is left out: Ê Đê "năm" and "sa" are Vietnamese syllables too.)"""
    words = {w for lang in load_hints().values() for h in lang.values()
             for w in re.findall(r"\w+", h.word) if w not in {"Sră", "Goh", "IPA", "only",
                                                                 "koncauhe", "net", "2018"}}
    assert {"dùl", "poan", "prăm", "tlâo", "kjuh", "păn"} <= words
    catalogues = [LOCALES / "kiosk.pot"] + [LOCALES / lang / "LC_MESSAGES" / "kiosk.po"
                                            for lang in ("en", "kpm", "rad")]
    for path in catalogues:
        with open(path, "rb") as fh:
            for m in read_po(fh):
                for text in (m.id, m.string, *m.user_comments):
                    for form in ([text] if isinstance(text, str) else text):
                        found = words & set(re.findall(r"\w+", form.lower()))
                        assert not found, f"{path}: {found} in {form!r}"
    assert "hints.toml" not in "".join(p.read_text() for p in catalogues)
    assert HINTS_FILE.read_text(encoding="utf-8").startswith("# Hints for the speaker")


# --- assembling a call from real recordings ---------------------------------------------


def record(folder: Path, lang: str, names: list[str], fmt: str = "ogg",
           rate: int = 48000) -> dict[str, Path]:
    """Each segment a different speech-like take (its own length), written as a file."""
    from drivers.audio.clip import write_clip
    from drivers.sim.voice import speech_like

    files = {}
    for i, name in enumerate(names):
        path = folder / lang / "segments" / f"{name}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_clip(path, speech_like(seconds=0.3 + 0.05 * i, rate=rate, seed=i, lead=0.05,
                                     tail=0.05), fmt)
        files[name] = path
    return files


def test_a_call_is_its_segments_in_order_with_short_pauses(tmp_path: Path) -> None:
    import numpy as np

    from drivers.audio.clip import read_clip

    names = call_segments("vi", "A015", 3)  # mời số A mười lăm đến quầy ba
    assert names == ["invite", "a", "muoi_teen", "lam", "to_counter", "3"]
    studio, shipped = tmp_path / "studio", tmp_path / "shipped"
    files = {**record(shipped, "vi", names[:3], "wav"), **record(studio, "vi", names[3:])}
    clip = assemble("vi", names, [studio, shipped], pause=0.15)
    assert clip is not None and clip.rate == 48000
    parts = [read_clip(files[n]) for n in names]
    gap = round(0.15 * 48000)
    assert clip.frames == sum(p.frames for p in parts) + gap * (len(names) - 1)
    assert clip.seconds == pytest.approx(sum(p.seconds for p in parts) + 0.15 * 5, abs=1e-6)
    at = 0
    for i, part in enumerate(parts):  # each take where it belongs, silence between
        assert np.array_equal(clip.samples[at:at + part.frames], part.samples), names[i]
        at += part.frames
        if i < len(parts) - 1:
            assert not clip.samples[at:at + gap].any()
            at += gap
    assert at == clip.frames


def test_a_missing_segment_gives_no_call_never_another_language(tmp_path: Path) -> None:
    names = call_segments("kpm", "A12", 3)
    record(tmp_path, "kpm", names[:-1])  # all but the counter's digit
    record(tmp_path, "vi", ["3"])  # which Vietnamese has
    assert assemble("kpm", names, [tmp_path]) is None
    assert assemble("kpm", names[:-1], [tmp_path]) is not None


def test_an_unreadable_segment_gives_no_call(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    names = ticket_segments("en", "B7")
    files = record(tmp_path, "en", names)
    files["7"].write_bytes(b"OggS but not really")
    assert assemble("en", names, tmp_path) is None
    assert "7.ogg" in caplog.text


def test_segments_at_other_rates_join_at_the_first_ones(tmp_path: Path) -> None:
    record(tmp_path, "rad", ["your_number"], rate=48000)
    record(tmp_path / "other", "rad", ["c", "1"], rate=16000)
    clip = assemble("rad", ["your_number", "c", "1"], [tmp_path, tmp_path / "other"],
                    pause=0.1)
    assert clip is not None and clip.rate == 48000


def test_the_centre_keeps_an_assembled_call_until_a_segment_changes(tmp_path: Path) -> None:
    import io

    import soundfile

    from drivers.audio.clip import read_clip, write_clip
    from drivers.sim.voice import speech_like
    from kiosk.centre.call_audio import CallAudio

    calls = CallAudio(lambda: [tmp_path])
    names = call_segments("en", "A7", 2)
    files = record(tmp_path, "en", names)
    wav = calls.wav("en", "A7", 2)
    assert wav is not None and calls.assembled == 1
    data, rate = soundfile.read(io.BytesIO(wav))
    expected = sum(read_clip(files[n]).frames for n in names) + round(0.15 * rate) * 4
    assert (rate, len(data)) == (48000, expected)
    assert calls.wav("en", "A7", 2) == wav and calls.assembled == 1  # kept
    write_clip(files["7"], speech_like(seconds=0.9, seed=9, lead=0.05, tail=0.05))
    again = calls.wav("en", "A7", 2)  # re-recorded: heard at the next call
    assert again is not None and len(again) > len(wav) and calls.assembled == 2
    files["to_counter"].unlink()
    assert calls.wav("en", "A7", 2) is None
    assert calls.wav("kpm", "A7", 2) is None
    assert calls.wav("en", "A-7", 2) is None and calls.wav("en", "A" * 20, 2) is None
