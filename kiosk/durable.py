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
