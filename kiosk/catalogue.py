"""The procedure catalogue: content files, validated at load, searched without diacritics.

The catalogue is content, not code: a province replaces it through a content update. So the
loader trusts nothing in the file and rejects it with the file, the field and the problem
named, and `load_or_keep` lets the kiosk carry on with the last valid catalogue.

No Kivy here: the screens, the staff tools and the tests all use this module. The checks of
single values (text, language tags, lists) and CatalogueError are in kiosk/catalogue_checks.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from kiosk.catalogue_checks import CatalogueError, Checker, kind
from kiosk.i18n import FALLBACK_LANG
from kiosk.paths import DEFAULT_CATALOGUE  # noqa: F401  (its name here too, as before)

log = logging.getLogger(__name__)

# The kiosk's default service areas (default_config.toml); a centre with other areas passes
# its own letters to the loader.
DEFAULT_SERVICES = frozenset("ABCDE")
SCHEMA_VERSION = 1

_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_LETTER_RE = re.compile(r"^[A-Z]$")

T = TypeVar("T")


@dataclass(frozen=True)
class Localized(Generic[T]):
    """A text in the language asked for, or in Vietnamese when that language lacks it."""

    value: T
    lang: str
    fell_back: bool


# The pictures a document can have on the checklist (assets/icons/<name>.png), so that
# someone who does not read can still see what to bring.
DOCUMENT_PICTURES = ("form", "id_card", "certificate", "photo", "paper")


@dataclass(frozen=True)
class Document:
    """A paper to bring: originals are shown to the officer, copies are handed in."""

    text: Mapping[str, str]
    original: bool
    copies: int
    picture: str = "paper"  # one of DOCUMENT_PICTURES


@dataclass(frozen=True)
class Citation:
    """One legal source: the document's number and the articles used."""

    document: str
    title: Mapping[str, str]
    articles: tuple[str, ...]


@dataclass(frozen=True)
class Procedure:
    code: str
    category: str
    service: str
    name: Mapping[str, str]
    for_whom: Mapping[str, str]
    documents: tuple[Document, ...]
    fee: Mapping[str, str]
    time_limit: Mapping[str, str]
    steps: Mapping[str, tuple[str, ...]]
    legal_basis: tuple[Citation, ...]
    portal_url: str
    reviewed: dt.date
    # For content editors only (what still needs checking); never shown to citizens.
    notes: str = ""


# Fields `Catalogue.text` can read: the single-text ones of a procedure.
TEXT_FIELDS = ("name", "for_whom", "fee", "time_limit")


def pick(texts: Mapping[str, T], lang: str) -> Localized[T]:
    """The text in `lang`, else Vietnamese (always present: the loader requires it)."""
    if lang in texts:
        return Localized(texts[lang], lang, False)
    return Localized(texts[FALLBACK_LANG], FALLBACK_LANG, True)


def fold(text: str) -> str:
    """Lower case without diacritics, so 'khai sinh' matches 'Khai sinh' and 'Khái sính'."""
    # đ/Đ are letters of their own, not d + a mark, so NFD leaves them: map them by hand.
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.casefold()


_WORD_RE = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD_RE.findall(fold(text))


@dataclass
class Catalogue:
    path: Path
    starter: bool
    title: Mapping[str, str]
    category_names: Mapping[str, Mapping[str, str]]
    procedures: tuple[Procedure, ...]
    _by_code: dict[str, Procedure] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_code = {p.code: p for p in self.procedures}

    def get(self, code: str) -> Procedure | None:
        return self._by_code.get(code)

    def categories(self) -> list[str]:
        """Category keys in file order, only those that have procedures."""
        used = {p.category for p in self.procedures}
        return [key for key in self.category_names if key in used]

    def category_name(self, key: str, lang: str) -> Localized[str]:
        return pick(self.category_names[key], lang)

    def in_category(self, key: str) -> list[Procedure]:
        return [p for p in self.procedures if p.category == key]

    def text(self, proc: Procedure, field_name: str, lang: str) -> Localized[str]:
        if field_name not in TEXT_FIELDS:
            raise ValueError(f"not a text field: {field_name}")
        texts: Mapping[str, str] = getattr(proc, field_name)
        return pick(texts, lang)

    def steps(self, proc: Procedure, lang: str) -> Localized[tuple[str, ...]]:
        return pick(proc.steps, lang)

    def search(self, query: str, lang: str) -> list[Procedure]:
        """Procedures whose words start with every word of the query, name matches first.

        Citizens often type Vietnamese without marks whatever the screen language, so the
        chosen language and Vietnamese are both searched.
        """
        terms = words(query)
        if not terms:
            return []
        langs = [lang] if lang == FALLBACK_LANG else [lang, FALLBACK_LANG]
        ranked: list[tuple[int, int, Procedure]] = []
        for order, proc in enumerate(self.procedures):
            name_words: list[str] = []
            for tag in langs:
                name_words += words(proc.name.get(tag, ""))
            other: list[str] = [proc.code.casefold()]
            for tag in langs:
                other += words(self.category_names[proc.category].get(tag, ""))
                other += words(proc.for_whom.get(tag, ""))
            if _all_prefixed(terms, name_words):
                # A phrase typed in order ('khai sinh') beats the same words scattered.
                rank = 0 if _phrase_in(terms, proc, langs) else 1
            elif _all_prefixed(terms, name_words + other):
                rank = 2
            else:
                continue
            ranked.append((rank, order, proc))
        ranked.sort(key=lambda item: (item[0], item[1]))
        return [proc for _, _, proc in ranked]


def _all_prefixed(terms: Iterable[str], haystack: list[str]) -> bool:
    return all(any(word.startswith(term) for word in haystack) for term in terms)


def _phrase_in(terms: list[str], proc: Procedure, langs: list[str]) -> bool:
    for tag in langs:
        name = words(proc.name.get(tag, ""))
        for start in range(len(name) - len(terms) + 1):
            window = name[start : start + len(terms)]
            if all(w.startswith(t) for w, t in zip(window, terms, strict=True)):
                return True
    return False


# --- loading and validation -------------------------------------------------------------

_PROCEDURE_KEYS = {
    "code", "category", "service", "name", "for_whom", "documents", "fee", "time_limit",
    "steps", "legal_basis", "portal_url", "reviewed", "notes",
}  # fmt: skip


def load_catalogue(
    path: str | Path,
    *,
    services: Iterable[str] = DEFAULT_SERVICES,
    languages: Iterable[str] | None = None,
) -> Catalogue:
    """Read and validate a catalogue file; raises CatalogueError and nothing else.

    `services` are the service letters the centre has; `languages`, if given, the only
    language tags accepted (otherwise any well-formed tag is).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogueError(path, "(file)", f"cannot be read: {exc.strerror or exc}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CatalogueError(path, "(file)", f"not UTF-8 text (byte {exc.start})") from exc
    except (tomllib.TOMLDecodeError, RecursionError, ValueError) as exc:
        raise CatalogueError(path, "(file)", f"not valid TOML: {exc}") from exc
    check = Checker(path, frozenset(languages) if languages is not None else None)
    try:
        return _build(check, path, data, frozenset(services))
    except CatalogueError:
        raise
    except Exception as exc:  # a check we missed must still not crash the kiosk
        raise CatalogueError(path, "(file)", f"unexpected content: {exc!r}") from exc


def _build(
    check: Checker, path: Path, data: dict[str, Any], services: frozenset[str]
) -> Catalogue:
    version = check.get(data, "schema_version", "")
    if type(version) is not int or version != SCHEMA_VERSION:
        raise check.fail("schema_version", f"must be {SCHEMA_VERSION}, got {version!r}")
    starter = check.get(data, "starter", "")
    if not isinstance(starter, bool):
        raise check.fail("starter", f"must be true or false, got {kind(starter)}")
    title = check.texts(check.get(data, "title", ""), "title")

    cats_raw = check.table(check.get(data, "categories", ""), "categories")
    if not cats_raw:
        raise check.fail("categories", "is empty")
    categories = {key: check.texts(names, f"categories.{key}") for key, names in cats_raw.items()}

    procs_raw = check.array(check.get(data, "procedures", ""), "procedures")
    procedures: list[Procedure] = []
    seen: set[str] = set()
    for i, raw in enumerate(procs_raw):
        proc = _procedure(check, raw, f"procedures[{i}]", categories, services)
        if proc.code in seen:
            raise check.fail(f"procedures[{i}].code", f"duplicate code {proc.code!r}")
        seen.add(proc.code)
        procedures.append(proc)
    return Catalogue(path, starter, title, categories, tuple(procedures))


def _procedure(
    check: Checker,
    raw: object,
    where: str,
    categories: Mapping[str, Any],
    services: frozenset[str],
) -> Procedure:
    table = check.table(raw, where)
    code = check.string(check.get(table, "code", where), f"{where}.code")
    if not _CODE_RE.match(code):
        raise check.fail(f"{where}.code", f"{code!r} is not a short code (letters, digits, -._)")
    where = f"{where} ({code})"  # the code finds the entry faster than an index
    unknown = sorted(set(table) - _PROCEDURE_KEYS)
    if unknown:
        # Catches misspelt keys, which would otherwise drop a field without a word.
        raise check.fail(f"{where}.{unknown[0]}", "unknown field")

    def need(key: str) -> Any:
        return check.get(table, key, where)

    category = check.string(need("category"), f"{where}.category")
    if category not in categories:
        raise check.fail(f"{where}.category", f"unknown category {category!r}")
    service = check.string(need("service"), f"{where}.service")
    if not _LETTER_RE.match(service) or service not in services:
        raise check.fail(
            f"{where}.service",
            f"unknown service letter {service!r} (known: {', '.join(sorted(services))})",
        )

    documents = []
    for j, doc_raw in enumerate(check.array(need("documents"), f"{where}.documents")):
        dwhere = f"{where}.documents[{j}]"
        doc = check.table(doc_raw, dwhere)
        text = check.texts(check.get(doc, "text", dwhere), f"{dwhere}.text")
        original = check.get(doc, "original", dwhere)
        if not isinstance(original, bool):
            raise check.fail(f"{dwhere}.original", f"must be true or false, got {kind(original)}")
        copies = check.get(doc, "copies", dwhere)
        # bool is an int in Python: reject it explicitly.
        if type(copies) is not int or not 0 <= copies <= 20:
            raise check.fail(f"{dwhere}.copies", f"must be a whole number 0-20, got {copies!r}")
        picture = doc.get("picture", "paper")
        if picture not in DOCUMENT_PICTURES:
            raise check.fail(f"{dwhere}.picture",
                             f"must be one of {', '.join(DOCUMENT_PICTURES)}, got {picture!r}")
        unknown = sorted(set(doc) - {"text", "original", "copies", "picture"})
        if unknown:
            raise check.fail(f"{dwhere}.{unknown[0]}", "unknown field")
        documents.append(Document(text, original, copies, picture))

    citations = []
    for j, cite_raw in enumerate(check.array(need("legal_basis"), f"{where}.legal_basis")):
        cwhere = f"{where}.legal_basis[{j}]"
        cite = check.table(cite_raw, cwhere)
        citations.append(
            Citation(
                document=check.string(check.get(cite, "document", cwhere), f"{cwhere}.document"),
                title=check.texts(check.get(cite, "title", cwhere), f"{cwhere}.title"),
                articles=tuple(
                    check.strings(check.get(cite, "articles", cwhere), f"{cwhere}.articles")
                ),
            )
        )

    portal_url = check.string(need("portal_url"), f"{where}.portal_url")
    if not re.match(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$", portal_url):
        raise check.fail(f"{where}.portal_url", f"must be an https:// address, got {portal_url!r}")
    reviewed = need("reviewed")
    # TOML has a date type; a quoted "2026-11-28" or a datetime is a mistake worth naming.
    if not isinstance(reviewed, dt.date) or isinstance(reviewed, dt.datetime):
        raise check.fail(
            f"{where}.reviewed", f"must be a date like 2026-11-28, got {kind(reviewed)}"
        )
    notes = table.get("notes", "")
    if not isinstance(notes, str):
        raise check.fail(f"{where}.notes", f"must be text, got {kind(notes)}")

    return Procedure(
        code=code,
        category=category,
        service=service,
        name=check.texts(need("name"), f"{where}.name"),
        for_whom=check.texts(need("for_whom"), f"{where}.for_whom"),
        documents=tuple(documents),
        fee=check.texts(need("fee"), f"{where}.fee"),
        time_limit=check.texts(need("time_limit"), f"{where}.time_limit"),
        steps=check.text_lists(need("steps"), f"{where}.steps"),
        legal_basis=tuple(citations),
        portal_url=portal_url,
        reviewed=reviewed,
        notes=notes.strip(),
    )


def load_or_keep(
    path: str | Path,
    previous: Catalogue | None,
    **options: Any,
) -> tuple[Catalogue | None, CatalogueError | None]:
    """Load a new catalogue, or keep `previous` (with the reason) when the new one is bad.

    A broken content update must not empty the procedures screen.
    """
    try:
        return load_catalogue(path, **options), None
    except CatalogueError as err:
        log.error("catalogue rejected, keeping the previous one: %s", err)
        return previous, err
