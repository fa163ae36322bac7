"""Translations: gettext catalogues in locales/<lang>/LC_MESSAGES/kiosk.po.

Message ids are English. The chain for any language is: that language, then Vietnamese
(complete by rule), so a missing string never shows a key or English to a K'Ho reader.
Catalogues are compiled to .mo at install or test time; if a .mo is missing or older than
its .po (a translator just edited it) the .po is compiled in memory instead. A language's
catalogue from an installed content bundle (a language pack, kiosk/content.py) comes before
the shipped one.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from kiosk.paths import LOCALES

DOMAIN = "kiosk"
LANG_TAG_PATTERN = r"[a-z]{2,3}"  # ISO 639-1 or 639-3
FALLBACK_LANG = "vi"

# Each language by the name its own speakers write. Sources:
# - kpm: "Kơho" is the language's own spelling (Omniglot, "Koho (Kơho)",
#   omniglot.com/writing/koho.htm; Wikipedia, "Koho language", ISO 639-3 kpm "Kơho").
LANGUAGE_NAMES = {
    "vi": "Tiếng Việt",
    "en": "English",
    "kpm": "Kơho",
    # rad: "klei Êđê" ("Êđê language"), the name in Rade itself (Wikipedia, "Rade language";
    # Ethnologue, "Rade"), capitalised as a button label.
    "rad": "Klei Êđê",
}


def language_name(lang: str) -> str:
    return LANGUAGE_NAMES.get(lang, lang)


# The installed content bundle's locales/ folder (use_content_locales), or None.
_content_locales: Path | None = None


def use_content_locales(folder: Path | None) -> None:
    """Translations from this folder (a content bundle's locales/) come first from now on."""
    global _content_locales
    if folder != _content_locales:
        _content_locales = folder
        translations.cache_clear()
        _own_messages.cache_clear()


def _catalogue(lang: str, locales: Path) -> gettext.NullTranslations | None:
    if locales == LOCALES and _content_locales is not None:
        updated = _read_catalogue(lang, _content_locales)
        if updated is not None:
            return updated
    return _read_catalogue(lang, locales)


def _read_catalogue(lang: str, locales: Path) -> gettext.NullTranslations | None:
    po = locales / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with open(mo, "rb") as fh:
            return gettext.GNUTranslations(fh)
    if po.exists():
        return gettext.GNUTranslations(io.BytesIO(compile_po(po)))
    return None


def compile_po(po: Path) -> bytes:
    """The .mo bytes for one .po file (fuzzy entries left out, as msgfmt does)."""
    # Imported here: Babel costs memory the running kiosk does not need once .mo exist.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(po, "rb") as fh:
        catalog = read_po(fh, locale=None)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def compile_all(locales: Path = LOCALES) -> list[Path]:
    """Write every .mo beside its .po; returns the files written."""
    written = []
    for po in sorted(locales.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        mo.write_bytes(compile_po(po))
        written.append(mo)
    return written


@cache
def translations(lang: str, locales: Path = LOCALES) -> gettext.NullTranslations:
    """The chain lang → vi for one language."""
    chain = gettext.NullTranslations()
    vi = _catalogue(FALLBACK_LANG, locales)
    own = _catalogue(lang, locales) if lang != FALLBACK_LANG else None
    if own is not None:
        chain = own
        if vi is not None:
            chain.add_fallback(vi)
    elif vi is not None:
        chain = vi
    return chain


def translate(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


# Put after a Vietnamese text shown in place of a missing translation, so staff walking
# past see which screens still lack K'Ho or Ê Đê (a thin space and a middle dot: discreet,
# and drawn by the bundled font). Never printed on tickets.
FALLBACK_MARK = "\u2009·"


@cache
def _own_messages(lang: str, locales: Path = LOCALES) -> frozenset[str]:
    own = _catalogue(lang, locales)
    # GNUTranslations keeps its entries in _catalog; gettext has no public way to ask
    # whether the language itself, rather than a fallback, answered.
    catalog = getattr(own, "_catalog", {}) if own is not None else {}
    return frozenset(k for k in catalog if isinstance(k, str) and k)


def falls_back(lang: str, message: str) -> bool:
    """True when `lang` has no translation of `message` and Vietnamese is shown instead."""
    return lang != FALLBACK_LANG and message not in _own_messages(lang)


def translate_marked(lang: str, message: str) -> str:
    """`translate`, with FALLBACK_MARK where Vietnamese stands in for the language."""
    text = translate(lang, message)
    return text + FALLBACK_MARK if falls_back(lang, message) else text


def N_(message: str) -> str:
    """Marks a string for extraction where it is translated later."""
    return message
