"""What a language's voice is made of, and number calls assembled from recorded segments.

Staff record two kinds of item per language (docs/architecture.md, Voice): the prompts
(one sentence per screen, kiosk/prompts.py) and the *segments* a number call is put
together from: "Mời số", "Số thứ tự của Ông/Bà là", "đến quầy", the letters of the centre's
services, the digits 0-9 and the words of the language's number reading. A call is
assembled from the language's own segments with short pauses; a language missing any one
of them gets no call at all (the caller plays the chime only): never a borrowed voice or
a synthetic one mid-sentence.

Files: `<audio dir>/<lang>/<prompt id>.ogg` and `<audio dir>/<lang>/segments/<name>.ogg`
(.wav is read too), the audio dirs in kiosk.content.audio_dirs order. No Kivy; the audio
libraries are imported only when a call is assembled.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.i18n import N_, translate
from kiosk.paths import ASSETS
from kiosk.prompts import AUDIO_SUFFIXES, PROMPTS, find_recording

if TYPE_CHECKING:
    from drivers.audio.clip import Clip
    from kiosk.config import Config

log = logging.getLogger(__name__)

AudioDirs = Path | Sequence[Path]  # one folder, or several searched in order
HINTS_FILE = ASSETS / "voice" / "hints.toml"
SEGMENTS = "segments"  # the sub-folder of <audio dir>/<lang>/ that holds segments
DEFAULT_PAUSE = 0.15  # seconds of silence between segments: short, as a person pauses

# Readings: how a language says a number (docs/architecture.md, Voice).
DIGITS = "digits"  # every printed digit in turn: A012 = A, 0, 1, 2
WORDS_VI = "words-vi"  # Vietnamese number words: A012 = A, mười hai

# The sentences of the segments (English msgids; locales/vi holds what a Vietnamese
# speaker says). Letters have no msgid of their own: the item's text is the letter.
_SEGMENT_SENTENCES: dict[str, str] = {
    "invite": N_("Calling number"),
    "your_number": N_("Your number is"),
    "to_counter": N_("to counter"),
}
_DIGIT_SENTENCES = (
    N_("Zero"), N_("One"), N_("Two"), N_("Three"), N_("Four"),
    N_("Five"), N_("Six"), N_("Seven"), N_("Eight"), N_("Nine"),
)
# words-vi: the number words besides the digits, in the order a speaker meets them.
_VI_WORDS: dict[str, str] = {
    "muoi_teen": N_("Ten (as in ten, eleven, fifteen)"),  # mười
    "muoi": N_("-ty (tens, as in twenty, thirty)"),  # mươi
    "mot_tail": N_("One, after tens (as in twenty-one)"),  # mốt
    "lam": N_("Five, after ten or tens (as in fifteen, twenty-five)"),  # lăm
    "tram": N_("Hundred"),  # trăm
    "linh": N_("And, for no tens (as in one hundred and five)"),  # linh
    "nghin": N_("Thousand"),  # nghìn
}
_READING_WORDS: dict[str, tuple[str, ...]] = {DIGITS: (), WORDS_VI: tuple(_VI_WORDS)}

# Where each item plays, for the speaker recording it.
_WHERE_CALL = N_("Number call: lobby display")
_WHERE_TICKET = N_("Number call: ticket screen")
_WHERE_BOTH = N_("Number call: lobby display and ticket screen")
_PROMPT_WHERE: dict[str, str] = {
    "attract": N_("Screen: Touch to start"),
    "language": N_("Screen: Choose your language"),
    "identify": N_("Screen: ID card"),
    "home": N_("Screen: What would you like to do?"),
    "services": N_("Screen: Choose a service"),
    "ticket": N_("Screen: Your number, printed"),
    "ticket_not_printed": N_("Screen: Your number, not printed"),
    "ticket_status": N_("Screen: A scanned ticket"),
    "rating": N_("Screen: Rating"),
    "rating_reasons": N_("Screen: What went wrong"),
    "unavailable": N_("Screen: Not available"),
    "idle": N_("Any screen, before a visit ends for lack of touches"),
    "categories": N_("Screen: Kinds of procedure"),
    "procedures": N_("Screen: Procedures"),
    "procedure": N_("Screen: One procedure"),
    "search": N_("Screen: Search"),
    "dossier_code": N_("Screen: Dossier code"),
    "dossier_status": N_("Screen: Dossier status"),
}
_SEGMENT_WHERE = {"invite": _WHERE_CALL, "your_number": _WHERE_TICKET,
                  "to_counter": _WHERE_CALL}

_HINT_FOUND = N_("Sources write: {word} (grade {grade}; {sources})")
_HINT_NOT_FOUND = N_("Not found in the sources")

_NUMBER = re.compile(r"([A-Za-z]*)([0-9]+)")
_WORDS_LIMIT = 999_999  # words-vi reads up to here ("chín trăm … nghìn"); beyond, digits


@dataclass(frozen=True)
class Hint:
    """What public sources write for a segment, to prompt a native speaker in staff mode
    ("sources write: …"); never text shown to a citizen, never a .po entry
    (assets/voice/hints.toml says why)."""

    word: str  # "" when not found in the sources
    sources: tuple[str, ...]  # URLs or repository paths, as the lexicon cites them
    grade: str  # the lexicon's confidence: A, B, C, D, or "not found"
    note: str = ""

    @property
    def found(self) -> bool:
        return bool(self.word)


@dataclass(frozen=True)
class VoiceItem:
    id: str  # prompt id ("attract", "ticket", …) or "segments/<name>"
    kind: str  # "prompt" | "segment"
    msgid: str  # the English msgid of the sentence (gettext); a letter segment: the letter
    where: str  # msgid saying where it plays
    hint: Hint | None  # for kpm/rad segments: the word sources write, its source, its grade

    @property
    def name(self) -> str:
        """The prompt id, or the segment's name (its file's stem)."""
        return self.id.removeprefix(f"{SEGMENTS}/")

    @property
    def file(self) -> str:
        """Its file name under an audio dir, as recorded by the studio (.ogg)."""
        return f"{self.id}.ogg"


def reading(lang: str) -> str:
    """How `lang` reads a number: Vietnamese words for vi, each digit for any other
    language (a speaker reads digits in any language; no number grammar is made up)."""
    return WORDS_VI if lang == "vi" else DIGITS


def segment_names(cfg: Config, lang: str) -> list[str]:
    """The segments `lang` needs for this centre, in recording order."""
    letters = [area.letter.lower() for area in cfg.services]
    return [*_SEGMENT_SENTENCES, *letters, *"0123456789", *_READING_WORDS[reading(lang)]]


def voice_items(cfg: Config, lang: str) -> list[VoiceItem]:
    """Everything to record for `lang`: every prompt, then every segment it needs."""
    items = [VoiceItem(prompt_id, "prompt", msgid, _PROMPT_WHERE[prompt_id], None)
             for prompt_id, msgid in PROMPTS.items()]
    hints = load_hints().get(lang, {})
    for name in segment_names(cfg, lang):
        items.append(VoiceItem(f"{SEGMENTS}/{name}", "segment", _segment_msgid(name),
                               _SEGMENT_WHERE.get(name, _WHERE_BOTH), hints.get(name)))
    return items


def _segment_msgid(name: str) -> str:
    if name in _SEGMENT_SENTENCES:
        return _SEGMENT_SENTENCES[name]
    if name.isdigit():
        return _DIGIT_SENTENCES[int(name)]
    if name in _VI_WORDS:
        return _VI_WORDS[name]
    return name.upper()  # a service letter: the speaker says it as their language names it


# --- numbers ---------------------------------------------------------------------------


def number_segments(lang: str, text: str) -> list[str]:
    """The segments that say a ticket or counter number ("A012", "3") in `lang`.

    digits: every printed digit, leading zeros too ("A012" -> a 0 1 2). words-vi: the
    Vietnamese number, leading zeros dropped ("A012" -> a mười hai; "A105" -> a một trăm
    linh năm). ValueError for text that is not letters then digits."""
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a number to call (letters, then digits)")
    letters, digits = match.groups()
    out = [letter.lower() for letter in letters]
    value = int(digits)
    if reading(lang) == WORDS_VI and value <= _WORDS_LIMIT:
        return out + vi_number_words(value)
    return out + list(digits)


def vi_number_words(value: int) -> list[str]:
    """Segments of a Vietnamese number 0-999999: 21 -> hai mươi mốt, 105 -> một trăm linh
    năm, 1005 -> một nghìn không trăm linh năm."""
    if not 0 <= value <= _WORDS_LIMIT:
        raise ValueError(f"{value} is outside 0-{_WORDS_LIMIT}")
    if value == 0:
        return ["0"]
    thousands, rest = divmod(value, 1000)
    if not thousands:
        return _vi_below_thousand(rest, hundreds_always=False)
    out = [*_vi_below_thousand(thousands, hundreds_always=False), "nghin"]
    if rest:  # after nghìn the hundreds are said even when zero: "không trăm linh năm"
        out += _vi_below_thousand(rest, hundreds_always=True)
    return out


def _vi_below_thousand(value: int, hundreds_always: bool) -> list[str]:
    hundreds, tens, units = value // 100, value // 10 % 10, value % 10
    out: list[str] = []
    if hundreds or hundreds_always:
        out += [str(hundreds), "tram"]
    if tens == 0:
        if units:
            out += (["linh"] if out else []) + [str(units)]
    elif tens == 1:  # mười; then "lăm" for 5, "một" (not mốt) for 1
        out += ["muoi_teen"] + (["lam" if units == 5 else str(units)] if units else [])
    else:  # hai mươi; then "mốt" for 1, "lăm" for 5
        out += [str(tens), "muoi"]
        if units:
            out.append({1: "mot_tail", 5: "lam"}.get(units, str(units)))
    return out


def call_segments(lang: str, number: str, counter: int) -> list[str]:
    """The lobby display's call: "Mời số" A 12 "đến quầy" 3."""
    return ["invite", *number_segments(lang, number), "to_counter",
            *number_segments(lang, str(counter))]


def ticket_segments(lang: str, number: str) -> list[str]:
    """The ticket screen's: "Số thứ tự của Ông/Bà là" A 12."""
    return ["your_number", *number_segments(lang, number)]


# --- files -----------------------------------------------------------------------------


def _folders(audio_dirs: AudioDirs) -> Sequence[Path]:
    return [audio_dirs] if isinstance(audio_dirs, Path) else audio_dirs


def find_segment(lang: str, name: str, audio_dirs: AudioDirs) -> Path | None:
    """<dir>/<lang>/segments/<name>.ogg or .wav, the first dir that has it."""
    for folder in _folders(audio_dirs):
        for suffix in AUDIO_SUFFIXES:
            path = folder / lang / SEGMENTS / f"{name}{suffix}"
            # As kiosk/prompts.py: an unreadable folder is "not recorded", not an error.
            if os.path.isfile(path):
                return path
    return None


def find_item(lang: str, item: VoiceItem, audio_dirs: AudioDirs) -> Path | None:
    """The file that plays for a prompt or segment now, or None."""
    if item.kind == "segment":
        return find_segment(lang, item.name, audio_dirs)
    return find_recording(lang, item.id, audio_dirs)


def segment_files(lang: str, names: Sequence[str], audio_dirs: AudioDirs) -> list[Path] | None:
    """The files of `names` in order, or None when any is missing."""
    files = []
    for name in names:
        path = find_segment(lang, name, audio_dirs)
        if path is None:
            return None
        files.append(path)
    return files


def assemble(lang: str, names: list[str], audio_dirs: AudioDirs,
             pause: float = DEFAULT_PAUSE) -> Clip | None:
    """The segments joined with `pause` seconds between them, or None when any segment is
    missing (or unreadable: logged): the caller plays the chime only, never another
    language's voice mid-sentence."""
    files = segment_files(lang, names, audio_dirs)
    return None if files is None else join_files(lang, files, pause)


def join_files(lang: str, files: Sequence[Path], pause: float = DEFAULT_PAUSE) -> Clip | None:
    """The files' clips joined with `pause` seconds between them (at the first one's rate);
    None when there is none or one cannot be read (logged: staff re-record it)."""
    if not files:
        return None
    from drivers.audio.clip import AudioFileError, concat, read_clip

    try:
        clips = [read_clip(path) for path in files]
    except AudioFileError as exc:
        log.warning("voice %s: a segment cannot be read, the call is not spoken: %s",
                    lang, exc)
        return None
    return concat(clips, pause=pause)


# --- hints -----------------------------------------------------------------------------


@cache
def load_hints(path: Path = HINTS_FILE) -> dict[str, dict[str, Hint]]:
    """assets/voice/hints.toml: per language, per segment name, what sources write."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    hints: dict[str, dict[str, Hint]] = {}
    for lang, entries in data.items():
        hints[lang] = {
            str(name): Hint(word=entry.get("word", ""), sources=tuple(entry["sources"]),
                            grade=entry["grade"], note=entry.get("note", ""))
            for name, entry in entries.items()
        }
    return hints


def hint_text(hint: Hint, ui_lang: str) -> str:
    """The hint in staff mode's language: "Sources write: pram / prăm (grade A; …)". The
    file's notes (English research notes) stay in the file."""
    if not hint.found:
        return translate(ui_lang, _HINT_NOT_FOUND)
    return translate(ui_lang, _HINT_FOUND).format(word=hint.word, grade=hint.grade,
                                                  sources="; ".join(hint.sources))
