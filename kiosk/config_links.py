"""Config tables for what lies beyond this kiosk: the province's endpoint ([province]),
the centre service ([centre_service]) and the link to it ([centre_link]), and signed
updates ([updates]). kiosk/config.py reads them into Config."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from kiosk.config_checks import Checker, is_http_url, reject_unknown

# Each table's known keys (a misspelt one is refused, not ignored).
LINK_TABLES: dict[str, set[str]] = {
    "province": {"url", "centre_id", "batch", "token", "max_backoff", "poll_interval",
                 "timeout", "gap_grace"},
    "centre_service": {"database", "listen", "state_dir", "hostnames"},
    "centre_link": {"url", "ca_fingerprint", "lease_size", "low_water", "timeout",
                    "retry_min", "retry_max"},
}
_CENTRE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


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
class CentreService:
    """`[centre_service]`: the centre service of docs/architecture.md, Centre. Empty texts
    mean "beside the kiosk's data": see Config.centre_state_dir and centre_database_url."""

    database: str = ""  # SQLAlchemy URL: postgresql+psycopg://user@host:port/db or sqlite:///…
    listen: tuple[str, int] = ("0.0.0.0", 8443)
    state_dir: str = ""  # the CA, the server's key and certificate (0700)
    hostnames: tuple[str, ...] = ("localhost", "127.0.0.1")  # the certificate's names


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


def province_settings(c: Checker, raw: dict[str, Any]) -> ProvinceSettings:
    table = c.table(raw, "province")
    reject_unknown(c, table, LINK_TABLES["province"], "province.")
    url = table.get("url", "")
    if not isinstance(url, str):
        raise c.fail("province.url", "expected an http:// or https:// URL, or \"\" for none",
                     url)
    if url and not is_http_url(url):
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


def centre_service_settings(c: Checker, table: dict[str, Any]) -> CentreService:
    reject_unknown(c, table, LINK_TABLES["centre_service"], "centre_service.")
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


def centre_link_settings(c: Checker, raw: dict[str, Any]) -> CentreLinkSettings:
    """[centre_link], checked whole: an https URL and its CA's pin go together."""
    link = c.table(raw, "centre_link")
    reject_unknown(c, link, LINK_TABLES["centre_link"], "centre_link.")
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


LINK_TABLES["updates"] = {"dir", "trusted_keys", "size_cap_mb", "trial_seconds", "trial_starts",
                         "url", "usb_dirs", "bandwidth_kbps", "check_minutes"}
TRUSTED_KEY = re.compile(r"ed25519:[0-9a-f]{64}")


def update_settings(c: Checker, raw: dict[str, Any]) -> UpdateSettings:
    table = c.table(raw, "updates")
    reject_unknown(c, table, LINK_TABLES["updates"], "updates.")
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
    if not isinstance(url, str) or (url and not is_http_url(url, base=True)):
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
