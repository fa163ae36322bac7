"""Translations typed on the kiosk by its staff (issue 13; docs/architecture.md, Languages).

A K'Ho or Ê Đê speaking staff member types a translation of an interface string on the
studio's keyboard. It goes to <data_dir>/content/locales/<lang>/LC_MESSAGES/kiosk.po as a
fuzzy entry ("marked for review", so the kiosk keeps showing Vietnamese with its mark)
with a comment saying who typed it and when; another staff member reviews it, which
removes the fuzzy flag, and from then on the kiosk shows it (kiosk/i18n.py reads this
folder after the content bundle's locales and before the shipped ones). `kiosk i18n
export` carries these entries to translators and to the centre's other kiosks.

The .po and its .mo are written whole or not at all (kiosk/durable.py write_atomic), one
writer at a time (a lock file), so a power cut or the terminal studio running beside the
touch screen never leaves half a catalogue. Babel is imported only when a catalogue is
read or written: kiosk/content.py, on the way to the first frame, needs only the folder.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.config import Config
from kiosk.config_checks import FALLBACK_LANG, LANG_TAG
from kiosk.i18n import N_

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

log = logging.getLogger(__name__)

DOMAIN = "kiosk"
TYPED_BY = "typed on this kiosk by "
REVIEWED_BY = "reviewed by "
_TYPED = re.compile(re.escape(TYPED_BY) + r"(?P<who>.+), (?P<date>\d{4}-\d{2}-\d{2})")
_REVIEWED = re.compile(re.escape(REVIEWED_BY) + r"(?P<who>.+), (?P<date>\d{4}-\d{2}-\d{2})")
TEXT_MAX = 1000  # characters: the longest shipped string is a few hundred

# (action, detail) -> anything: how a staff action reaches the audit log, e.g.
# kiosk.staff_mode.StaffSession.act (who is signed in is the session's business).
Audit = Callable[[str, str], object]


@dataclass(frozen=True)
class TypedEntry:
    text: str
    reviewed: bool
    typed_by: str
    reviewed_by: str | None
    typed_on: str = ""  # YYYY-MM-DD, the centre's date
    reviewed_on: str | None = None


def typed_locales(cfg: Config) -> Path:
    """The folder of translations typed on this kiosk: <data_dir>/content/locales."""
    return cfg.data_dir / "content" / "locales"


def typed_po(cfg: Config, lang: str) -> Path:
    return typed_locales(cfg) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


# --- text ---------------------------------------------------------------------------------

def normalise_text(text: str) -> str:
    """The text as stored: NFC, so that "ă" typed as a + U+0306 and the precomposed ă are
    one spelling, and spaces trimmed at both ends. NFC composes only what Unicode has a
    precomposed letter for: ơ̆ ư̆ ê̆ ô̆ â̆ c̆ stay a base letter + U+0306, which is how
    these letters are written (docs/architecture.md, Languages)."""
    return unicodedata.normalize("NFC", text).strip()


class TypedRefused(ValueError):
    """A translation not saved, or a review refused, for a reason staff can act on: `msgid`
    (a gettext message, formatted with `values`) says it in the staff screens' language;
    str() is the English sentence."""

    def __init__(self, msgid: str, **values: str) -> None:
        super().__init__(msgid.format(**values))
        self.msgid, self.values = msgid, values

    def text(self, lang: str) -> str:
        from kiosk.i18n import translate

        return translate(lang, self.msgid).format(**self.values)


def _text_problem(msgid: str, text: str) -> TypedRefused | None:
    if not text:
        return TypedRefused(N_("The translation is empty."))
    if len(text) > TEXT_MAX:
        return TypedRefused(N_("The translation is longer than {limit} characters."),
                            limit=str(TEXT_MAX))
    for ch in text:
        # A line break only where the message has one; no other control character.
        if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and not (
                ch == "\n" and "\n" in msgid):
            return TypedRefused(N_("The translation holds a character that cannot be shown "
                                   "(U+{code})."), code=f"{ord(ch):04X}")
    from kiosk.i18n_tools import message_problems, placeholders

    if message_problems(msgid, text):
        # The original's {names} must all be there, and no other: the screen fills them in.
        wanted = sorted(placeholders(msgid))
        return TypedRefused(N_("Keep the words in braces exactly as in the original: "
                               "{expected}."),
                            expected=", ".join("{" + w + "}" for w in wanted) or "none")
    return None


# --- reading and writing ------------------------------------------------------------------

def _check_lang(cfg: Config, lang: str) -> None:
    if not isinstance(lang, str) or not LANG_TAG.fullmatch(lang):
        raise ValueError(f"{lang!r} is not a language tag like kpm or rad")
    if lang == FALLBACK_LANG:
        raise ValueError("Vietnamese is the reference language: its texts are the shipped ones")
    if lang not in cfg.known_languages:
        raise ValueError(f"{lang} is not a language of this kiosk "
                         f"({', '.join(cfg.known_languages)})")


@cache
def _template_ids() -> dict[str, Any]:
    """The kiosk's messages (locales/kiosk.pot): msgid -> its template Message (read once:
    the template changes only with the kiosk's version)."""
    from kiosk.i18n_tools import _key, _template
    from kiosk.paths import LOCALES

    return {_key(m): m for m in _template(LOCALES) if m.id}


def _read(path: Path) -> Catalog:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    if not path.exists():
        return Catalog(locale=None, project="lobby-kiosk", fuzzy=False)
    with open(path, "rb") as fh:
        return read_po(fh, locale=None, abort_invalid=True)


def _read_to_change(path: Path) -> Catalog:
    """The catalogue about to be changed; ValueError when it cannot be read, so that a file
    broken by a disk error is not replaced by one holding only the new entry."""
    from babel.messages.pofile import PoFileError

    try:
        return _read(path)
    except (OSError, ValueError, PoFileError) as exc:
        raise ValueError(f"{path} cannot be read ({exc}); nothing saved") from None


def _write(path: Path, catalog: Catalog, lang: str) -> None:
    """The .po, then its .mo (newer than the .po, so kiosk/i18n.py reads the .mo), each
    written atomically."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import write_po

    from kiosk.durable import write_atomic
    from kiosk.i18n_tools import PO_WIDTH

    catalog.language_team = lang  # babel knows no kpm or rad locale; the header says which
    po = io.BytesIO()
    write_po(po, catalog, width=PO_WIDTH)
    mo = io.BytesIO()
    write_mo(mo, catalog, use_fuzzy=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, po.getvalue())
    write_atomic(path.with_suffix(".mo"), mo.getvalue())


@contextlib.contextmanager
def _locked(cfg: Config) -> Iterator[None]:
    """One writer at a time across processes (the touch screen and `kiosk voice`)."""
    import fcntl

    # Beside the database, not among the translations: a content bundle made from the
    # content folder carries only what the kiosk reads.
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    with open(cfg.data_dir / ".typed-translations.lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _date(cfg: Config) -> str:
    return cfg.now().date().isoformat()


def _same_person(a: str, b: str) -> bool:
    def norm(name: str) -> str:
        return " ".join(unicodedata.normalize("NFC", name).casefold().split())

    return norm(a) == norm(b)


def _staff_name(staff: str) -> str:
    name = " ".join(str(staff).split())
    if not name:
        raise ValueError("a staff member's name is needed")
    return name


def _forget() -> None:
    from kiosk import i18n

    i18n.forget_catalogues()


def save_typed(cfg: Config, lang: str, msgid: str, text: str, staff: str,
               audit: Audit | None = None) -> Path:
    """Stores `text` as the translation of `msgid` in `lang`, marked for review; the .po
    written. ValueError with one sentence for a language, message or text it cannot take
    (placeholders are checked: i18n_tools.message_problems). Typing over an entry, even a
    reviewed one, marks it for review again."""
    from babel.messages.catalog import Message

    _check_lang(cfg, lang)
    name = _staff_name(staff)
    template = _template_ids().get(msgid)
    if template is None:
        raise ValueError(f"{msgid!r} is not a message of the kiosk")
    text = normalise_text(text)
    problem = _text_problem(msgid, text)
    if problem is not None:
        raise problem
    path = typed_po(cfg, lang)
    with _locked(cfg):
        catalog = _read_to_change(path)
        if msgid in catalog:  # babel merges a message set over another: replace it whole
            del catalog[msgid]
        catalog[msgid] = Message(
            msgid, text, flags={"fuzzy"}, auto_comments=list(template.auto_comments),
            user_comments=[f"{TYPED_BY}{name}, {_date(cfg)}"],
        )
        _write(path, catalog, lang)
    _forget()
    if audit is not None:
        audit("translation_typed", f"{lang} {_detail_id(msgid)}")
    return path


def mark_reviewed(cfg: Config, lang: str, msgid: str, staff: str,
                  audit: Audit | None = None) -> None:
    """Another staff member checked the typed translation: it is no longer fuzzy, and the
    kiosk shows it. ValueError when there is none, or `staff` typed it."""
    _check_lang(cfg, lang)
    name = _staff_name(staff)
    path = typed_po(cfg, lang)
    with _locked(cfg):
        catalog = _read_to_change(path)
        msg = catalog.get(msgid)
        if msg is None or not msg.string:
            raise ValueError(f"no translation of {msgid!r} was typed on this kiosk in {lang}")
        entry = _entry(msg)
        if entry.reviewed:
            return
        if _same_person(entry.typed_by, name):
            raise TypedRefused(N_("{name} typed this translation: another staff member "
                                  "reviews it."), name=entry.typed_by)
        msg.flags.discard("fuzzy")
        msg.user_comments = [c for c in msg.user_comments if not _REVIEWED.fullmatch(c)]
        msg.user_comments.append(f"{REVIEWED_BY}{name}, {_date(cfg)}")
        _write(path, catalog, lang)
    _forget()
    if audit is not None:
        audit("translation_reviewed", f"{lang} {_detail_id(msgid)}")


def _detail_id(msgid: str) -> str:
    """A short, recognisable form of the message for the audit log."""
    short = " ".join(msgid.split())
    return repr(short if len(short) <= 60 else short[:57] + "...")


def _entry(msg: Any) -> TypedEntry:
    typed_by, typed_on, reviewed_by, reviewed_on = "?", "", None, None
    for comment in msg.user_comments:
        if m := _TYPED.fullmatch(comment):
            typed_by, typed_on = m["who"], m["date"]
        elif m := _REVIEWED.fullmatch(comment):
            reviewed_by, reviewed_on = m["who"], m["date"]
    reviewed = not msg.fuzzy
    return TypedEntry(text=msg.string, reviewed=reviewed, typed_by=typed_by,
                      reviewed_by=reviewed_by if reviewed else None, typed_on=typed_on,
                      reviewed_on=reviewed_on if reviewed else None)


def typed_entries(cfg: Config, lang: str) -> dict[str, TypedEntry]:
    """Every translation typed on this kiosk for `lang`, by msgid ({} when none). A file
    that cannot be read is logged and counts as none."""
    path = typed_po(cfg, lang)
    if not path.exists():
        return {}
    try:
        catalog = _read(path)
    except Exception:  # babel's errors vary; the studio's list must still show
        log.exception("typed translations %s cannot be read", path)
        return {}
    return {msg.id: _entry(msg) for msg in catalog
            if msg.id and isinstance(msg.id, str) and isinstance(msg.string, str)
            and msg.string}


def typed_languages(cfg: Config) -> list[str]:
    """The languages with translations typed on this kiosk."""
    folder = typed_locales(cfg)
    if not folder.is_dir():
        return []
    return sorted(p.parent.parent.name for p in folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
