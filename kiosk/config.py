"""Kiosk settings from TOML: the shipped defaults, overlaid by a centre's own file.

Every problem is reported as one ConfigError naming the file, the key and what was
expected, so staff can fix it from the message alone.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.config_checks import (  # noqa: F401 (ConfigError, LANG_TAG: kiosk.config's own names)
    FALLBACK_LANG,
    LANG_TAG,
    Checker,
    ConfigError,
    is_http_url,
    reject_unknown,
)
from kiosk.config_devices import (  # noqa: F401 (kiosk.config's names too)
    DEFAULT_SPEAKER,
    devices_settings,
    parse_kiosk_printer_url,
)
from kiosk.config_links import (  # noqa: F401 (parse_listen … are kiosk.config's names too)
    LINK_TABLES,
    CentreLinkSettings,
    CentreService,
    ProvinceSettings,
    UpdateSettings,
    centre_link_settings,
    centre_service_settings,
    centre_url_problem,
    is_host_name,
    parse_listen,
    province_settings,
    update_settings,
)
from kiosk.lifecycle import parse_quiet_hour
from kiosk.paths import DEFAULT_CONFIG, ICONS

# `kiosk simulate`'s microphone and speaker unless the config names others.
SIMULATED_MICROPHONE = "sim://voice"
SIMULATED_SPEAKER = "null://"

# [kiosk] text_size: the text size a visit starts at (kiosk/session.py TEXT_SIZES, in order).
TEXT_SIZE_NAMES = ("normal", "large", "extra_large")


@dataclass(frozen=True)
class ServiceArea:
    letter: str
    names: dict[str, str]
    counters: tuple[int, ...]
    icon: str = "ticket"  # a pictogram in assets/icons, for those who read little

    def name(self, lang: str) -> str:
        return localized(self.names, lang)


@dataclass(frozen=True)
class Config:
    centre_names: dict[str, str]
    timezone: str
    languages: tuple[str, ...]
    idle_timeout: float
    idle_countdown: float
    fullscreen: bool
    data_dir: Path
    printer_url: str
    paper_width: int
    printer_profile: str
    printer_tcvn3: bool
    scanner_url: str
    mrz_reader_url: str
    chip_reader: str
    services: tuple[ServiceArea, ...]
    province: ProvinceSettings = field(default_factory=ProvinceSettings)
    scanner_trigger: str = ""  # "honeywell", "zebra-ssi", or "" for none
    # Dossier status (docs/architecture.md, Dossier status): the provider's base URL ("":
    # none, the tile says "not available"), its timeout in seconds, and how long an answer
    # is kept in memory to stand in for it.
    dossier_provider: str = ""
    dossier_timeout: float = 3.0
    dossier_cache_minutes: float = 10.0
    source: str = field(default=str(DEFAULT_CONFIG))
    # [centre_link]: the kiosk issuing through a centre service (kiosk/centre_link.py).
    centre_link: CentreLinkSettings = field(default_factory=lambda: CentreLinkSettings())
    centre_service: CentreService = field(default_factory=CentreService)
    nightly_restart: str = ""  # [kiosk] "HH:MM", local time; "" none (kiosk/lifecycle.py)
    # [kiosk] text_size and volume (0-100): set by the centre's file or staff mode's
    # overlay (kiosk/kiosk_settings.py).
    text_size: str = "normal"
    volume: int = 80
    updates: UpdateSettings = field(default_factory=lambda: UpdateSettings())
    # The centre's [kiosk] languages before the staff overlay narrowed or reordered them
    # (load_config sets it; () = the same as `languages`): what staff may offer, and what
    # content may be written in (a catalogue with English texts stays valid on a kiosk
    # that stopped offering English).
    centre_languages: tuple[str, ...] = ()
    # [devices] microphone and speaker (drivers/audio, by URL like the printer): the
    # studio's microphone ("" none: no recording on this kiosk), and where prompts and
    # number calls play (docs/architecture.md, Voice).
    microphone_url: str = ""
    speaker_url: str = DEFAULT_SPEAKER
    # [devices] printer_raster_strips: drawn text as strips cropped to their ink, placed
    # with GS L (kiosk/ticket_layout.py); False sends each line as one image centred by
    # ESC a, for a printer whose test page shows the letters torn apart.
    printer_raster_strips: bool = True

    @property
    def known_languages(self) -> tuple[str, ...]:
        return self.centre_languages or self.languages

    def now(self) -> datetime:
        """The time at the centre, in its time zone (its date is the numbers' day)."""
        return datetime.now(ZoneInfo(self.timezone))

    def centre_name(self, lang: str) -> str:
        return localized(self.centre_names, lang)

    def service(self, letter: str) -> ServiceArea:
        for area in self.services:
            if area.letter == letter:
                return area
        raise KeyError(letter)

    @property
    def database_path(self) -> Path:
        return self.data_dir / "kiosk.sqlite3"

    # The centre service's own places (docs/architecture.md, Centre): they follow
    # --data-dir unless the config names them.
    @property
    def centre_state_dir(self) -> Path:
        state = self.centre_service.state_dir
        return Path(state).expanduser() if state else self.data_dir / "centre"

    @property
    def updates_dir(self) -> Path:
        """Where signed bundles are installed (kiosk/bundles): [updates] dir, else beside
        the database."""
        folder = self.updates.dir
        return Path(folder).expanduser() if folder else self.data_dir / "updates"

    @property
    def centre_database_url(self) -> str:
        return (self.centre_service.database
                or f"sqlite:///{self.centre_state_dir / 'centre.sqlite3'}")


def with_simulated_audio(cfg: Config) -> Config:
    """`kiosk simulate`'s microphone and speaker: a test signal (sim://voice) and a silent
    speaker (null://) unless the config names a microphone, or a speaker other than the
    default one."""
    return replace(cfg, microphone_url=cfg.microphone_url or SIMULATED_MICROPHONE,
                   speaker_url=(SIMULATED_SPEAKER if cfg.speaker_url == DEFAULT_SPEAKER
                                else cfg.speaker_url))


def localized(texts: dict[str, str], lang: str) -> str:
    """The text in `lang`, else Vietnamese (always present after validation)."""
    return texts.get(lang) or texts[FALLBACK_LANG]


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "lobby-kiosk"


def load_config(path: Path | str | None = None, data_dir: Path | str | None = None,
                staff_overlay: bool = True) -> Config:
    """Defaults, then the file at `path` (if any), then the `data_dir` override, then the
    settings staff chose on the kiosk (kiosk/kiosk_settings.py) unless `staff_overlay` is
    false."""
    raw = _read_toml(DEFAULT_CONFIG)
    source: Path = DEFAULT_CONFIG
    if path is not None:
        source = Path(path)
        user = _read_toml(source)
        raw = _overlay(raw, user)
    cfg = _validate(raw, source)
    if data_dir is not None:
        cfg = replace(cfg, data_dir=Path(data_dir))
    if staff_overlay:
        from kiosk.kiosk_settings import apply_overlay

        cfg = apply_overlay(cfg)
    return cfg


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(path, "", "file not found") from None
    except IsADirectoryError:
        raise ConfigError(path, "", "is a directory, expected a TOML file") from None
    except PermissionError:
        raise ConfigError(path, "", "cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "", f"not valid TOML ({exc})") from None


def _overlay(base: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; anything else (lists included) replaces the default."""
    merged = dict(base)
    for key, value in user.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


KNOWN_KEYS = {
    "": {"centre", "kiosk", "devices", "services"},
    "centre": {"name", "timezone"},
    "kiosk": {"languages", "idle_timeout", "idle_countdown", "fullscreen", "data_dir",
              "nightly_restart", "text_size", "volume"},
    "devices": {"printer", "paper_width", "printer_profile", "printer_tcvn3",
                "printer_raster_strips", "scanner", "scanner_trigger", "mrz_reader",
                "chip_reader", "microphone", "speaker"},
    "services[]": {"letter", "name", "counters", "icon"},
}
KNOWN_KEYS[""] |= set(LINK_TABLES)

def _is_quiet_hour(value: object) -> bool:
    try:
        return isinstance(value, str) and bool(parse_quiet_hour(value))
    except ValueError:
        return False


@cache
def _icon_names() -> list[str]:
    """The pictograms shipped in assets/icons, listed once per process."""
    return sorted(p.stem for p in ICONS.glob("*.png"))


def _service_icon(c: Checker, svc: dict[str, Any], key: str) -> str:
    """The service's pictogram: the name of an icon in assets/icons (without .png)."""
    icon = svc.get("icon", "ticket")
    known = _icon_names()
    if icon not in known:
        raise c.fail(f"{key}.icon", "expected one of the pictograms in assets/icons: "
                     + ", ".join(known), icon)
    return icon


# [dossier] (kiosk/dossier.py): a table of its own, checked by _dossier.
KNOWN_KEYS[""].add("dossier")
KNOWN_KEYS["dossier"] = {"provider", "timeout", "cache_minutes"}


def _dossier(c: Checker, raw: dict[str, Any]) -> dict[str, Any]:
    """The [dossier] table: the provider's base URL, its timeout and the cache's life, as
    Config fields."""
    table = c.table(raw, "dossier")
    reject_unknown(c, table, KNOWN_KEYS["dossier"], "dossier.")
    provider = table.get("provider", "")
    if not isinstance(provider, str):
        raise c.fail("dossier.provider", "expected an http:// or https:// URL, or \"\" for none",
                     provider)
    if provider and not is_http_url(provider, base=True):
        raise c.fail("dossier.provider",
                     "expected an http:// or https:// URL like https://dvc.example.vn/api, "
                     "or \"\" for none", provider)
    timeout = c.number(table.get("timeout", 3), "dossier.timeout", 0.5, 30)
    minutes = table.get("cache_minutes", 10)
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not 0 <= minutes <= 60:
        raise c.fail("dossier.cache_minutes", "expected a number of minutes from 0 to 60", minutes)
    return {"dossier_provider": provider.rstrip("/"), "dossier_timeout": timeout,
            "dossier_cache_minutes": float(minutes)}


def _validate(raw: dict[str, Any], path: Path) -> Config:
    c = Checker(path)
    reject_unknown(c, raw, KNOWN_KEYS[""], "")
    centre = c.table(raw, "centre")
    kiosk = c.table(raw, "kiosk")
    devices = c.table(raw, "devices")
    for name, table in (("centre", centre), ("kiosk", kiosk), ("devices", devices)):
        reject_unknown(c, table, KNOWN_KEYS[name], name + ".")

    names = c.texts(centre.get("name"), "centre.name")
    tz = centre.get("timezone", "Asia/Ho_Chi_Minh")
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise c.fail("centre.timezone", "expected an IANA time zone like Asia/Ho_Chi_Minh",
                     tz) from None

    display = _kiosk_display(c, kiosk)
    countdown = c.number(kiosk.get("idle_countdown"), "kiosk.idle_countdown", 1, 120)
    fullscreen = kiosk.get("fullscreen", True)
    if not isinstance(fullscreen, bool):
        raise c.fail("kiosk.fullscreen", "expected true or false", fullscreen)
    data_dir = kiosk.get("data_dir", "")
    if not isinstance(data_dir, str):
        raise c.fail("kiosk.data_dir", "expected a folder path as text", data_dir)
    if "\0" in data_dir:  # no file system takes it; it would fail later, as a traceback
        raise c.fail("kiosk.data_dir", "expected a folder path without a NUL character")

    nightly = kiosk.get("nightly_restart", "")
    if nightly != "" and not _is_quiet_hour(nightly):
        raise c.fail("kiosk.nightly_restart", "expected a time like \"03:30\" or \"\"",
                     nightly)

    device_fields = devices_settings(c, devices)

    services = raw.get("services")
    if not isinstance(services, list) or not services:
        raise c.fail("services", "expected at least one [[services]] table")
    areas: list[ServiceArea] = []
    for i, svc in enumerate(services):
        key = f"services[{i}]"
        if not isinstance(svc, dict):
            raise c.fail(key, "expected a table", svc)
        reject_unknown(c, svc, KNOWN_KEYS["services[]"], key + ".")
        letter = svc.get("letter")
        if not isinstance(letter, str) or not re.fullmatch(r"[A-Z]", letter):
            raise c.fail(f"{key}.letter", "expected one capital letter A-Z", letter)
        if any(a.letter == letter for a in areas):
            raise c.fail(f"{key}.letter", "expected a letter not used by another service", letter)
        counters = svc.get("counters", [])
        if not isinstance(counters, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in counters
        ):
            raise c.fail(f"{key}.counters", "expected a list of counter numbers", counters)
        areas.append(ServiceArea(letter, c.texts(svc.get("name"), f"{key}.name"),
                                 tuple(counters), _service_icon(c, svc, key)))

    centre_service = centre_service_settings(c, c.table(raw, "centre_service"))
    return Config(
        centre_names=names,
        timezone=str(tz),
        **display,
        idle_countdown=countdown,
        fullscreen=fullscreen,
        data_dir=Path(data_dir).expanduser() if data_dir else default_data_dir(),
        **device_fields,
        services=tuple(areas),
        province=province_settings(c, raw),
        **_dossier(c, raw),
        source=str(path),
        centre_service=centre_service,
        centre_link=centre_link_settings(c, raw),
        nightly_restart=nightly,
        updates=update_settings(c, raw),
        centre_languages=tuple(display["languages"]),
    )


def _kiosk_display(c: Checker, kiosk: dict[str, Any]) -> dict[str, Any]:
    """The [kiosk] keys staff may also set on the kiosk (kiosk/kiosk_settings.py), checked
    the same way there: languages, idle_timeout, text_size and volume, as Config fields."""
    langs = kiosk.get("languages")
    if (not isinstance(langs, list) or not langs
            or not all(isinstance(x, str) and LANG_TAG.match(x) for x in langs)):
        raise c.fail("kiosk.languages", "expected a list of language tags like [\"vi\", \"en\"]",
                     langs)
    if FALLBACK_LANG not in langs:
        raise c.fail("kiosk.languages", "expected the list to include \"vi\"", langs)
    if len(set(langs)) != len(langs):
        raise c.fail("kiosk.languages", "expected each language once", langs)
    idle = c.number(kiosk.get("idle_timeout"), "kiosk.idle_timeout", 5, 3600)
    text_size = kiosk.get("text_size", "normal")
    if text_size not in TEXT_SIZE_NAMES:
        raise c.fail("kiosk.text_size", "expected " + ", ".join(
            f'"{name}"' for name in TEXT_SIZE_NAMES), text_size)
    volume = kiosk.get("volume", 80)
    if isinstance(volume, bool) or not isinstance(volume, int) or not 0 <= volume <= 100:
        raise c.fail("kiosk.volume", "expected a whole number from 0 to 100", volume)
    return {"languages": tuple(langs), "idle_timeout": idle, "text_size": text_size,
            "volume": volume}


def check_display_settings(kiosk: dict[str, Any], path: Path) -> dict[str, Any]:
    """A [kiosk] table of staff settings checked as the config's own: the Config fields, or
    ConfigError naming `path` and the key."""
    c = Checker(path)
    reject_unknown(c, kiosk, {"languages", "idle_timeout", "text_size", "volume"}, "kiosk.")
    return _kiosk_display(c, kiosk)
