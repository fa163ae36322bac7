"""Making a file system change survive a power cut (no Kivy)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def sync_folder(folder: Path) -> None:
    """Writes `folder`'s entries to the device, so a file just renamed or created in it
    keeps its name after a power cut or a USB stick pulled out (ext4 and FAT may otherwise
    lose it). A file system that cannot sync a folder is left as it is."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def sync_tree(root: Path) -> None:
    """Every file and folder under `root` on the device, e.g. before the folder is renamed
    into use (links are left: they point at what is synced elsewhere)."""
    for folder, _dirs, files in os.walk(root, topdown=False):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        sync_folder(Path(folder))


def write_atomic(path: Path, data: bytes) -> None:
    """`path` holds `data` whole, or its old content after a power cut: never a part."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:  # a full disk, Ctrl-C: no temporary file is left behind either
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    sync_folder(path.parent)


def switch_link(link: Path, target: str) -> None:
    """The symlink `link` now names `target`, in one rename: never absent, never half-made."""
    tmp = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)
    sync_folder(link.parent)
