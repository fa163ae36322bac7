"""Bundles on USB sticks and in watched folders.

docs/architecture.md, Getting bundles. A stick is found by its mount point under one of
the configured roots (/proc/self/mounts; udisks mounts sticks at /media/<user>/<label> or
/run/media/<user>/<label>, an admin's `mount` often at /mnt); a folder under a root that
holds `*.kbundle` files counts too (a watched folder). A stick is copied from, never
installed from, so it can be pulled out once the copy is done; a stick pulled out while
it is read is a UsbError naming the file, and the half copy is removed.
"""

from __future__ import annotations

import logging
import os
import re
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kiosk.bundles.fetch import FetchError, Progress
from kiosk.bundles.manifest import MAX_MANIFEST_BYTES, parse_manifest

log = logging.getLogger(__name__)

SUFFIX = ".kbundle"
MOUNTS_FILE = Path("/proc/self/mounts")
# Filesystems that are never a stick (a tmpfs at /media on some systems, autofs triggers).
_NOT_REMOVABLE = frozenset({
    "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts",
    "devtmpfs", "efivarfs", "fusectl", "hugetlbfs", "mqueue", "nsfs", "overlay", "proc",
    "pstore", "ramfs", "rpc_pipefs", "securityfs", "squashfs", "sysfs", "tmpfs", "tracefs",
})
_OCTAL = re.compile(r"\\([0-7]{3})")
_MAX_DEPTH = 3  # a stick's root, and folders two deep (updates/2026-11/…)
_MAX_ENTRIES = 5000  # per stick: a full photo stick must not stall the check
_COPY_BLOCK = 1 << 20


class UsbError(FetchError):
    pass


@dataclass(frozen=True)
class Mount:
    device: str
    path: str
    fstype: str


def _unescape(field: str) -> str:
    # The kernel writes space, tab, newline and backslash in paths as \040 \011 \012 \134.
    return _OCTAL.sub(lambda m: chr(int(m[1], 8)), field)


def parse_mounts(text: str) -> list[Mount]:
    """The lines of /proc/self/mounts (`device mountpoint fstype options 0 0`); a line
    that does not have that shape is skipped."""
    mounts = []
    for line in text.split("\n"):  # not splitlines(): \r and \x1c can be in a path
        fields = line.split(" ")
        if len(fields) < 4 or not all(fields[:3]):
            continue
        mounts.append(Mount(_unescape(fields[0]), _unescape(fields[1]), fields[2]))
    return mounts


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _holds_bundles(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return any(e.name.endswith(SUFFIX) and e.is_file(follow_symlinks=False)
                       for e in entries)
    except OSError:
        return False


def stick_mounts(roots: Iterable[str | Path], mounts_file: Path | str = MOUNTS_FILE
                 ) -> list[Path]:
    """Mounted filesystems at or under the roots (no stick is read: cheap to ask often)."""
    root_paths = [Path(os.path.abspath(r)) for r in roots]
    try:
        text = Path(mounts_file).read_text("utf-8", errors="surrogateescape")
    except OSError:
        return []  # not Linux, or no /proc
    return [Path(m.path) for m in parse_mounts(text)
            if m.fstype not in _NOT_REMOVABLE
            and any(_under(Path(m.path), r) for r in root_paths) and Path(m.path).is_dir()]


def usb_mounts(roots: Iterable[str | Path], mounts_file: Path | str = MOUNTS_FILE) -> list[Path]:
    """Mounted filesystems at or under the roots, then the watched folders: a root, or a
    folder directly in one, that holds `*.kbundle` files. Each path once."""
    root_paths = [Path(os.path.abspath(r)) for r in roots]
    found = stick_mounts(root_paths, mounts_file)
    for root in root_paths:
        candidates = [root]
        try:
            with os.scandir(root) as entries:
                candidates += sorted(Path(e.path) for e in entries if not e.name.startswith(".")
                                     and e.is_dir(follow_symlinks=False))
        except OSError:
            continue  # the root does not exist here
        found += [c for c in candidates if _holds_bundles(c)]
    return list(dict.fromkeys(found))


def find_bundles(dirs: Iterable[str | Path], max_depth: int = _MAX_DEPTH) -> list[Path]:
    """`*.kbundle` files in the folders and their subfolders (at most max_depth levels),
    sorted. Links are not followed (they could lead off the stick), hidden folders
    (.Trash-1000) are skipped, and an unreadable folder is passed over."""
    found: set[Path] = set()
    for top in dirs:
        budget = [_MAX_ENTRIES]
        _walk(Path(top), max_depth, found, budget)
    return sorted(found)


def _walk(folder: Path, depth: int, found: set[Path], budget: list[int]) -> None:
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except OSError as exc:
        log.info("cannot list %s: %s", folder, exc.strerror)
        return
    for entry in sorted(entries, key=lambda e: e.name):
        budget[0] -= 1
        if budget[0] < 0:
            return
        try:
            if entry.is_symlink() or entry.name.startswith("."):
                continue
            if entry.is_file() and entry.name.endswith(SUFFIX):
                found.add(Path(entry.path))
            elif entry.is_dir() and depth > 1:
                _walk(Path(entry.path), depth - 1, found, budget)
        except OSError:
            continue  # gone while we looked (a stick pulled out)


def peek_bundle(path: Path) -> tuple[str, str]:
    """(kind, version) of a bundle file, read from its manifest: enough to list what a
    stick offers (the signature and the files are checked by verify_bundle before use).
    UsbError when the file cannot be read or is not a bundle."""
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                if member.name.removeprefix("./") != "manifest.json":
                    continue
                if not member.isfile() or member.size > MAX_MANIFEST_BYTES:
                    break
                stream = archive.extractfile(member)
                if stream is None:
                    break
                manifest = parse_manifest(stream.read())
                return manifest.kind, manifest.version
    except ValueError as exc:
        raise UsbError(f"{path.name}: not a bundle ({exc})") from None
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise UsbError(f"{path.name}: cannot be read as a bundle ({exc})") from None
    raise UsbError(f"{path.name}: not a bundle (no manifest.json)")


def copy_from_usb(src: Path, dest_dir: Path, progress: Progress | None = None) -> Path:
    """Copy `src` into `dest_dir` (a temporary name, then renamed), so that the stick can be
    pulled out afterwards. UsbError if the stick goes away (or the file changes) while it
    is read; nothing half-copied is left."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / src.name
    tmp = dest_dir / (src.name + ".copying")
    gone = (f"{src.name}: the USB stick could not be read to the end; was it pulled out? "
            "Put it back and try again")
    try:
        with open(src, "rb") as fin:
            total = os.fstat(fin.fileno()).st_size
            with open(tmp, "wb") as fout:
                done = 0
                while True:
                    try:
                        block = fin.read(_COPY_BLOCK)
                    except OSError:
                        raise UsbError(gone) from None
                    if not block:
                        break
                    fout.write(block)
                    done += len(block)
                    if progress is not None:
                        progress(done, total, "copy")
                if done != total:
                    raise UsbError(gone)
                fout.flush()
                os.fsync(fout.fileno())
        os.replace(tmp, dest)
    except UsbError:
        tmp.unlink(missing_ok=True)
        raise
    except FileNotFoundError:
        tmp.unlink(missing_ok=True)
        raise UsbError(gone) from None
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UsbError(f"{src.name}: copy failed ({exc.strerror or exc})") from None
    return dest
