"""On-screen keyboard layouts for typing a translation in a language's own letters (no Kivy).

The staff studio (kiosk/ui/staff_studio.py) draws these keys; this module decides what
each key types. Letters beyond Vietnamese follow docs/architecture.md, Languages: ƀ Ƀ
(no decomposition), č ñ ĕ ĭ ŏ ŭ (precomposed), ê̆ ô̆ ơ̆ ư̆ â̆ c̆ (base letter + U+0306, no
precomposed form). Tone and length marks are keys of their own that add a combining
mark to the letter before them; text is kept in NFC, so a + acute is "á" while ơ + breve
stays two code points, as it must. Only letters are listed here, never words: no K'Ho or
Ê Đê text is made up by the kiosk.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

BREVE = "\u0306"
GRAVE, ACUTE, HOOK, TILDE, DOT_BELOW = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"

LATIN = tuple("abcdefghijklmnopqrstuvwxyz")
# Vietnamese letters beyond a-z, and its five tone marks (level tone has none).
VI_LETTERS = ("ă", "â", "đ", "ê", "ô", "ơ", "ư")
VI_MARKS = (ACUTE, GRAVE, HOOK, TILDE, DOT_BELOW)
# K'Ho (kpm): the letters issue 13 lists (the state orthography used by VOV4 and the
# Catholic Gospels, and the 2018 Bible's); grave and acute are the marks its sources
# write most (ò/ờ, Kấp), the breve marks short vowels (dơ̆); the other Vietnamese tones
# stay for names and loanwords.
KPM_LETTERS = ("ă", "â", "ĕ", "ê", "ĭ", "ŏ", "ô", "ơ", "ơ" + BREVE, "ŭ", "ư", "ư" + BREVE,
               "ƀ", "đ", "ñ")
KPM_MARKS = (GRAVE, ACUTE, BREVE, HOOK, TILDE, DOT_BELOW)
# Ê Đê (rad): K'Ho's short vowels and ƀ đ ñ, plus č and the breved letters without a
# precomposed form (base + U+0306).
RAD_LETTERS = ("ă", "â", "â" + BREVE, "č", "c" + BREVE, "ĕ", "ê", "ê" + BREVE, "ĭ", "ŏ",
               "ô", "ô" + BREVE, "ơ", "ơ" + BREVE, "ŭ", "ư", "ư" + BREVE, "ƀ", "đ", "ñ")
RAD_MARKS = (BREVE, GRAVE, ACUTE, HOOK, TILDE, DOT_BELOW)
PUNCTUATION = tuple(".,?!:;'-()/%\"") + ("…",)
DIGITS = tuple("1234567890")

LETTERS = {"vi": VI_LETTERS, "kpm": KPM_LETTERS, "rad": RAD_LETTERS}
MARKS = {"vi": VI_MARKS, "kpm": KPM_MARKS, "rad": RAD_MARKS}
# How a combining mark is shown on its key: on a dotted circle (U+25CC), the usual way.
DOTTED_CIRCLE = "\u25cc"
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


@dataclass(frozen=True)
class Key:
    """One key: what it shows and what it does. kind: "letter" (types `value`, upper case
    after Shift), "mark" (adds the combining mark `value` to the letter before), "text"
    (types `value` as it is: punctuation, digits, a {placeholder}), "space", "delete",
    "shift"."""

    kind: str
    value: str = ""

    def label(self, shifted: bool = False) -> str:
        if self.kind == "letter":
            return upper(self.value) if shifted else self.value
        if self.kind == "mark":
            return DOTTED_CIRCLE + self.value
        return self.value


@dataclass(frozen=True)
class Layout:
    """A language's keys in groups (drawn as blocks, each wrapping to the width)."""

    lang: str
    letters: tuple[Key, ...]  # the language's own letters first: what it needs most
    latin: tuple[Key, ...]
    marks: tuple[Key, ...]
    punctuation: tuple[Key, ...]  # digits and punctuation
    placeholders: tuple[Key, ...]  # the sentence's {fields}, typed whole

    def groups(self) -> tuple[tuple[str, tuple[Key, ...]], ...]:
        return (("letters", self.letters), ("latin", self.latin), ("marks", self.marks),
                ("placeholders", self.placeholders), ("punctuation", self.punctuation))

    def keys(self) -> tuple[Key, ...]:
        return tuple(key for _name, keys in self.groups() for key in keys)


def layout(lang: str, msgid: str = "") -> Layout:
    """The keys for typing `lang` (Vietnamese's for a language without letters of its own);
    the {placeholders} of `msgid` are keys of their own, so they are typed whole."""
    return Layout(
        lang=lang,
        letters=tuple(Key("letter", c) for c in LETTERS.get(lang, VI_LETTERS)),
        latin=tuple(Key("letter", c) for c in LATIN),
        marks=tuple(Key("mark", m) for m in MARKS.get(lang, VI_MARKS)),
        punctuation=tuple(Key("text", c) for c in (*DIGITS, *PUNCTUATION)),
        placeholders=tuple(Key("text", p) for p in dict.fromkeys(PLACEHOLDER.findall(msgid))),
    )


def upper(letter: str) -> str:
    """The capital of a letter (ƀ → Ƀ, ơ̆ → Ơ̆), in NFC."""
    return unicodedata.normalize("NFC", letter.upper())


def _is_mark(char: str) -> bool:
    return unicodedata.combining(char) != 0


TONES = frozenset(VI_MARKS)
PLACEHOLDER_AT_END = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}$")


def _add_mark(text: str, mark: str) -> str:
    """The mark on the last letter: a tone replaces the tone it had (one tone per
    syllable nucleus, as Vietnamese writes it), a breve or a tone already there is not
    added twice. Nothing where there is no letter to carry it (a lone combining mark
    would sit on a space or a digit)."""
    decomposed = unicodedata.normalize("NFD", text)
    end = len(decomposed)
    while end > 0 and _is_mark(decomposed[end - 1]):
        end -= 1
    if end == 0 or not unicodedata.category(decomposed[end - 1]).startswith("L"):
        return text
    base, marks = decomposed[:end], list(decomposed[end:])
    if mark in marks:
        return text
    if mark in TONES:
        marks = [m for m in marks if m not in TONES]
    return unicodedata.normalize("NFC", base + "".join(marks) + mark)


def press(text: str, key: Key, shifted: bool = False) -> str:
    """`text` after `key` was pressed, in NFC."""
    if key.kind == "letter":
        added = upper(key.value) if shifted else key.value
    elif key.kind == "mark":
        return _add_mark(text, key.value)
    elif key.kind == "text":
        added = key.value
    elif key.kind == "space":
        added = " "
    elif key.kind == "delete":
        return delete(text)
    else:  # shift changes the next letter only, not the text
        return text
    return unicodedata.normalize("NFC", text + added)


def delete(text: str) -> str:
    """`text` without its last letter as shown: the base character and every mark on it
    (ứ, ơ̆ go whole); a {placeholder} at the end goes whole too."""
    found = PLACEHOLDER_AT_END.search(text)
    if found:
        return text[:found.start()]
    decomposed = unicodedata.normalize("NFD", text)
    end = len(decomposed)
    while end > 0 and _is_mark(decomposed[end - 1]):
        end -= 1
    return unicodedata.normalize("NFC", decomposed[:max(end - 1, 0)])
