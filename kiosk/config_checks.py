"""What every config table's check shares: the error staff read, and the checker that
makes it name the file, the key and what was expected (kiosk/config.py,
kiosk/config_links.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

LANG_TAG = re.compile(r"^[a-z]{2,3}$")
FALLBACK_LANG = "vi"


class ConfigError(Exception):
    """A config file that cannot be used; str() is one line for staff."""

    def __init__(self, path: Path | str, key: str, expected: str) -> None:
        self.path, self.key, self.expected = str(path), key, expected
        # A key is the file's own text: one with a line break or other control character is
        # quoted, so the message stays one line.
        shown = key if key.isprintable() else repr(key)
        where = f"{self.path}: {shown}: " if key else f"{self.path}: "
        super().__init__(where + expected)


class Checker:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, expected: str, got: Any = ...) -> ConfigError:
        if got is not ...:
            expected = f"{expected}, got {got!r}"
        return ConfigError(self.path, key, expected)

    def table(self, raw: dict[str, Any], key: str) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "expected a table", value)
        return value

    def texts(self, value: Any, key: str) -> dict[str, str]:
        if not isinstance(value, dict) or not value:
            raise self.fail(key, "expected a table of texts per language, e.g. { vi = \"...\" }",
                            value)
        for lang, text in value.items():
            if not LANG_TAG.match(lang):
                raise self.fail(f"{key}.{lang}", "expected a language tag like vi, en or kpm")
            if not isinstance(text, str) or not text.strip():
                raise self.fail(f"{key}.{lang}", "expected non-empty text", text)
        if FALLBACK_LANG not in value:
            raise self.fail(key, "expected a Vietnamese text (vi = \"...\"), the fallback")
        return dict(value)

    def number(self, value: Any, key: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number of seconds from {low:g} to {high:g}", value)
        if not low <= value <= high:
            raise self.fail(key, f"expected a number of seconds from {low:g} to {high:g}", value)
        return float(value)


def reject_unknown(c: Checker, table: dict[str, Any], allowed: set[str], prefix: str) -> None:
    # A misspelt key would otherwise be ignored silently and the default used.
    for key in table:
        if key not in allowed:
            raise c.fail(prefix + key, "unknown key; expected one of " + ", ".join(sorted(allowed)))


def is_http_url(url: str, base: bool = False) -> bool:
    """An http(s) URL with a host and a valid port, printable, without spaces; `base`: also
    without a query or fragment (paths are added to it)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and bool(parts.hostname)
            and url.isprintable() and " " not in url
            and not (base and (parts.query or parts.fragment)))
