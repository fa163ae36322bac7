"""Checks of the values in a content file (kiosk/catalogue.py reads procedures.toml with
them): each returns the checked value or raises CatalogueError naming the file, the field
path and what is wrong, in one line for the staff screen and the log."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kiosk.i18n import FALLBACK_LANG, LANG_TAG_PATTERN

# ISO 639-1/639-3 tags only (vi, en, kpm, rad): no region or script subtags, so a typo such as
# "EN" or "en_US" is caught rather than silently never matching the chosen language.
_LANG_RE = re.compile(rf"^{LANG_TAG_PATTERN}$")


class CatalogueError(Exception):
    """A content file was rejected; says which file, which field and what is wrong."""

    def __init__(self, file: str | Path, field: str, problem: str) -> None:
        self.file = str(file)
        self.field = field
        # One line: the message goes to the staff screen and the log as is.
        self.problem = " ".join(str(problem).split())
        super().__init__(f"{self.file}: {self.field}: {self.problem}")


class Checker:
    """Type checks that raise CatalogueError naming the file and the field path."""

    def __init__(self, path: Path, languages: frozenset[str] | None) -> None:
        self.path = path
        self.languages = languages

    def fail(self, where: str, problem: str) -> CatalogueError:
        return CatalogueError(self.path, where, problem)

    def table(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a table, got {kind(value)}")
        return value

    def get(self, table: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in table:
            raise self.fail(f"{where}.{key}" if where else key, "missing")
        return table[key]

    def string(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"must be text, got {kind(value)}")
        if not value.strip():
            raise self.fail(where, "is empty")
        # NFC so that text typed on different keyboards compares and renders the same.
        return unicodedata.normalize("NFC", value.strip())

    def lang_tag(self, tag: str, where: str) -> str:
        if not _LANG_RE.match(tag):
            raise self.fail(
                f"{where}.{tag}", "unknown language tag (use a lowercase ISO 639 code: vi, en, kpm)"
            )
        if self.languages is not None and tag not in self.languages:
            raise self.fail(f"{where}.{tag}", "unknown language tag (not one of the kiosk's)")
        return tag

    def texts(self, value: object, where: str) -> dict[str, str]:
        table = self.table(value, where)
        out = {
            self.lang_tag(tag, where): self.string(text, f"{where}.{tag}")
            for tag, text in table.items()
        }
        if FALLBACK_LANG not in out:
            raise self.fail(where, "missing the Vietnamese (vi) text every language falls back to")
        return out

    def text_lists(self, value: object, where: str) -> dict[str, tuple[str, ...]]:
        table = self.table(value, where)
        out: dict[str, tuple[str, ...]] = {}
        for tag, items in table.items():
            self.lang_tag(tag, where)
            out[tag] = tuple(self.strings(items, f"{where}.{tag}"))
        if FALLBACK_LANG not in out:
            raise self.fail(where, "missing the Vietnamese (vi) list every language falls back to")
        return out

    def array(self, value: object, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, f"must be a list, got {kind(value)}")
        if not value:
            raise self.fail(where, "is empty")
        return value

    def strings(self, value: object, where: str) -> list[str]:
        return [self.string(v, f"{where}[{i}]") for i, v in enumerate(self.array(value, where))]


def kind(value: object) -> str:
    """How a wrong value is named to staff: "got a number", "got a table"."""
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)
