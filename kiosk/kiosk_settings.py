"""Settings staff change on the kiosk itself: the staff overlay file.

Staff mode's Settings tab changes four things of this kiosk only: the languages offered and
their order, the text size visits start at, the volume and the idle timeout. They are kept
in a small TOML file beside the centre's config (`<stem>.staff.toml`), applied by
load_config over the centre's file and checked by the same rules (kiosk/config.py), so a
kiosk restarted later comes back with them. The centre's file is never rewritten;
"reset settings" deletes the overlay. Writes go to a temporary file first, then replace
the overlay in one rename: a power cut leaves the old file or the new one, never half.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from kiosk.config import (
    FALLBACK_LANG,
    TEXT_SIZE_NAMES,
    Config,
    ConfigError,
    check_display_settings,
    load_config,
)
from kiosk.durable import sync_folder
from kiosk.paths import DEFAULT_CONFIG, LOCALES
from kiosk.session import Screen, Session

log = logging.getLogger(__name__)

OVERLAY_SUFFIX = ".staff.toml"
DATA_DIR_OVERLAY = "settings.staff.toml"


class SettingsRefused(ValueError):
    """Settings that cannot be used or kept; str() is one English sentence, `.key` the
    setting at fault ("" when it is the file)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class StaffSettings:
    languages: tuple[str, ...]  # offered, in the picker's order; "vi" always among them
    text_size: str  # "normal" | "large" | "extra_large"
    volume: int  # 0-100
    idle_timeout: float  # seconds without a touch before "are you still there?"


def overlay_path(cfg: Config) -> Path:
    """Beside the centre's config as `<stem>.staff.toml`, or `<data_dir>/settings.staff.toml`
    when the kiosk runs on the shipped defaults or the config's folder is not writable."""
    source = Path(cfg.source)
    if source.resolve() != DEFAULT_CONFIG.resolve() and os.access(source.parent, os.W_OK):
        return source.with_name(source.stem + OVERLAY_SUFFIX)
    return cfg.data_dir / DATA_DIR_OVERLAY


def translated_languages(locales: Path = LOCALES) -> set[str]:
    """Languages with a catalogue of the kiosk's texts (Vietnamese always)."""
    found = {p.parent.parent.name for p in locales.glob("*/LC_MESSAGES/kiosk.[mp]o")}
    return found | {FALLBACK_LANG}


def text_size_index(name: str) -> int:
    """The position of a text size name in kiosk.session.TEXT_SIZES."""
    return TEXT_SIZE_NAMES.index(name)


def current_settings(cfg: Config) -> StaffSettings:
    return StaffSettings(cfg.languages, cfg.text_size, cfg.volume, cfg.idle_timeout)


def _base(cfg: Config) -> Config:
    """The config as the centre's file (and defaults) make it, without the overlay."""
    source = None if Path(cfg.source).resolve() == DEFAULT_CONFIG.resolve() else cfg.source
    try:
        return load_config(source, cfg.data_dir, staff_overlay=False)
    except ConfigError as exc:
        raise SettingsRefused("", f"the centre's config cannot be read: {exc}") from None


def _checked(table: dict[str, Any], path: Path, base: Config,
             locales: Path = LOCALES) -> dict[str, Any]:
    """The overlay's [kiosk] table as Config fields, by the config's rules; also: only
    languages the centre's config offers and the kiosk has texts for."""
    try:
        checked = check_display_settings(table, path)
    except ConfigError as exc:
        raise SettingsRefused(exc.key, str(exc)) from None
    translated = translated_languages(locales)
    for lang in checked["languages"]:
        if lang not in base.languages:
            raise SettingsRefused("kiosk.languages", f"{path}: kiosk.languages: {lang!r} is "
                                  "not among the languages of the centre's config")
        if lang not in translated:
            raise SettingsRefused("kiosk.languages", f"{path}: kiosk.languages: the kiosk "
                                  f"has no translation for {lang!r}")
    return checked


def apply_overlay(cfg: Config, locales: Path = LOCALES) -> Config:
    """`cfg` with the staff overlay's settings, if there is one (load_config calls this).

    An overlay that cannot be used is logged and left out, so the kiosk still starts with
    the centre's settings; languages the centre's config no longer offers are left out."""
    path = overlay_path(cfg)
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except (FileNotFoundError, NotADirectoryError):
        return cfg
    except OSError as exc:
        if not os.access(path.parent, os.R_OK | os.X_OK):
            return cfg  # the data folder itself is unusable: its own check says so, once
        log.warning("staff settings %s ignored: cannot be read (%s)", path, exc)
        return cfg
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        log.warning("staff settings %s ignored: cannot be read (%s)", path, exc)
        return cfg
    table = raw.get("kiosk")
    if set(raw) != {"kiosk"} or not isinstance(table, dict):
        log.warning("staff settings %s ignored: expected only a [kiosk] table", path)
        return cfg
    langs = table.get("languages")
    if isinstance(langs, list):
        usable = set(cfg.known_languages) & translated_languages(locales)
        kept = [lang for lang in langs if lang in usable]
        if kept != langs:
            left_out = sorted(map(str, set(langs) - usable))
            log.warning("staff settings %s: languages the config no longer offers or without "
                        "texts left out: %s", path, ", ".join(left_out))
            table = {**table, "languages": kept}
    try:
        return replace(cfg, **_checked(table, path, cfg, locales))
    except SettingsRefused as exc:
        log.warning("staff settings ignored: %s", exc)
        return cfg


def save_settings(cfg: Config, settings: StaffSettings, locales: Path = LOCALES) -> Config:
    """Checks `settings`, writes the overlay atomically and returns the Config to use from
    now on (no restart needed). SettingsRefused, with nothing written, when they cannot be
    used or the file cannot be written."""
    path = overlay_path(cfg)
    table = {"languages": list(settings.languages), "text_size": settings.text_size,
             "volume": settings.volume, "idle_timeout": settings.idle_timeout}
    checked = _checked(table, path, _base(cfg), locales)
    _write_atomically(path, _toml(checked))
    return replace(cfg, **checked)


def reset_settings(cfg: Config) -> Config:
    """Deletes the overlay: the centre's config applies again; returns it."""
    base = _base(cfg)
    path = overlay_path(cfg)
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise SettingsRefused("", f"{path}: cannot be removed ({exc.strerror})") from None
    return replace(cfg, **{f.name: getattr(base, f.name) for f in fields(StaffSettings)})


def apply_to_session(cfg: Config, session: Session) -> None:
    """Makes a running Session follow `cfg`'s settings: the next visit starts with them
    (a visit under way keeps its own text size)."""
    session.languages = cfg.languages
    session.idle_timeout = cfg.idle_timeout
    session.default_text_size = text_size_index(cfg.text_size)
    if session.screen is Screen.ATTRACT:
        session.data.text_size = session.default_text_size


def _toml(checked: dict[str, Any]) -> str:
    langs = ", ".join(f'"{lang}"' for lang in checked["languages"])
    # Written by hand: four known keys of known types (tomllib only reads).
    return ("# Set in staff mode on this kiosk (kiosk/kiosk_settings.py); applied over the "
            "centre's config.\n"
            "# Delete this file (or \"Reset settings\" in staff mode) to use the config's "
            "own.\n[kiosk]\n"
            f"languages = [{langs}]\n"
            f"text_size = \"{checked['text_size']}\"\n"
            f"volume = {checked['volume']}\n"
            f"idle_timeout = {checked['idle_timeout']!r}\n")


def _write_atomically(path: Path, text: str) -> None:
    # Temporary files a killed save left behind (only this kiosk writes its overlay).
    for stale in path.parent.glob(f"{path.name}*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise SettingsRefused("", f"{path}: cannot be written ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise SettingsRefused("", f"{path}: cannot be written ({exc.strerror})") from None
    sync_folder(path.parent)
