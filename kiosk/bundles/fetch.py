"""Getting bundles over HTTP(S): the server's index, and downloads that resume.

docs/architecture.md, Getting bundles. A download keeps what it has in `<dest>.part` and
what it asked for in `<dest>.part.json` (URL, the server's ETag and Last-Modified, the
size and sha256 the index gave). After a dropped connection, or in a new process after a
restart, it asks only for the missing bytes (`Range`), with `If-Range` so that a file
changed on the server in between comes back whole instead of spliced onto old bytes. The
finished file must have the index's size and sha256, or the .part is removed. The
signature is not checked here: verify_bundle does that before anything is installed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from kiosk.bundles.manifest import KINDS, version_key
from kiosk.durable import write_atomic

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]

_MAX_INDEX_BYTES = 1 << 20
_MAX_SIZE = 1 << 40  # larger than any bundle: a size past it is garbage, not a bundle
_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_UNSATISFIED = re.compile(r"bytes \*/(\d+)")
_INDEX_KEYS = {"kind", "version", "file", "size", "sha256"}
_MAX_RESTARTS = 3  # the file changed under us this many times in one download: give up


class FetchError(Exception):
    """Getting a bundle failed; str() is one English sentence for staff."""


class DownloadError(FetchError):
    pass


class DownloadCancelled(FetchError):
    pass


class BadIndex(FetchError):
    pass


def check_url(url: str) -> str:
    """The update server's base URL, refused unless http:// or https:// with a host."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise FetchError(f"{url!r} is not a URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchError(f"{url!r}: the update server must be an http:// or https:// URL")
    return url


def _tls(verify: bool | str | ssl.SSLContext) -> bool | ssl.SSLContext:
    # True: the system's CA certificates (what the commune's admin manages, /etc/ssl/certs),
    # not httpx's bundled certifi list. A str is a CA file for a private server.
    if verify is True:
        return ssl.create_default_context()
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return verify


# -- the server's index --------------------------------------------------------------------

@dataclass(frozen=True)
class IndexEntry:
    kind: str
    version: str
    file: str  # relative to the server's base URL
    size: int
    sha256: str
    url: str  # the file's full URL


def parse_index(data: bytes, base_url: str) -> list[IndexEntry]:
    """`{"bundles": [{"kind", "version", "file", "size", "sha256"}]}`, checked strictly:
    anything else raises BadIndex naming the first problem."""
    if len(data) > _MAX_INDEX_BYTES:
        raise BadIndex(f"the index is larger than {_MAX_INDEX_BYTES} bytes")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadIndex("the index is not UTF-8 JSON") from None
    if not isinstance(doc, dict) or set(doc) != {"bundles"} or not isinstance(doc["bundles"],
                                                                             list):
        raise BadIndex('the index must be an object with one key, "bundles", holding a list')
    base = base_url.rstrip("/")
    entries: list[IndexEntry] = []
    seen: set[tuple[str, tuple[int, ...]]] = set()
    for n, item in enumerate(doc["bundles"], 1):
        entry = _index_entry(item, n, base)
        key = (entry.kind, version_key(entry.version))
        if key in seen:
            raise BadIndex(f"index entry {n}: {entry.kind} {entry.version} is listed twice")
        seen.add(key)
        entries.append(entry)
    return entries


def _index_entry(item: object, n: int, base: str) -> IndexEntry:
    where = f"index entry {n}"
    if not isinstance(item, dict) or set(item) != _INDEX_KEYS:
        raise BadIndex(f"{where}: must have exactly the keys {sorted(_INDEX_KEYS)}")
    kind, version, file, size, sha = (item[k] for k in ("kind", "version", "file", "size",
                                                         "sha256"))
    if kind not in KINDS:
        raise BadIndex(f"{where}: kind must be one of {', '.join(KINDS)}")
    try:
        version_key(version)
    except ValueError:
        raise BadIndex(f"{where}: version must be dotted integers like 1.2.3") from None
    if not isinstance(file, str) or len(file) > 255 or not _FILE.fullmatch(file):
        raise BadIndex(f"{where}: file must be a plain relative name (letters, digits, "
                       "'.', '_', '-', '/'; no '..', no scheme)")
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= _MAX_SIZE:
        raise BadIndex(f"{where}: size must be a positive whole number of bytes")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise BadIndex(f"{where}: sha256 must be 64 lowercase hex digits")
    return IndexEntry(kind, version, file, size, sha, f"{base}/{file}")


def fetch_index(url: str, *, timeout: float = 30.0,
                verify: bool | str | ssl.SSLContext = True) -> list[IndexEntry]:
    """GET `{url}/index.json` and parse it. FetchError for an unreachable server, an
    answer other than 200, or a bad index."""
    check_url(url)
    index_url = url.rstrip("/") + "/index.json"
    try:
        with httpx.Client(verify=_tls(verify), timeout=timeout) as client, \
                client.stream("GET", index_url) as answer:
            if answer.status_code != 200:
                raise FetchError(f"{index_url}: the server answered {answer.status_code}")
            data = bytearray()
            for chunk in answer.iter_bytes():
                data += chunk
                if len(data) > _MAX_INDEX_BYTES:
                    raise BadIndex(f"{index_url}: the index is larger than "
                                   f"{_MAX_INDEX_BYTES} bytes")
    except httpx.HTTPError as exc:
        raise FetchError(f"{index_url}: {exc or type(exc).__name__}") from None
    try:
        return parse_index(bytes(data), url)
    except BadIndex as exc:
        raise BadIndex(f"{index_url}: {exc}") from None


# -- the bandwidth cap ---------------------------------------------------------------------

class RateLimiter:
    """A token bucket: `rate` bytes per second on average, bursts of at most `burst`
    bytes. take(n) says how long to wait after n bytes; the clock is injectable."""

    def __init__(self, rate: float, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.burst = float(burst) if burst is not None else max(1.0, self.rate / 4)
        self._clock = clock
        self._tokens = self.burst
        self._last = clock()

    def take(self, n: int) -> float:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        self._tokens -= n
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


# -- downloads -----------------------------------------------------------------------------

@dataclass
class _Meta:
    url: str
    size: int | None
    sha256: str | None
    etag: str | None = None
    last_modified: str | None = None


def part_paths(dest: Path) -> tuple[Path, Path]:
    """`<dest>.part` (the bytes so far) and `<dest>.part.json` (what they are)."""
    return dest.with_name(dest.name + ".part"), dest.with_name(dest.name + ".part.json")


def _load_meta(path: Path) -> _Meta | None:
    try:
        doc = json.loads(path.read_text("utf-8"))
        return _Meta(**{k: doc.get(k) for k in ("url", "size", "sha256", "etag",
                                                "last_modified")})
    except (OSError, ValueError, TypeError, AttributeError):
        return None  # none, or not ours: the download starts afresh


def _save_meta(path: Path, meta: _Meta) -> None:
    write_atomic(path, json.dumps(asdict(meta)).encode())


def _discard(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


class _Restart(Exception):
    """The server's bytes do not continue ours: start from zero."""


class _Transient(Exception):
    """A server error that may pass (5xx): retry after a pause."""


class _Download:
    def __init__(self, url: str, dest: Path, meta: _Meta, limiter: RateLimiter | None,
                 progress: Progress | None, waiter: threading.Event,
                 cancel: threading.Event | None) -> None:
        self.url, self.dest, self.meta = url, dest, meta
        self.part, self.meta_path = part_paths(dest)
        self.limiter, self.progress, self.waiter, self.cancel = limiter, progress, waiter, cancel
        self.received = 0  # body bytes written in this attempt

    def attempt(self, client: httpx.Client) -> bool:
        """One request; True once the .part holds the whole file (as far as we know)."""
        self.received = 0
        offset = _size(self.part)
        expected = self.meta.size
        if expected is not None and offset > expected:
            raise _Restart
        if expected is not None and offset == expected and offset > 0:
            return True
        headers = {}
        if offset:
            headers["Range"] = f"bytes={offset}-"
            # If-Range takes a strong ETag or a date; a weak ETag would make it useless.
            etag = self.meta.etag
            validator = etag if etag and not etag.startswith("W/") else self.meta.last_modified
            if validator:
                headers["If-Range"] = validator
        with client.stream("GET", self.url, headers=headers) as answer:
            status = answer.status_code
            if status == 416:
                found = _UNSATISFIED.fullmatch(answer.headers.get("content-range", ""))
                if offset and found and int(found[1]) == offset:
                    return True  # we already have every byte
                raise _Restart
            if status >= 500:
                raise _Transient(f"the server answered {status}")
            if status == 206:
                total = self._continuation(answer, offset)
                mode = "ab"
            elif status == 200:
                # A fresh whole file: the server ignored Range, or If-Range saw a change.
                offset, mode = 0, "wb"
                length = answer.headers.get("content-length")
                total = int(length) if length and length.isdigit() else expected
                if expected is not None and total is not None and total != expected:
                    raise DownloadError(f"{self.url}: the server's file has {total} bytes, "
                                        f"the index says {expected}")
                self.meta.etag = answer.headers.get("etag")
                self.meta.last_modified = answer.headers.get("last-modified")
                _save_meta(self.meta_path, self.meta)
            else:
                raise DownloadError(f"{self.url}: the server answered {status} "
                                    f"{answer.reason_phrase}".rstrip())
            return self._body(answer, offset, total, mode)

    def _continuation(self, answer: httpx.Response, offset: int) -> int:
        found = _CONTENT_RANGE.fullmatch(answer.headers.get("content-range", ""))
        etag = answer.headers.get("etag")
        if (found is None or int(found[1]) != offset
                or (self.meta.etag and etag and etag != self.meta.etag)
                or (self.meta.size is not None and int(found[3]) != self.meta.size)):
            raise _Restart  # not the rest of the bytes we have
        return int(found[3])

    def _body(self, answer: httpx.Response, offset: int, total: int | None, mode: str) -> bool:
        done = offset
        # Unbuffered, and iter_raw() without a chunk size (which would hold back a partial
        # chunk when the connection drops): every byte received is in the file, even if
        # this process is killed right after.
        with open(self.part, mode, buffering=0) as out:
            for data in answer.iter_raw():
                if self.cancel is not None and self.cancel.is_set():
                    raise DownloadCancelled(f"download of {self.url} stopped")
                out.write(data)
                done += len(data)
                self.received += len(data)
                if total is not None and done > total:
                    raise _Restart
                if self.progress is not None:
                    self.progress(done, total if total is not None else 0, "download")
                if self.limiter is not None:
                    pause = self.limiter.take(len(data))
                    if pause and self.waiter.wait(pause):
                        raise DownloadCancelled(f"download of {self.url} stopped")
        return total is None or done >= total

    def finish(self) -> Path:
        got = _size(self.part)
        name = self.dest.name
        if self.meta.size is not None and got != self.meta.size:
            _discard(self.part, self.meta_path)
            raise DownloadError(f"{name}: downloaded {got} bytes but the index says "
                                f"{self.meta.size}; removed it, download it again")
        if self.meta.sha256 is not None:
            digest = hashlib.sha256()
            with open(self.part, "rb") as f:
                while block := f.read(1 << 20):
                    digest.update(block)
            if digest.hexdigest() != self.meta.sha256:
                _discard(self.part, self.meta_path)
                raise DownloadError(f"{name}: the downloaded file's sha256 does not match "
                                    "the index; removed it, download it again")
        os.replace(self.part, self.dest)
        _discard(self.meta_path)
        if self.progress is not None:
            self.progress(got, got, "download")
        return self.dest


def download(url: str, dest: Path | str, *, size: int | None = None,
             sha256: str | None = None, bandwidth_kbps: float = 0,
             progress: Progress | None = None, timeout: float = 30.0,
             verify: bool | str | ssl.SSLContext = True, retries: int = 5,
             cancel: threading.Event | None = None,
             clock: Callable[[], float] = time.monotonic) -> Path:
    """Download `url` to `dest`, resuming `dest.part` if one for the same URL (and size and
    sha256) is there. `bandwidth_kbps`: a cap in kilobytes (1000 bytes) per second, 0 none.
    `retries`: attempts in a row that bring no new byte before giving up (a drop after
    some bytes retries at once). `cancel` set: stops soon with DownloadCancelled, the .part
    kept. Returns `dest`; raises DownloadError (one sentence) when it cannot."""
    check_url(url)
    dest = Path(dest)
    try:
        return _download(url, dest, size, sha256, bandwidth_kbps, progress, timeout, verify,
                         retries, cancel, clock)
    except OSError as exc:  # this side's disk: full, read-only, not a folder
        raise DownloadError(f"{dest}: cannot be written ({exc.strerror or exc})") from None


def _download(url: str, dest: Path, size: int | None, sha256: str | None,
              bandwidth_kbps: float, progress: Progress | None, timeout: float,
              verify: bool | str | ssl.SSLContext, retries: int,
              cancel: threading.Event | None, clock: Callable[[], float]) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    part, meta_path = part_paths(dest)
    meta = _load_meta(meta_path)
    if (meta is None or meta.url != url
            or (None not in (size, meta.size) and meta.size != size)
            or (None not in (sha256, meta.sha256) and meta.sha256 != sha256)):
        _discard(part, meta_path)
        meta = _Meta(url, size, sha256)
    else:  # the same file as far as we know: what we learnt since fills in the gaps
        meta.size = size if size is not None else meta.size
        meta.sha256 = sha256 if sha256 is not None else meta.sha256
        if _size(part):
            log.info("resuming %s from byte %d", dest.name, _size(part))
    _save_meta(meta_path, meta)
    limiter = RateLimiter(bandwidth_kbps * 1000, clock=clock) if bandwidth_kbps > 0 else None
    job = _Download(url, dest, meta, limiter, progress, cancel or threading.Event(), cancel)
    failures = restarts = 0
    last = ""
    with httpx.Client(verify=_tls(verify), timeout=timeout, follow_redirects=False,
                      headers={"Accept-Encoding": "identity"}) as client:
        while True:
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled(f"download of {url} stopped")
            try:
                if job.attempt(client):
                    return job.finish()
                last = "the connection ended early"
            except _Restart:
                restarts += 1
                if restarts > _MAX_RESTARTS:
                    _discard(part)
                    raise DownloadError(f"{url}: the file keeps changing on the server; "
                                        "try again later") from None
                log.info("%s changed on the server or cannot be resumed: starting over",
                         dest.name)
                _discard(part)
                meta.etag = meta.last_modified = None
                _save_meta(meta_path, meta)
                continue
            except _Transient as exc:
                last = str(exc)
            except httpx.TransportError as exc:
                last = str(exc) or type(exc).__name__
            if job.received:
                failures = 0
                continue  # it moved on: resume at once
            failures += 1
            if failures > retries:
                raise DownloadError(f"{url}: download failed ({last}); what was fetched is "
                                    "kept and the next try resumes it")
            if job.waiter.wait(min(5.0, 0.25 * 2 ** (failures - 1))):
                raise DownloadCancelled(f"download of {url} stopped")

