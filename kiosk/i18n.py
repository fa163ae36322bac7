"""Translations: gettext catalogues in locales/<lang>/LC_MESSAGES/kiosk.po.

Message ids are English. The chain for any language is: that language, then Vietnamese
(complete by rule), so a missing string never shows a key or English to a K'Ho reader.
Catalogues are compiled to .mo at install or test time; if a .mo is missing or older than
its .po (a translator just edited it) the .po is compiled in memory instead. A language's
catalogue from an installed content bundle (a language pack, kiosk/content.py) comes before
the shipped one. Translations typed by staff on this kiosk (kiosk/typed_translations.py,
<data_dir>/content/locales) come after the content bundle's and before the shipped ones;
only reviewed ones are in their .mo (fuzzy entries are left out), so one still to review
leaves Vietnamese and its mark on screen.
"""

from __future__ import annotations

import gettext
import io
import logging
from functools import cache
from pathlib import Path

from kiosk.paths import LOCALES

log = logging.getLogger(__name__)

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
# The translations typed on this kiosk (use_typed_locales), or None.
_typed_locales: Path | None = None


def forget_catalogues() -> None:
    """Read every catalogue again when next needed (one was just written)."""
    translations.cache_clear()
    _own_messages.cache_clear()


def use_content_locales(folder: Path | None) -> None:
    """Translations from this folder (a content bundle's locales/) come first from now on."""
    global _content_locales
    if folder != _content_locales:
        _content_locales = folder
        forget_catalogues()


def use_typed_locales(folder: Path | None) -> None:
    """Translations typed on this kiosk (kiosk/typed_translations.py) come after the content
    bundle's and before the shipped ones from now on."""
    global _typed_locales
    if folder != _typed_locales:
        _typed_locales = folder
        forget_catalogues()


def _catalogue(lang: str, locales: Path) -> gettext.NullTranslations | None:
    """The language's own catalogues as one chain: the content bundle's, which replaces the
    shipped one when it has the language, with the typed one between them."""
    layers = []
    updated = None
    if locales == LOCALES and _content_locales is not None:
        updated = _read_catalogue(lang, _content_locales)
    if updated is not None:
        layers.append(updated)
    if locales == LOCALES and _typed_locales is not None:
        try:
            typed = _read_catalogue(lang, _typed_locales)
        except Exception:  # babel's and gettext's errors vary; the screens must not fail
            # Written by the kiosk, atomically; if it is broken even so (a disk error),
            # staff see the shipped text and the log says why.
            log.exception("typed translations for %s cannot be read; left out", lang)
            typed = None
        if typed is not None:
            layers.append(typed)
    if updated is None:
        shipped = _read_catalogue(lang, locales)
        if shipped is not None:
            layers.append(shipped)
    if not layers:
        return None
    for upper, lower in zip(layers, layers[1:], strict=False):
        upper.add_fallback(lower)
    return layers[0]


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
    layer = _catalogue(lang, locales)
    # GNUTranslations keeps its entries in _catalog; gettext has no public way to ask
    # whether the language itself, rather than a fallback, answered. Every layer of the
    # language's own chain (content bundle, typed, shipped) counts.
    own: set[str] = set()
    while layer is not None:
        own |= {k for k in getattr(layer, "_catalog", {}) if isinstance(k, str) and k}
        layer = getattr(layer, "_fallback", None)
    return frozenset(own)


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
