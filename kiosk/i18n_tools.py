r"""Staff tools for translators: legacy-font conversion, placeholder checks, .po import and
export, and a per-language progress report. Pure functions over files (no Kivy, no CLI):
`kiosk i18n report|export|import` calls them.

Legacy fonts. Older K'Ho, Ê Đê (and Jarai, Sêdang) web text was typed with ASCII font hacks.
What we apply (DESIGN.md "Languages" plus what the sources below confirm):
  [ → ƀ    { → Ƀ    ] → č    } → Č    ` → ñ    ~ → Ñ    o# → ô̆
  \ after a vowel → that vowel with a breve (U+0306)    ^ after a consonant → ĭ
  c\ → c̆ (as DESIGN.md lists c̆; see the caveat below)
The shifted key is the capital of the unshifted one ([ {, ] }, ` ~), as the sources show.
Sources, comparing VOV4 (Voice of Vietnam, Central Highlands minority-language service)
articles still in the legacy font with the same service's Unicode articles:
- K'Ho, vov4.vov.vn/Kho/chuyen-muc/...-c1296-345597.aspx and ...-c162-355288.aspx:
  "tu\ do", "tơngo\", "jo\ jòng", "dơ\ 13", "kờ`", "a`" (añ) - the breve sign sits AFTER
  its vowel, also after a toned vowel; the backtick is ñ after a vowel.
  ...-c1364-317605.aspx: "[làng", "[òn Jok", "g^t", "rơm^t" ([ = ƀ before a vowel or l,
  ^ = ĭ after a consonant).
- Jarai, vov4.vov.vn/jarai/...-c159-353607.aspx: "rơnu]", "]ô ]ơđai", "tơring ]ar" (Unicode
  pages: "rơnuč", "čô", "tơring čar"), "mơ\n", "lơ\m", "pơđ^ kyar" (Unicode: "pơđĭ kyar");
  ...-c1628-337310.aspx: "`u" (ñu), "{ơi" / "{ing" sentence-initially where the Unicode pages
  have "Ƀơi" / "Ƀing", so { = Ƀ.
- } = Č, always word-initial in a place name: Ê Đê, vov4.vov.vn/ede/daklak-mphun-ru-mjing-
  brua-knua-mong-gru-hmo-homestay-hlue-knhuah-bhian-ede-134198.vov4: "kdriêk }ư\ Mgar, ]ar
  Dak Lak", "}ư\ Hlăm"; Jarai, vov4.vov.vn/jarai/uon-ma-thuot-amra-nga-truh-kih-tohnal-poka-
  ploi-pla-phrao-thun-2018-139303.vov4: "să dong }ư\ Êbur" beside "tơring ]ar", and
  vov4.vov.vn/jarai/gia-lai-rao-poduh-u-apui-ko-dir-dang-ya-208718.vov4: "tơring glông }ư\
  Păh" beside "kơ]o\ng ]ư\" (also Sêdang ...-c1317-347940.aspx and K'Ho ...-c1296-12697.aspx:
  "}ư\ Mgar"). The Jarai Unicode pages write "Čư̆ Kuiñ" (vov4.vov.gov.vn/jarai/Chuyen-muc/
  daklak-amra-pok-apui-amang-boyan-hojan-rob-kothel-c145-379669.aspx), "Čơtlăm" (...-c145-
  433097.aspx). K'Ho Unicode pages spell that place "Cư̆ Mgar" (vov4.vov.vn/kho/...-489287.
  vov4): a K'Ho reviewer may want C there (every import is marked for review anyway).
- ~ = Ñ, only sentence-initially where ` (ñ) stands inside a sentence: Jarai, vov4.vov.vn/
  jarai/ploi-pla-phrao-nong-thon-moi/ksor-jan-gru-bonga-amang-on-krai-c1272-313063.aspx:
  "~u ră ruai:" and "Tui hăng `u,"; ...-c160-320061.aspx: "~u brơi thâo:", "`u prap";
  K'Ho, vov4.vov.vn/Kho/chuyen-muc/phan-sa-bokah-kon-cau-kho-de-c1364-352157.aspx: "~ô dùl
  bơr" (Unicode K'Ho "ñô bau", ...-c1364-373695.aspx; Jarai Unicode "ñu brơi thâo",
  vov4.vov.vn/jarai/gru-grua-thao-thai-van-hoa/dak-lak-pophun-lu-toloi-...-395468.vov4).
- o# = ô̆ (# puts circumflex and breve on a bare o): Jarai, vov4.vov.vn/jarai/chuyen-muc/
  konuk-kona-djru-djop-mota-...-c1628-328236.aspx "sang ano# [un rin", Unicode ...-c145-
  433097.aspx "sang anô̆ ƀun rin"; ...-c160-362076.aspx "ale do# asăt", Unicode
  ...-c160-370093.aspx "ăt dô̆ asăt"; Sêdang, vov4.vov.vn/Xodang/chuyen-muc/rak-ve-eo-potak-
  tio-khoi-hma-dei-hdroang-kuan-ngo-c1353-352508.aspx "Kuo#k ho#i", Unicode vov4.vov.vn/
  xodang/.../tomang-xo-toi-dei-mau-droh-rotam-pa-the-kuok-hoi-chin-phuh-tong-kum-368558.vov4
  "Kuô̆k hô̆i"; ...-c1353-347530.aspx "vâi hdrêng pho#m vâ xông kân", Unicode vov4.vov.vn/
  xodang/mohno-tua-lem-tro/cheng-koang-jarai-todjep-pole-pola-502800.vov4 "vâi phô̆m vâ xông
  kân".
Not confirmed, so NOT converted: # after a or e ("Măt tra#n", "đie#n tưh" on Sêdang pages
have no Unicode twin found, and Sêdang ...-79707.vov4 writes "krúa le#m" beside "krúa le\m"
where the Unicode pages have "lĕm", so e# is ambiguous), # after a capital or a toned vowel
(never seen), and | (Jarai "C|ư\", "jê|", "pơdô|": it looks like a second font's háček or
breve, but that is for another change).
Caveat: one Jarai page writes "dêh c\ar", "c\ô" where the others have "čar", "čô", i.e. some
font used c\ for č; we follow DESIGN.md (c̆) and a reviewer sees every imported entry anyway
(fuzzy).
Ê Đê check: the TN Key lesson at 123docz.net/document/3484177 ("Y-Ut Niê {uôn R^t và
Y-{lu\l Niê Blô", "{lô", "Mdhu\r") converts to its Unicode copy at ededic.thaiphong.net/
bai-hoc/bai-01.php ("Ƀuôn Rĭt", "Y-Ƀlŭl", "Ƀlô", "Mdhŭr") with the rules above.

When a sign is a letter (anything else is kept as typed):
- [ { only when a letter follows (ƀ starts a syllable: "[ơi", "[làng"); a { that opens a
  str.format field ({name}, {0}, {}, {name:spec}, {x:{w}}) or an escaped {{ is a
  placeholder, never Ƀ, and is copied whole.
- } ~ only at the start of a word: a letter follows and no letter or digit comes before
  ("}ư\", "~u"); an escaped }} is kept.
- ] and ` when a letter is on either side ("]ar", "rơnu]", "a`", "`u").
- \ when the letter before it is a vowel (a e i o u, with any circumflex, horn or tone mark)
  without a breve yet, or a bare c; ^ when the letter before it is a consonant; # when the
  letter before it is a bare o.
So "[1]", "x[0]", "{count}", "a \ b", "a~b", "#1", "C#" are kept, but a bracketed word
("[note]") is read as legacy letters ("ƀnoteč"), as is "foo#": legacy mode is only for files
known to be in a legacy font.
The conversion repeats until nothing changes, which makes it idempotent by construction.
"""

from __future__ import annotations

import io
import re
import string
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import PoFileError, read_po, write_po

DOMAIN = "kiosk"
REFERENCE_LANG = "vi"
PO_WIDTH = 100  # the width the catalogues in locales/ are written with (byte-exact round trip)
BREVE = "\u0306"
CIRCUMFLEX = "\u0302"
VI_PREFIX = "vi: "

_VOWELS = set("aeiouAEIOU")
_BREVE_BEFORE = {CIRCUMFLEX, "\u031b"}  # circumflex and horn stay nearer the letter than the breve
# A str.format field, or an escaped brace: a { starting one of these is never a legacy Ƀ.
# The field is named ({name}), positional ({0}) or automatic ({}), with an optional index or
# attribute, conversion and format spec; the spec may hold one level of fields ({x:{w}}).
_FIELD_AHEAD = re.compile(
    r"\{(?:\{|(?:[^\W\d][\w\u0300-\u036f]*|\d+)?(?:[.\[][^{}]*)?(?:![rsa])?"
    r"(?::(?:[^{}]|\{[^{}]*\})*)?\})"
)


# --- legacy-font conversion -------------------------------------------------------------

def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM"


def _cluster_start(chars: list[str]) -> int:
    """Index of the base letter of the last cluster in NFD chars (-1 if there is none)."""
    i = len(chars) - 1
    while i >= 0 and unicodedata.category(chars[i])[0] == "M":
        i -= 1
    return i


def _add_breve(chars: list[str]) -> bool:
    """Put a breve on the last letter of chars when it can take one; True if it did."""
    i = _cluster_start(chars)
    if i < 0:
        return False
    base, marks = chars[i], chars[i + 1:]
    if BREVE in marks or not (base in _VOWELS or (base in "cC" and not marks)):
        return False
    # Breve after circumflex/horn but before tone marks, as in Vietnamese ằ (a + ̆ + ̀).
    j = i + 1
    while j < len(chars) and chars[j] in _BREVE_BEFORE:
        j += 1
    chars.insert(j, BREVE)
    return True


def _convert_once(text: str) -> str:
    src = unicodedata.normalize("NFD", text)
    out: list[str] = []
    k = 0
    while k < len(src):
        ch = src[k]
        field_ahead = _FIELD_AHEAD.match(src, k) if ch == "{" else None
        if field_ahead:  # a placeholder is copied whole: "{items[i]}" keeps its brackets
            out.extend(field_ahead.group())
            k = field_ahead.end()
            continue
        nxt = src[k + 1] if k + 1 < len(src) else ""
        if ch == "}" and nxt == "}":  # an escaped brace of str.format, never ČČ
            out.extend("}}")
            k += 2
            continue
        prev_letter = bool(out) and _is_letter(out[-1])
        next_letter = bool(nxt) and _is_letter(nxt)
        word_start = next_letter and not (prev_letter or (bool(out) and out[-1].isdigit()))
        if ch in "[{" and next_letter:
            out.append("ƀ" if ch == "[" else "Ƀ")
        elif ch in "}~" and word_start:
            out.append("Č" if ch == "}" else "Ñ")
        elif ch == "]" and (prev_letter or next_letter):
            out.append("č")
        elif ch == "`" and (prev_letter or next_letter):
            out.append("ñ")
        elif ch == "#" and out and out[-1] == "o":  # NFD: a bare o has no mark after it
            out.extend((CIRCUMFLEX, BREVE))
        elif ch == "\\" and _add_breve(out):
            pass
        elif ch == "^" and prev_letter and out[_cluster_start(out)].lower() not in "aeiouy":
            out.extend(("i", BREVE))
        else:
            out.append(ch)
        k += 1
    return unicodedata.normalize("NFC", "".join(out))


def convert_legacy(text: str) -> str:
    """Legacy ASCII-font K'Ho / Ê Đê spellings to Unicode (NFC). See the module docstring."""
    # Each changing pass removes a legacy sign, so this ends; the result is a fixed point.
    while True:
        converted = _convert_once(text)
        if converted == text:
            return converted
        text = converted


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

def export_po(lang: str, locales: Path, out: Path) -> int:
    """A .po for translators: every message, its current translation, Vietnamese alongside."""
    template = _template(locales, lang)
    own_path = _po_path(locales, lang)
    own = _read_catalog(own_path) if own_path.exists() else None
    vi_path = _po_path(locales, REFERENCE_LANG)
    vi = _read_catalog(vi_path) if vi_path.exists() and lang != REFERENCE_LANG else None
    count = 0
    for msg in template:
        if not msg.id:
            continue
        current = own.get(msg.id) if own is not None else None
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
           prompt_ids: Sequence[str] = (), catalogue: Any = None) -> list[LanguageReport]:
    """Per language: UI strings translated / needing review / missing; voice prompts;
    content fields of the procedure catalogue."""
    texts = content_texts(catalogue) if catalogue is not None else None
    ids = [_key(m) for m in _template(locales) if m.id]
    rows = []
    for lang in languages:
        path = _po_path(locales, lang)
        catalog = _read_catalog(path) if path.exists() else None
        translated = review = 0
        for msgid in ids:
            msg = catalog.get(msgid) if catalog is not None else None
            if msg is None or not any(_forms(msg.string)):
                continue
            if msg.fuzzy:
                review += 1
            else:
                translated += 1
        missing_prompts: list[str] = []
        recorded: int | None = None
        if audio_dir is not None:
            missing_prompts = [p for p in prompt_ids if not _recorded(audio_dir, lang, p)]
            recorded = len(prompt_ids) - len(missing_prompts)
        rows.append(LanguageReport(
            lang=lang, strings_total=len(ids), strings_translated=translated,
            strings_review=review, strings_missing=len(ids) - translated - review,
            prompts_recorded=recorded,
            prompts_missing=None if audio_dir is None else len(missing_prompts),
            missing_prompt_ids=missing_prompts,
            content_translated=None if texts is None else sum(lang in t for t in texts),
            content_missing=None if texts is None else sum(lang not in t for t in texts),
            content_review=None if texts is None else 0,
        ))
    return rows


def report_json(rows: Iterable[LanguageReport]) -> list[dict[str, Any]]:
    return [asdict(row) for row in rows]


def format_report(rows: Iterable[LanguageReport]) -> str:
    """A plain table for a staff terminal; "-" where a figure was not checked."""
    def cell(value: int | None) -> str:
        return "-" if value is None else str(value)

    header = ["lang", "strings", "translated", "review", "missing",
              "voice ok", "voice missing", "content ok", "content missing"]
    table = [header] + [
        [r.lang, str(r.strings_total), str(r.strings_translated), str(r.strings_review),
         str(r.strings_missing), cell(r.prompts_recorded), cell(r.prompts_missing),
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
