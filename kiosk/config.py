"""Kiosk settings from TOML: the shipped defaults, overlaid by a centre's own file.

Every problem is reported as one ConfigError naming the file, the key and what was
expected, so staff can fix it from the message alone.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.lifecycle import parse_quiet_hour
from kiosk.paths import DEFAULT_CONFIG, ICONS

if TYPE_CHECKING:
    from drivers.printer import PrinterUrl

LANG_TAG = re.compile(r"^[a-z]{2,3}$")
FALLBACK_LANG = "vi"
# [kiosk] text_size: the text size a visit starts at (kiosk/session.py TEXT_SIZES, in order).
TEXT_SIZE_NAMES = ("normal", "large", "extra_large")


class ConfigError(Exception):
    """A config file that cannot be used; str() is one line for staff."""

    def __init__(self, path: Path | str, key: str, expected: str) -> None:
        self.path, self.key, self.expected = str(path), key, expected
        # A key is the file's own text: one with a line break or other control character is
        # quoted, so the message stays one line.
        shown = key if key.isprintable() else repr(key)
        where = f"{self.path}: {shown}: " if key else f"{self.path}: "
        super().__init__(where + expected)


@dataclass(frozen=True)
class ProvinceSettings:
    """[province]: where the centre pushes its anonymous events (kiosk/centre/province.py).
    An empty url: nothing is pushed."""

    url: str = ""
    centre_id: str = ""  # the centre's code at the province: the prefix of every event uid
    batch: int = 200  # events per request
    token: str = ""  # sent as a bearer token when set
    max_backoff: float = 300.0  # the longest wait between attempts, in seconds
    poll_interval: float = 5.0  # how often the outbox looks for new events, in seconds
    timeout: float = 30.0  # one request's time limit, in seconds
    # How long an id missing between delivered rows is waited for (a transaction not yet
    # committed) before it is taken as rolled back, in seconds (kiosk/centre/province.py).
    gap_grace: float = 30.0


@dataclass(frozen=True)
class ServiceArea:
    letter: str
    names: dict[str, str]
    counters: tuple[int, ...]
    icon: str = "ticket"  # a pictogram in assets/icons, for those who read little

    def name(self, lang: str) -> str:
        return localized(self.names, lang)


@dataclass(frozen=True)
class CentreService:
    """`[centre_service]`: the centre service of docs/architecture.md, Centre. Empty texts
    mean "beside the kiosk's data": see Config.centre_state_dir and centre_database_url."""

    database: str = ""  # SQLAlchemy URL: postgresql+psycopg://user@host:port/db or sqlite:///…
    listen: tuple[str, int] = ("0.0.0.0", 8443)
    state_dir: str = ""  # the CA, the server's key and certificate (0700)
    hostnames: tuple[str, ...] = ("localhost", "127.0.0.1")  # the certificate's names


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


@dataclass(frozen=True)
class CentreLinkSettings:
    """[centre_link]: where the centre service is and how the kiosk keeps issuing without
    it (docs/architecture.md, Kiosks in a centre). An empty url: a kiosk on its own."""

    url: str = ""
    ca_fingerprint: str = ""  # SHA-256 of the centre's CA certificate, hex (pinned)
    lease_size: int = 20  # numbers per block leased ahead, per service and day
    low_water: int = 5  # a new block is leased when fewer numbers than this are left
    timeout: float = 2.0  # seconds a citizen may wait for the centre before the lease is used
    retry_min: float = 1.0  # seconds between tries to reach the centre, growing ...
    retry_max: float = 30.0  # ... up to this while it stays unreachable

    @property
    def enabled(self) -> bool:
        return bool(self.url)


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


class _Checker:
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


KNOWN_KEYS = {
    "": {"centre", "kiosk", "devices", "services", "centre_service", "centre_link"},
    "centre": {"name", "timezone"},
    "kiosk": {"languages", "idle_timeout", "idle_countdown", "fullscreen", "data_dir",
              "nightly_restart", "text_size", "volume"},
    "devices": {"printer", "paper_width", "printer_profile", "printer_tcvn3", "scanner",
                "scanner_trigger", "mrz_reader", "chip_reader"},
    "services[]": {"letter", "name", "counters", "icon"},
    "centre_link": {"url", "ca_fingerprint", "lease_size", "low_water", "timeout",
                    "retry_min", "retry_max"},
    "centre_service": {"database", "listen", "state_dir", "hostnames"},
}

# [province] (kiosk/centre/province.py): a table of its own, checked by _province.
KNOWN_KEYS[""].add("province")
KNOWN_KEYS["province"] = {"url", "centre_id", "batch", "token", "max_backoff", "poll_interval",
                          "timeout", "gap_grace"}
_CENTRE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _is_quiet_hour(value: object) -> bool:
    try:
        return isinstance(value, str) and bool(parse_quiet_hour(value))
    except ValueError:
        return False


def _is_http_url(url: str, base: bool = False) -> bool:
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


def _province(c: _Checker, raw: dict[str, Any]) -> ProvinceSettings:
    table = c.table(raw, "province")
    _reject_unknown(c, table, KNOWN_KEYS["province"], "province.")
    url = table.get("url", "")
    if not isinstance(url, str):
        raise c.fail("province.url", "expected an http:// or https:// URL, or \"\" for none",
                     url)
    if url and not _is_http_url(url):
        raise c.fail("province.url", "expected an http:// or https:// URL with a host", url)
    centre_id = table.get("centre_id", "")
    if not isinstance(centre_id, str) or (centre_id and not _CENTRE_ID.fullmatch(centre_id)):
        raise c.fail("province.centre_id", "expected the centre's code: letters, digits, "
                     "'.', '_' or '-', at most 64", centre_id)
    if url and not centre_id:
        raise c.fail("province.centre_id", "expected the centre's code when province.url is set")
    batch = table.get("batch", 200)
    if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= 10000:
        raise c.fail("province.batch", "expected a number of events from 1 to 10000", batch)
    token = table.get("token", "")
    if not isinstance(token, str) or not token.isprintable() or " " in token:
        raise c.fail("province.token", "expected the bearer token as text without spaces")
    return ProvinceSettings(
        url=url, centre_id=centre_id, batch=batch, token=token,
        max_backoff=c.number(table.get("max_backoff", 300), "province.max_backoff", 1, 86400),
        poll_interval=c.number(table.get("poll_interval", 5), "province.poll_interval",
                               0.1, 3600),
        timeout=c.number(table.get("timeout", 30), "province.timeout", 1, 600),
        gap_grace=c.number(table.get("gap_grace", 30), "province.gap_grace", 0.1, 3600))


def _reject_unknown(c: _Checker, table: dict[str, Any], allowed: set[str], prefix: str) -> None:
    # A misspelt key would otherwise be ignored silently and the default used.
    for key in table:
        if key not in allowed:
            raise c.fail(prefix + key, "unknown key; expected one of " + ", ".join(sorted(allowed)))


def _optional_url(c: _Checker, devices: dict[str, Any], key: str, what: str, module: str,
                  parser: str) -> str:
    """A device URL that may be empty (no such device), checked by its driver's parser
    (imported only when the key is set: the ID-card driver brings `cryptography`)."""
    value = devices.get(key, "")
    if not isinstance(value, str):
        raise c.fail(f"devices.{key}", f"expected {what} or \"\" for none", value)
    if value:
        import importlib

        try:
            getattr(importlib.import_module(module), parser)(value)
        except ValueError as exc:
            raise c.fail(f"devices.{key}", str(exc)) from None
    return value


def _scanner_trigger(c: _Checker, devices: dict[str, Any], scanner: str) -> str:
    """How the kiosk starts and stops the scanner reading: "" (it reads by itself),
    "honeywell" or "zebra-ssi" (host trigger commands over its serial link)."""
    value = devices.get("scanner_trigger", "")
    if value == "":
        return value
    from drivers.scanner import TRIGGERS  # only now: the scanner driver is not needed before

    if value not in TRIGGERS:
        raise c.fail("devices.scanner_trigger",
                     f"expected {' or '.join(repr(t) for t in TRIGGERS)}, or \"\" for none", value)
    if scanner.lower().startswith("evdev:"):
        raise c.fail("devices.scanner_trigger",
                     "a keyboard-wedge (evdev://) scanner cannot take a host trigger")
    return value


@cache
def _icon_names() -> list[str]:
    """The pictograms shipped in assets/icons, listed once per process."""
    return sorted(p.stem for p in ICONS.glob("*.png"))


def _service_icon(c: _Checker, svc: dict[str, Any], key: str) -> str:
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


def _dossier(c: _Checker, raw: dict[str, Any]) -> dict[str, Any]:
    """The [dossier] table: the provider's base URL, its timeout and the cache's life, as
    Config fields."""
    table = c.table(raw, "dossier")
    _reject_unknown(c, table, KNOWN_KEYS["dossier"], "dossier.")
    provider = table.get("provider", "")
    if not isinstance(provider, str):
        raise c.fail("dossier.provider", "expected an http:// or https:// URL, or \"\" for none",
                     provider)
    if provider and not _is_http_url(provider, base=True):
        raise c.fail("dossier.provider",
                     "expected an http:// or https:// URL like https://dvc.example.vn/api, "
                     "or \"\" for none", provider)
    timeout = c.number(table.get("timeout", 3), "dossier.timeout", 0.5, 30)
    minutes = table.get("cache_minutes", 10)
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not 0 <= minutes <= 60:
        raise c.fail("dossier.cache_minutes", "expected a number of minutes from 0 to 60", minutes)
    return {"dossier_provider": provider.rstrip("/"), "dossier_timeout": timeout,
            "dossier_cache_minutes": float(minutes)}


def parse_kiosk_printer_url(url: str) -> PrinterUrl:
    """drivers.printer.parse_printer_url, with the simulated printer's sim:// offered too:
    drivers.sim registers it, and is imported only for such a URL."""
    from drivers.printer import parse_printer_url

    if url.strip().lower().startswith("sim:"):
        import drivers.sim  # noqa: F401
    return parse_printer_url(url)


def _validate(raw: dict[str, Any], path: Path) -> Config:
    c = _Checker(path)
    _reject_unknown(c, raw, KNOWN_KEYS[""], "")
    centre = c.table(raw, "centre")
    kiosk = c.table(raw, "kiosk")
    devices = c.table(raw, "devices")
    for name, table in (("centre", centre), ("kiosk", kiosk), ("devices", devices)):
        _reject_unknown(c, table, KNOWN_KEYS[name], name + ".")

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

    printer = devices.get("printer")
    if not isinstance(printer, str) or "://" not in printer:
        raise c.fail("devices.printer", "expected a device URL like tcp://10.0.0.5:9100", printer)
    from drivers.printer import PrinterError

    try:
        parse_kiosk_printer_url(printer)
    except (ValueError, PrinterError) as exc:
        raise c.fail("devices.printer", str(exc)) from None
    width = devices.get("paper_width", 576)
    if width not in (384, 576) or isinstance(width, bool):
        raise c.fail("devices.paper_width", "expected 576 (80 mm paper) or 384 (58 mm)", width)

    profile = devices.get("printer_profile", "TM-T20II")
    from drivers.printer.job import profile_class

    try:
        if not isinstance(profile, str) or not profile:
            raise ValueError
        profile_class(profile)
    except ValueError:
        raise c.fail("devices.printer_profile",
                     "expected a python-escpos printer profile name such as TM-T20II",
                     profile) from None
    tcvn3 = devices.get("printer_tcvn3", False)
    if not isinstance(tcvn3, bool):
        raise c.fail("devices.printer_tcvn3", "expected true or false", tcvn3)

    scanner = _optional_url(c, devices, "scanner", "a scanner URL",
                            "drivers.scanner", "parse_scanner_url")
    scanner_trigger = _scanner_trigger(c, devices, scanner)
    mrz_reader = _optional_url(c, devices, "mrz_reader", "an MRZ reader URL",
                               "drivers.idcard", "parse_reader_url")

    chip_reader = devices.get("chip_reader", "")
    if not isinstance(chip_reader, str):
        raise c.fail("devices.chip_reader", "expected a PC/SC reader name, \"*\" or \"\"",
                     chip_reader)

    services = raw.get("services")
    if not isinstance(services, list) or not services:
        raise c.fail("services", "expected at least one [[services]] table")
    areas: list[ServiceArea] = []
    for i, svc in enumerate(services):
        key = f"services[{i}]"
        if not isinstance(svc, dict):
            raise c.fail(key, "expected a table", svc)
        _reject_unknown(c, svc, KNOWN_KEYS["services[]"], key + ".")
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

    centre_service = _centre_service(c, c.table(raw, "centre_service"))
    return Config(
        centre_names=names,
        timezone=str(tz),
        **display,
        idle_countdown=countdown,
        fullscreen=fullscreen,
        data_dir=Path(data_dir).expanduser() if data_dir else default_data_dir(),
        printer_url=printer,
        paper_width=int(width),
        printer_profile=profile,
        printer_tcvn3=tcvn3,
        scanner_url=scanner,
        mrz_reader_url=mrz_reader,
        chip_reader=chip_reader,
        services=tuple(areas),
        province=_province(c, raw),
        scanner_trigger=scanner_trigger,
        **_dossier(c, raw),
        source=str(path),
        centre_service=centre_service,
        centre_link=_centre_link(c, raw),
        nightly_restart=nightly,
        updates=_updates(c, raw),
        centre_languages=tuple(display["languages"]),
    )


def _kiosk_display(c: _Checker, kiosk: dict[str, Any]) -> dict[str, Any]:
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
    c = _Checker(path)
    _reject_unknown(c, kiosk, {"languages", "idle_timeout", "text_size", "volume"}, "kiosk.")
    return _kiosk_display(c, kiosk)


# --- [centre_service] (docs/architecture.md, Centre) ---------------------------------------

DATABASE_SCHEMES = ("postgresql+psycopg://", "sqlite:///")
_DNS_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.IGNORECASE)


def parse_listen(text: str) -> tuple[str, int]:
    """"HOST:PORT" ("0.0.0.0:8443", "[::]:8443", "centre.lan:8443") as (host, port);
    ValueError says what is wrong."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isascii() or not port.isdigit():
        raise ValueError("expected HOST:PORT, e.g. 0.0.0.0:8443")
    if not 1 <= int(port) <= 65535:
        raise ValueError("expected a port from 1 to 65535")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not is_host_name(host):
        raise ValueError("expected a host name or an IP address before the port")
    return host, int(port)


def is_host_name(text: str) -> bool:
    """An IP address or a DNS name: what a certificate's subject names may hold."""
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        labels = text.rstrip(".").split(".")
        # An all-digit last label is a mistyped address, not a name (RFC 3696, section 2).
        return (len(text) <= 253 and all(_DNS_LABEL.fullmatch(label) for label in labels)
                and not labels[-1].isdigit())


def _centre_service(c: _Checker, table: dict[str, Any]) -> CentreService:
    _reject_unknown(c, table, KNOWN_KEYS["centre_service"], "centre_service.")
    default = CentreService()
    database = table.get("database", default.database)
    if (not isinstance(database, str) or not database.isprintable()
            or (database and not database.startswith(DATABASE_SCHEMES))):
        raise c.fail("centre_service.database",
                     "expected \"\" or a URL like postgresql+psycopg://kiosk@127.0.0.1:5432/"
                     "kiosk or sqlite:////var/lib/kiosk/centre.sqlite3", database)
    listen = table.get("listen", "{}:{}".format(*default.listen))
    try:
        if not isinstance(listen, str):
            raise ValueError("expected HOST:PORT as text, e.g. \"0.0.0.0:8443\"")
        host_port = parse_listen(listen)
    except ValueError as exc:
        raise c.fail("centre_service.listen", str(exc), listen) from None
    state_dir = table.get("state_dir", default.state_dir)
    if not isinstance(state_dir, str) or "\0" in state_dir:
        raise c.fail("centre_service.state_dir", "expected a folder path as text", state_dir)
    names = table.get("hostnames", list(default.hostnames))
    if (not isinstance(names, list) or not names
            or not all(isinstance(n, str) and is_host_name(n) for n in names)):
        raise c.fail("centre_service.hostnames", "expected a list of the centre's host names "
                     "and IP addresses, e.g. [\"centre.lan\", \"192.168.1.10\"]", names)
    return CentreService(database, host_port, state_dir, tuple(dict.fromkeys(names)))


def centre_url_problem(url: str) -> str | None:
    """Why `url` cannot be a centre's address (None when it can): https only."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return "expected a URL like https://centre.local:8443"
    if parts.scheme != "https" or not parts.hostname:
        return "expected a URL like https://centre.local:8443 (the link is always encrypted)"
    return None


def _centre_link(c: _Checker, raw: dict[str, Any]) -> CentreLinkSettings:
    """[centre_link], checked whole: an https URL and its CA's pin go together."""
    link = c.table(raw, "centre_link")
    _reject_unknown(c, link, KNOWN_KEYS["centre_link"], "centre_link.")
    url = link.get("url", "")
    if not isinstance(url, str):
        raise c.fail("centre_link.url", "expected the centre's https:// URL or \"\" for none", url)
    url = url.strip().rstrip("/")
    fingerprint = link.get("ca_fingerprint", "")
    if not isinstance(fingerprint, str):
        raise c.fail("centre_link.ca_fingerprint", "expected 64 hex digits", fingerprint)
    # As staff may type it (kiosk/centre/pki.py normalise_fingerprint): any case, with or
    # without colons, spaces or dashes.
    fingerprint = "".join(ch for ch in fingerprint if ch not in ": \t-").lower()
    if url:
        problem = centre_url_problem(url)
        if problem:
            raise c.fail("centre_link.url", problem, url)
        if not re.fullmatch(r"[0-9a-f]{64}", fingerprint):
            raise c.fail("centre_link.ca_fingerprint", "expected the SHA-256 fingerprint "
                         "(64 hex digits) `kiosk centre init` printed", link.get("ca_fingerprint"))
    elif fingerprint and not re.fullmatch(r"[0-9a-f]{64}", fingerprint):
        raise c.fail("centre_link.ca_fingerprint", "expected 64 hex digits",
                     link.get("ca_fingerprint"))

    def count(key: str, default: int, low: int, high: int) -> int:
        value = link.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise c.fail(f"centre_link.{key}", f"expected a whole number from {low} to {high}",
                         value)
        return value

    size = count("lease_size", 20, 1, 500)
    low_water = count("low_water", 5, 0, 500)
    if low_water >= size:
        raise c.fail("centre_link.low_water", f"expected fewer than lease_size ({size})",
                     low_water)
    timeout = c.number(link.get("timeout", 2.0), "centre_link.timeout", 0.1, 60)
    retry_min = c.number(link.get("retry_min", 1.0), "centre_link.retry_min", 0.1, 600)
    retry_max = c.number(link.get("retry_max", 30.0), "centre_link.retry_max", retry_min, 3600)
    return CentreLinkSettings(url, fingerprint, size, low_water, timeout, retry_min, retry_max)


# --- [updates] (docs/architecture.md, Updates) ---------------------------------------------

@dataclass(frozen=True)
class UpdateSettings:
    """[updates]: signed bundles (kiosk/bundles), where they come from and how a new app
    version is tried."""

    dir: str = ""  # "": <data_dir>/updates (Config.updates_dir)
    trusted_keys: tuple[str, ...] = ()  # "ed25519:<64 hex>" public keys
    size_cap_mb: int = 2048  # the largest unpacked size of a bundle
    trial_seconds: float = 120  # a new app version must report healthy this soon ...
    trial_starts: int = 3  # ... in at most this many starts, or it is rolled back
    url: str = ""  # the update server's base URL; "" none
    usb_dirs: tuple[str, ...] = ("/media", "/run/media", "/mnt")  # where USB sticks mount
    bandwidth_kbps: int = 0  # download cap in kilobytes per second, 0 none
    check_minutes: float = 30  # how often to look for updates while idle


KNOWN_KEYS[""].add("updates")
KNOWN_KEYS["updates"] = {"dir", "trusted_keys", "size_cap_mb", "trial_seconds", "trial_starts",
                         "url", "usb_dirs", "bandwidth_kbps", "check_minutes"}
TRUSTED_KEY = re.compile(r"ed25519:[0-9a-f]{64}")


def _updates(c: _Checker, raw: dict[str, Any]) -> UpdateSettings:
    table = c.table(raw, "updates")
    _reject_unknown(c, table, KNOWN_KEYS["updates"], "updates.")
    default = UpdateSettings()

    def whole(key: str, low: int, high: int, what: str) -> int:
        value = table.get(key, getattr(default, key))
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise c.fail(f"updates.{key}", f"expected {what} from {low} to {high}", value)
        return value

    def folders(key: str) -> tuple[str, ...]:
        value = table.get(key, list(getattr(default, key)))
        if not isinstance(value, list) or not all(
                isinstance(v, str) and v and "\0" not in v for v in value):
            raise c.fail(f"updates.{key}", "expected a list of folder paths", value)
        return tuple(value)

    folder = table.get("dir", "")
    if not isinstance(folder, str) or "\0" in folder:
        raise c.fail("updates.dir", "expected a folder path as text, or \"\" for "
                     "<data_dir>/updates", folder)
    keys = table.get("trusted_keys", [])
    if not isinstance(keys, list) or not all(
            isinstance(k, str) and TRUSTED_KEY.fullmatch(k.strip().lower()) for k in keys):
        raise c.fail("updates.trusted_keys", "expected a list of public keys like "
                     "\"ed25519:<64 hex digits>\", as `kiosk bundle keygen` printed them", keys)
    url = table.get("url", "")
    if not isinstance(url, str) or (url and not _is_http_url(url, base=True)):
        raise c.fail("updates.url", "expected an http:// or https:// URL like "
                     "https://updates.example.vn/kiosk, or \"\" for none", url)
    minutes = table.get("check_minutes", default.check_minutes)
    if (isinstance(minutes, bool) or not isinstance(minutes, int | float)
            or not 1 <= minutes <= 1440):
        raise c.fail("updates.check_minutes", "expected a number of minutes from 1 to 1440",
                     minutes)
    return UpdateSettings(
        dir=folder,
        trusted_keys=tuple(dict.fromkeys(k.strip().lower() for k in keys)),
        size_cap_mb=whole("size_cap_mb", 1, 65536, "a number of megabytes"),
        trial_seconds=c.number(table.get("trial_seconds", default.trial_seconds),
                               "updates.trial_seconds", 1, 3600),
        trial_starts=whole("trial_starts", 1, 20, "a number of starts"),
        url=url.rstrip("/"),
        usb_dirs=folders("usb_dirs"),
        bandwidth_kbps=whole("bandwidth_kbps", 0, 10_000_000, "kilobytes per second (0: no cap)"),
        check_minutes=float(minutes),
    )
