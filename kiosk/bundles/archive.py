"""Reading a bundle: every check before anything is unpacked, and the same checks again
while it is unpacked.

A bundle is a tar (plain or gzip), suffix .kbundle, holding manifest.json, then
manifest.sig, then payload/<files> (the builder writes them in that order and the reader
requires it: the signature is checked before a single payload header is read, so an
unsigned archive can make the kiosk read at most a few megabytes).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import tarfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk.bundles.manifest import (
    MAX_MANIFEST_BYTES,
    MAX_SIG_BYTES,
    BundleRefused,
    Manifest,
    check_signatures,
    parse_manifest,
    safe_relative_path,
    version_key,
)

Progress = Callable[[int, int, str], None]
DEFAULT_SIZE_CAP = 2048 * 1024 * 1024
CHUNK = 1024 * 1024
_LANG = r"[a-z]{2,3}"
# What each kind of bundle may carry (docs/architecture.md, Updates).
LAYOUT = {
    "content": re.compile(rf"procedures\.toml|audio/{_LANG}/(segments/)?[^/]+\.(ogg|wav)"
                          rf"|locales/{_LANG}/LC_MESSAGES/kiosk\.po"),
    "app": re.compile(rf"wheels/[^/]+\.whl|assets/.+|locales/{_LANG}/LC_MESSAGES/kiosk\.po"),
}
LAYOUT_TEXT = {"content": "procedures.toml, audio/<lang>/<id>.ogg|wav, "
                          "audio/<lang>/segments/<name>.ogg|wav and "
                          "locales/<lang>/LC_MESSAGES/kiosk.po",
               "app": "wheels/*.whl, assets/… and locales/<lang>/LC_MESSAGES/kiosk.po"}


@dataclass(frozen=True)
class Policy:
    """What the kiosk accepts besides a good signature."""

    trusted_keys: tuple[str, ...]
    kind: str | None = None
    installed: str | None = None  # the version installed now, of that kind
    allow_downgrade: bool = False
    size_cap: int = DEFAULT_SIZE_CAP
    now: datetime | None = None
    # The installed version of the manifest's kind, asked once the kind is known (Installer).
    installed_of: Callable[[str], str | None] | None = None


def verify_bundle(path: Path | str, trusted_keys: tuple[str, ...] | list[str], *,
                  kind: str | None = None, installed: str | None = None,
                  allow_downgrade: bool = False, size_cap: int = DEFAULT_SIZE_CAP,
                  now: datetime | None = None, progress: Progress | None = None) -> Manifest:
    """The bundle's manifest once everything in it is checked; touches nothing.
    BundleRefused names the first problem found."""
    policy = Policy(tuple(trusted_keys), kind, installed, allow_downgrade, size_cap, now)
    return scan(Path(path), policy, None, progress)


class _Capped(io.RawIOBase):
    """A file that refuses to be read or sought past `limit` bytes: a gzip bomb or a
    header claiming terabytes stops here, before memory or disk fills."""

    def __init__(self, inner: io.IOBase, limit: int) -> None:
        self.inner, self.limit, self.pos = inner, limit, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def _allow(self, end: int) -> None:
        if end > self.limit:
            raise BundleRefused("too-large", "The archive goes on past its size cap.")

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.limit - self.pos + 1
        self._allow(self.pos + size)  # before reading: one huge read must not fill memory
        data = self.inner.read(size)
        self.pos += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        target = {0: offset, 1: self.pos + offset}.get(whence)
        if target is None:
            raise io.UnsupportedOperation("no seek from the end")
        self._allow(target)
        self.pos = self.inner.seek(target)
        return self.pos


@contextmanager
def _open(path: Path, limit: int) -> Iterator[tuple[tarfile.TarFile, _Capped]]:
    try:
        raw = open(path, "rb")  # noqa: SIM115 (closed below)
    except IsADirectoryError:
        raise BundleRefused("not-a-bundle", f"{path} is a folder, not a bundle.") from None
    except OSError as exc:
        raise BundleRefused("not-a-bundle", f"{path} cannot be read: {exc.strerror}.") \
            from None
    with raw:
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        inner: io.IOBase = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        capped = _Capped(inner, limit)
        try:
            with tarfile.open(fileobj=capped, mode="r:") as tf:
                yield tf, capped
        except tarfile.ReadError as exc:
            if capped.pos <= tarfile.BLOCKSIZE and "unexpected end" not in str(exc):
                raise BundleRefused("not-a-bundle", f"{path.name} is not a bundle (not a "
                                    "tar archive).") from None
            raise BundleRefused("truncated", f"{path.name} ends too early: the archive is "
                                "truncated.") from None
        except (EOFError, zlib.error, gzip.BadGzipFile):
            raise BundleRefused("truncated", f"{path.name} ends too early or is damaged: the "
                                "compressed archive is truncated.") from None


def _read_member(tf: tarfile.TarFile, member: tarfile.TarInfo | None, name: str,
                 cap: int) -> bytes:
    if member is None or member.name != name:
        raise BundleRefused("not-a-bundle", f"The archive does not start with manifest.json "
                            f"and manifest.sig (expected {name}).")
    if not member.isreg() or member.size > cap:
        raise BundleRefused("not-a-bundle", f"{name} is not a small regular file.")
    fh = tf.extractfile(member)
    assert fh is not None
    data = fh.read()
    if len(data) != member.size:
        raise BundleRefused("truncated", f"{name} is cut short: the archive is truncated.")
    return data


def check_manifest(manifest: Manifest, policy: Policy) -> None:
    """Kind, expiry, paths, versions and size: what a signed manifest must still pass."""
    if policy.kind is not None and manifest.kind != policy.kind:
        raise BundleRefused("wrong-kind", f"This is an {manifest.kind} bundle, not a "
                            f"{policy.kind} bundle.")
    now = policy.now or datetime.now(UTC)
    if manifest.expires <= now:
        raise BundleRefused("expired", f"The bundle expired on "
                            f"{manifest.expires.strftime('%Y-%m-%d %H:%M')} UTC.")
    for entry in manifest.files:
        if not safe_relative_path(entry.path):
            raise BundleRefused("unsafe-path", f"The manifest names an unsafe path "
                                f"{entry.path!r} (absolute, '..' or odd characters).")
        if not LAYOUT[manifest.kind].fullmatch(entry.path):
            raise BundleRefused("bad-content", f"{entry.path!r} has no place in an "
                                f"{manifest.kind} bundle; it may hold "
                                f"{LAYOUT_TEXT[manifest.kind]}.")
    if manifest.kind == "app" and not any(f.path.startswith("wheels/") for f in manifest.files):
        raise BundleRefused("bad-content", "The app bundle holds no wheels/*.whl.")
    installed = policy.installed_of(manifest.kind) if policy.installed_of else policy.installed
    if installed is not None:
        new, old = version_key(manifest.version), version_key(installed)
        if new == old:
            raise BundleRefused("older-version", f"Version {manifest.version} is already "
                                "installed.")
        if new < old and not policy.allow_downgrade:
            raise BundleRefused("older-version", f"Version {manifest.version} is older than "
                                f"the installed {installed} (a downgrade must be "
                                "allowed explicitly).")
        if old < version_key(manifest.min_version):
            raise BundleRefused("min-version", f"Version {manifest.version} can only replace "
                                f"{manifest.min_version} or newer; {installed} is "
                                "installed.")
    if manifest.total_size > policy.size_cap:
        raise BundleRefused("too-large", f"The bundle unpacks to {_mb(manifest.total_size)}, "
                            f"more than the cap of {_mb(policy.size_cap)}.")


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _check_member(member: tarfile.TarInfo) -> str:
    """The member's path inside payload/, once its type and name are known to be safe."""
    name = member.name
    if member.issym() or member.islnk():
        raise BundleRefused("link", f"The archive holds a link {name!r}; bundles hold only "
                            "plain files.")
    if member.ischr() or member.isblk() or member.isfifo():
        raise BundleRefused("device-file", f"The archive holds a device or pipe {name!r}; "
                            "bundles hold only plain files.")
    if not (member.isreg() or member.isdir()):
        raise BundleRefused("device-file", f"The archive holds {name!r} of an unusual type; "
                            "bundles hold only plain files.")
    if not safe_relative_path(name):
        raise BundleRefused("unsafe-path", f"The archive holds an unsafe path {name!r} "
                            "(absolute, '..' or odd characters).")
    if name == "payload" and member.isdir():
        return ""
    if not name.startswith("payload/"):
        raise BundleRefused("extra-file", f"The archive holds {name!r} outside payload/.")
    return name[len("payload/"):]


def scan(path: Path, policy: Policy, dest: Path | None,
         progress: Progress | None = None) -> Manifest:
    """Check the whole bundle; with `dest`, also unpack the payload there (tarfile's "data"
    filter on top of these checks), checking each file again once written."""
    # Before the signature is known good the archive may be read only this far.
    head_limit = 3 * tarfile.BLOCKSIZE * 4 + MAX_MANIFEST_BYTES + MAX_SIG_BYTES
    with _open(path, head_limit) as (tf, capped):
        manifest_bytes = _read_member(tf, tf.next(), "manifest.json", MAX_MANIFEST_BYTES)
        sig_bytes = _read_member(tf, tf.next(), "manifest.sig", MAX_SIG_BYTES)
        check_signatures(manifest_bytes, sig_bytes, list(policy.trusted_keys))
        try:
            manifest = parse_manifest(manifest_bytes)
        except ValueError as exc:
            raise BundleRefused("not-a-bundle", f"The manifest cannot be used: {exc}.") \
                from None
        check_manifest(manifest, policy)
        wanted = {entry.path: entry for entry in manifest.files}
        folders = {"/".join(p.split("/")[:i]) for p in wanted
                   for i in range(1, p.count("/") + 1)}
        # Headers (up to three blocks each, with long names) and padding, past the files.
        capped.limit = (head_limit + manifest.total_size
                        + len(wanted) * 4 * tarfile.BLOCKSIZE + len(folders) * 3 * 512 + 20480)
        ticker = _Ticker(progress, manifest.total_size, "unpack" if dest else "verify")
        seen: set[str] = set()
        total = 0
        while (member := tf.next()) is not None:
            rel = _check_member(member)
            if member.isdir():
                if rel and rel not in folders:
                    raise BundleRefused("extra-file", f"The archive holds a folder {rel!r} "
                                        "that the manifest does not list.")
                continue
            entry = wanted.get(rel)
            if entry is None or rel in seen:
                raise BundleRefused("extra-file", f"The archive holds {rel!r}, which the "
                                    "manifest does not list" + (" (twice)." if entry else "."))
            if member.size != entry.size:
                raise BundleRefused("altered-file", f"{rel!r} is {member.size} bytes; the "
                                    f"manifest says {entry.size}.")
            total += member.size
            if total > policy.size_cap:  # the manifest's sum was checked; this is the headers'
                raise BundleRefused("too-large", f"The archive unpacks past the cap of "
                                    f"{_mb(policy.size_cap)}.")
            digest = _hash_member(tf, member, rel, dest, ticker)
            if digest != entry.sha256:
                raise BundleRefused("altered-file", f"{rel!r} was altered: its SHA-256 does "
                                    "not match the manifest.")
            seen.add(rel)
        missing = sorted(set(wanted) - seen)
        if missing:
            raise BundleRefused("missing-file", f"{missing[0]!r} is listed in the manifest but "
                                f"not in the archive ({len(missing)} missing).")
        ticker.done()
    return manifest


def _hash_member(tf: tarfile.TarFile, member: tarfile.TarInfo, rel: str, dest: Path | None,
                 ticker: _Ticker) -> str:
    sha = hashlib.sha256()
    if dest is None:
        fh = tf.extractfile(member)
        assert fh is not None
        left = member.size
        while left:
            chunk = fh.read(min(CHUNK, left))
            if not chunk:
                raise BundleRefused("truncated", f"{rel!r} is cut short: the archive is "
                                    "truncated.")
            sha.update(chunk)
            left -= len(chunk)
            ticker.add(len(chunk))
        return sha.hexdigest()
    try:
        tf.extract(member.replace(name=rel, deep=False), dest, set_attrs=True, filter="data")
    except tarfile.FilterError as exc:  # our checks come first; this is the second line
        raise BundleRefused("unsafe-path", f"{rel!r} was refused by tarfile: {exc}.") from None
    except tarfile.ReadError:
        raise BundleRefused("truncated", f"{rel!r} is cut short: the archive is "
                            "truncated.") from None
    target = dest / rel
    if target.is_symlink() or not target.is_file() or target.stat().st_size != member.size:
        raise BundleRefused("truncated", f"{rel!r} did not unpack whole.")
    with open(target, "rb") as fh:
        while chunk := fh.read(CHUNK):
            sha.update(chunk)
        os.fsync(fh.fileno())
    ticker.add(member.size)
    return sha.hexdigest()


class _Ticker:
    """Progress in at most ~100 calls per step, so a caller on another thread (the staff
    screen) is never flooded."""

    def __init__(self, progress: Progress | None, total: int, step: str) -> None:
        self.progress, self.total, self.step = progress, max(total, 1), step
        self.done_bytes, self.next_at = 0, 0
        self._call(0)

    def _call(self, done: int) -> None:
        if self.progress is not None:
            self.progress(done, self.total, self.step)

    def add(self, size: int) -> None:
        self.done_bytes += size
        if self.done_bytes >= self.next_at:
            self.next_at = self.done_bytes + self.total // 100 + 1
            self._call(min(self.done_bytes, self.total))

    def done(self) -> None:
        self._call(self.total)
