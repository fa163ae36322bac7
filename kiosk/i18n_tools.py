"""Staff tools for translators: placeholder checks, .po import and export, and a
per-language progress report. Pure functions over files (no Kivy, no CLI):
`kiosk i18n report|export|import` calls them. Legacy-font conversion, which import applies
on request, is kiosk/legacy_font.py (convert_legacy is importable from here too).
"""

from __future__ import annotations

import io
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import PoFileError, read_po, write_po

from kiosk.i18n import FALLBACK_LANG
from kiosk.legacy_font import convert_legacy

DOMAIN = "kiosk"
PO_WIDTH = 100  # the width the catalogues in locales/ are written with (byte-exact round trip)
VI_PREFIX = "vi: "


# --- placeholders -----------------------------------------------------------------------

class PlaceholderError(ValueError):
    """Braces that str.format cannot parse ("{count", "count}")."""


def placeholders(text: str) -> set[str]:
    """The str.format field names in text; PlaceholderError if the braces are malformed."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise PlaceholderError(str(exc)) from exc


def _forms(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _key(msg: Message) -> str:
    return _forms(msg.id)[0]


def message_problems(msgid: str | Sequence[str], msgstr: str | Sequence[str]) -> list[str]:
    """What is wrong with one translation's placeholders ([] when nothing is)."""
    try:
        wanted = [placeholders(form) for form in _forms(msgid)]
    except PlaceholderError as exc:
        return [f"the message id itself has malformed braces ({exc})"]
    problems = []
    for form in _forms(msgstr):
        if not form:
            continue
        try:
            got = placeholders(form)
        except PlaceholderError as exc:
            problems.append(f"malformed braces in {form!r} ({exc})")
            continue
        if got not in wanted:  # plural forms may use either the singular's or plural's set
            expected = " or ".join(sorted("{" + "}, {".join(sorted(w)) + "}" if w else "none"
                                          for w in wanted))
            found = "{" + "}, {".join(sorted(got)) + "}" if got else "none"
            problems.append(f"placeholders {found} in {form!r}, expected {expected}")
    return problems


def _read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with open(path, "rb") as fh:
        return read_po(fh, locale=locale, abort_invalid=True)


# --- import -----------------------------------------------------------------------------

class ImportRejected(Exception):
    """The translator's file was refused whole; lines holds one line per problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class ImportResult:
    added: int
    changed: int
    unchanged: int
    path: Path


def _po_path(locales: Path, lang: str) -> Path:
    return locales / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _template(locales: Path, lang: str | None = None) -> Catalog:
    return _read_catalog(locales / f"{DOMAIN}.pot", locale=lang)


def _write(catalog: Catalog, path: Path) -> None:
    buf = io.BytesIO()
    write_po(buf, catalog, width=PO_WIDTH)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())


def _source_comments(msg: Message) -> list[str]:
    # The "vi: ..." line is ours (export_po), not the translator's: it is not kept.
    return [c for c in msg.user_comments if not c.startswith(VI_PREFIX)]


def import_po(source: Path, lang: str, locales: Path, *, legacy: bool,
              reviewed: bool = False) -> ImportResult:
    """Merge a translator's .po into locales/<lang>; ImportRejected changes nothing."""
    try:
        incoming = _read_catalog(source)
    except (OSError, PoFileError, UnicodeDecodeError, ValueError) as exc:
        raise ImportRejected([f"{source}: not a valid .po file ({exc})"]) from exc
    entries = [m for m in incoming if m.id]
    if not entries:
        raise ImportRejected([f"{source}: not a valid .po file (no messages)"])

    known = {_key(m) for m in _template(locales) if m.id}
    problems: list[str] = []
    translations: list[tuple[Message, str | tuple[str, ...]]] = []
    for msg in entries:
        key = _key(msg)
        if key not in known:
            problems.append(f"{key!r}: not a message of the kiosk ({DOMAIN}.pot)")
            continue
        forms = _forms(msg.string)
        if legacy:
            forms = [convert_legacy(f) for f in forms]
        problems += [f"{key!r}: {p}" for p in message_problems(msg.id, forms)]
        if any(forms):  # an empty msgstr is "not translated": it never erases a translation
            translations.append((msg, forms[0] if isinstance(msg.string, str) else tuple(forms)))
    if problems:
        raise ImportRejected(problems)

    target_path = _po_path(locales, lang)
    target = _read_catalog(target_path) if target_path.exists() else _template(locales, lang)
    added = changed = unchanged = 0
    for msg, text in translations:
        existing = target.get(msg.id)
        if existing is None:  # in the .pot but not yet in this catalogue
            template = _template(locales).get(msg.id)
            existing = target[msg.id] = Message(
                msg.id, "", flags=template.flags if template else (),
                auto_comments=template.auto_comments if template else (),
            )
        before = (existing.string, existing.fuzzy)
        existing.string = text
        if reviewed:
            existing.flags.discard("fuzzy")
        else:
            existing.flags.add("fuzzy")  # "needs review" until a native speaker checks it
        comments = _source_comments(msg)
        if comments:  # the translator's citation of their source replaces the old one
            existing.user_comments = comments
        if not _forms(before[0])[0]:
            added += 1
        elif before != (existing.string, existing.fuzzy):
            changed += 1
        else:
            unchanged += 1
    _write(target, target_path)
    return ImportResult(added, changed, unchanged, target_path)


# --- export -----------------------------------------------------------------------------

def export_po(lang: str, locales: Path, out: Path, typed_locales: Path | None = None) -> int:
    """A .po for translators: every message, its current translation, Vietnamese alongside.
    A translation typed on the kiosk (`typed_locales`, kiosk/typed_translations.py) is the
    newest and goes out instead of the shipped one, fuzzy while not reviewed, with its
    "typed by … / reviewed by …" comments."""
    template = _template(locales, lang)
    own_path = _po_path(locales, lang)
    own = _read_catalog(own_path) if own_path.exists() else None
    typed = _typed_catalog(typed_locales, lang)
    vi_path = _po_path(locales, FALLBACK_LANG)
    vi = _read_catalog(vi_path) if vi_path.exists() and lang != FALLBACK_LANG else None
    count = 0
    for msg in template:
        if not msg.id:
            continue
        current = own.get(msg.id) if own is not None else None
        typed_msg = typed.get(msg.id) if typed is not None else None
        if typed_msg is not None and typed_msg.string:
            current = typed_msg
        comments = list(_source_comments(current)) if current is not None else []
        reference = vi.get(msg.id) if vi is not None else None
        if reference is not None and reference.string:
            # A K'Ho or Ê Đê translator usually reads Vietnamese better than English.
            vi_text = " | ".join(_forms(reference.string)).replace("\n", " ")
            comments.insert(0, VI_PREFIX + vi_text)
        msg.user_comments = comments
        if current is not None and current.string:
            msg.string = current.string
            if current.fuzzy:
                msg.flags.add("fuzzy")
        count += 1
    _write(template, out)
    return count


def _typed_catalog(typed_locales: Path | None, lang: str) -> Catalog | None:
    path = _po_path(typed_locales, lang) if typed_locales is not None else None
    return _read_catalog(path) if path is not None and path.exists() else None


# --- report -----------------------------------------------------------------------------

@dataclass(frozen=True)
class LanguageReport:
    lang: str
    strings_total: int
    strings_translated: int  # translated and reviewed (not fuzzy): what the kiosk shows
    strings_review: int  # translated, still fuzzy ("needs review"): the kiosk shows Vietnamese
    strings_missing: int
    prompts_recorded: int | None  # None: no audio folder was checked
    prompts_missing: int | None
    missing_prompt_ids: list[str] = field(default_factory=list)
    # Content fields of the procedure catalogue (names, who for, fee, time limit, steps,
    # each document): None when no catalogue was given. Content has no review flag.
    content_translated: int | None = None
    content_missing: int | None = None
    content_review: int | None = None
    # Number-call segments (kiosk/voice.py; ids "segments/<name>"): None when no audio
    # folder was checked or no segment ids were given for the language.
    segments_recorded: int | None = None
    segments_missing: int | None = None
    missing_segment_ids: list[str] = field(default_factory=list)


def _recorded(audio_dir: Path | Sequence[Path], lang: str, prompt_id: str) -> bool:
    from kiosk.prompts import find_recording

    return find_recording(lang, prompt_id, audio_dir) is not None


def content_texts(catalogue: Any) -> list[Mapping[str, Any]]:
    """Every per-language text of a procedure catalogue (kiosk/catalogue.py), as mappings
    from language tag to text."""
    texts: list[Mapping[str, Any]] = []
    for proc in catalogue.procedures:
        texts += [proc.name, proc.for_whom, proc.fee, proc.time_limit, proc.steps]
        texts += [doc.text for doc in proc.documents]
    return texts


def report(locales: Path, languages: Iterable[str],
           audio_dir: Path | Sequence[Path] | None = None,
           prompt_ids: Sequence[str] = (), catalogue: Any = None,
           updated_locales: Path | None = None,
           typed_locales: Path | None = None,
           segment_ids: Mapping[str, Sequence[str]] | None = None) -> list[LanguageReport]:
    """Per language: UI strings translated / needing review / missing; voice prompts;
    number-call segments (`segment_ids`: per language, the ids of kiosk.voice.voice_items'
    segments, "segments/<name>"); content fields of the procedure catalogue. A language's
    .po in `updated_locales` (an installed language pack, kiosk/content.py
    content_locales) counts instead of the shipped one; translations typed on the kiosk
    (`typed_locales`) count too: a string translated by either is translated, else one
    marked for review in either is to review."""
    texts = content_texts(catalogue) if catalogue is not None else None
    ids = [_key(m) for m in _template(locales) if m.id]
    rows = []
    for lang in languages:
        path = _po_path(locales, lang)
        if updated_locales is not None and _po_path(updated_locales, lang).exists():
            path = _po_path(updated_locales, lang)
        catalog = _read_catalog(path) if path.exists() else None
        layers = [c for c in (catalog, _typed_catalog(typed_locales, lang)) if c is not None]
        translated = review = 0
        for msgid in ids:
            msgs = [m for m in (c.get(msgid) for c in layers)
                    if m is not None and any(_forms(m.string))]
            if not msgs:
                continue
            if all(m.fuzzy for m in msgs):
                review += 1
            else:
                translated += 1
        missing_prompts: list[str] = []
        recorded: int | None = None
        if audio_dir is not None:
            missing_prompts = [p for p in prompt_ids if not _recorded(audio_dir, lang, p)]
            recorded = len(prompt_ids) - len(missing_prompts)
        segments = (segment_ids or {}).get(lang)
        missing_segments: list[str] = []
        segments_recorded: int | None = None
        if audio_dir is not None and segments is not None:
            # A segment id is its path under <audio dir>/<lang>/, as a prompt's is.
            missing_segments = [s for s in segments if not _recorded(audio_dir, lang, s)]
            segments_recorded = len(segments) - len(missing_segments)
        rows.append(LanguageReport(
            lang=lang, strings_total=len(ids), strings_translated=translated,
            strings_review=review, strings_missing=len(ids) - translated - review,
            prompts_recorded=recorded,
            prompts_missing=None if audio_dir is None else len(missing_prompts),
            missing_prompt_ids=missing_prompts,
            content_translated=None if texts is None else sum(lang in t for t in texts),
            content_missing=None if texts is None else sum(lang not in t for t in texts),
            content_review=None if texts is None else 0,
            segments_recorded=segments_recorded,
            segments_missing=None if segments_recorded is None else len(missing_segments),
            missing_segment_ids=missing_segments,
        ))
    return rows


def report_json(rows: Iterable[LanguageReport]) -> list[dict[str, Any]]:
    return [asdict(row) for row in rows]


def format_report(rows: Iterable[LanguageReport]) -> str:
    """A plain table for a staff terminal; "-" where a figure was not checked."""
    def cell(value: int | None) -> str:
        return "-" if value is None else str(value)

    header = ["lang", "strings", "translated", "review", "missing",
              "voice ok", "voice missing", "segments ok", "segments missing",
              "content ok", "content missing"]
    table = [header] + [
        [r.lang, str(r.strings_total), str(r.strings_translated), str(r.strings_review),
         str(r.strings_missing), cell(r.prompts_recorded), cell(r.prompts_missing),
         cell(r.segments_recorded), cell(r.segments_missing),
         cell(r.content_translated), cell(r.content_missing)]
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = []
    for line in table:
        cells = [c.ljust(w) if i == 0 else c.rjust(w)
                 for i, (c, w) in enumerate(zip(line, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
